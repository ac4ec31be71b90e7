//! The environment's budget end to end against LocalStack (issue 23): staging's budget exists
//! with its two notifications to the alarm topic (and the e-mail), the topic's policy lets AWS
//! Budgets publish for this account only, a plan that creates or changes the budget warns
//! while the scope's tags are not active cost allocation tags (a converged one does not ask), a limit changed by hand is drift that apply puts back, destroy removes the
//! budget, and `cost` prices it. Then the `[monitoring.budget]` spec's bad values, refused
//! naming file, line and field before any AWS call. Each test runs in its own account.

use std::collections::BTreeSet;
use std::path::Path;

use aws_sdk_budgets::types::{Notification, Spend};

use crate::support::{self, Account, assert_ok, text};

const BUDGET: &str = "agentpass-staging-monthly";
const EMAIL: &str = "ops+staging@example.com";

/// (type, threshold, threshold type, subscribers as "TYPE address") of every notification.
type Notifications = BTreeSet<(String, String, String, BTreeSet<String>)>;

async fn notifications(b: &aws_sdk_budgets::Client, account: &str) -> Notifications {
    let out = b
        .describe_notifications_for_budget()
        .account_id(account)
        .budget_name(BUDGET)
        .send()
        .await
        .unwrap();
    let mut found = BTreeSet::new();
    for n in out.notifications() {
        let subs = b
            .describe_subscribers_for_notification()
            .account_id(account)
            .budget_name(BUDGET)
            .notification(n.clone())
            .send()
            .await
            .unwrap();
        let subscribers = subs
            .subscribers()
            .iter()
            .map(|s| format!("{} {}", s.subscription_type().as_str(), s.address()))
            .collect();
        found.insert((
            n.notification_type().as_str().to_owned(),
            n.threshold().to_string(),
            // AWS (and the emulator) leave PERCENTAGE out.
            n.threshold_type()
                .map_or("PERCENTAGE", |t| t.as_str())
                .to_owned(),
            subscribers,
        ));
    }
    found
}

/// The budget's limit as AWS shows it, or `None` once it is gone.
async fn limit(b: &aws_sdk_budgets::Client, account: &str) -> Option<f64> {
    match b
        .describe_budget()
        .account_id(account)
        .budget_name(BUDGET)
        .send()
        .await
    {
        Ok(out) => {
            let budget = out.budget().expect("a budget");
            let spend = budget.budget_limit().expect("a limit");
            assert_eq!(spend.unit(), "USD");
            Some(spend.amount().parse().unwrap())
        }
        Err(e) => {
            let code = e.into_service_error().meta().code().map(str::to_owned);
            assert_eq!(code.as_deref(), Some("NotFoundException"));
            None
        }
    }
}

/// `provision cost --env staging`'s high figure, rounded up: the default limit.
fn estimate(acct: &Account, dir: &Path) -> f64 {
    let (code, json) = acct.json(dir, &["cost", "--env", "staging"]);
    assert_eq!(code, Some(0), "{json}");
    let lines = json["lines"].as_array().expect("lines");
    let budget = lines
        .iter()
        .find(|l| l["resource"] == "shared.budget")
        .expect("cost prices the budget");
    assert_eq!(
        budget["monthly"]["max"], 0.0,
        "a budget without actions is free"
    );
    json["total"]["max"].as_f64().expect("a total").ceil()
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_budget_apply_warn_drift_and_destroy() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let expected_limit = estimate(&acct, d);
    // The plan that creates the budget asks whether its tags are active cost allocation
    // tags: not yet, a warning saying how to activate them.
    let cost_tags = |o| support::output::calls(o, "Cost Explorer", "ListCostAllocationTags");
    let plan = acct.plan(d, "staging", &["--stack", "shared"]);
    let out = text(&plan);
    assert_eq!(plan.status.code(), Some(2), "{out}");
    assert!(out.contains("are not active cost allocation tags"), "{out}");
    assert!(out.contains("TagKey=provision:env,Status=Active"), "{out}");
    assert_eq!(cost_tags(&plan), 1, "{out}");
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    let aws = acct.aws().await;
    let (budgets, sns) = (aws.budgets.clone(), aws.sns.clone());
    let account = acct.id.as_str();

    // The budget, its limit (the estimate rounded up) and its two notifications, each to the
    // environment's topic and e-mail.
    assert_eq!(limit(&budgets, account).await, Some(expected_limit));
    let topics = sns.list_topics().send().await.unwrap();
    let topic = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .find(|t| t.ends_with(":agentpass-staging-alarms"))
        .expect("the alarm topic")
        .to_owned();
    let subscribers: BTreeSet<String> = [format!("SNS {topic}"), format!("EMAIL {EMAIL}")].into();
    let want: Notifications = [("ACTUAL", "100"), ("FORECASTED", "80")]
        .into_iter()
        .map(|(t, at)| {
            (
                t.to_owned(),
                at.to_owned(),
                "PERCENTAGE".to_owned(),
                subscribers.clone(),
            )
        })
        .collect();
    assert_eq!(notifications(&budgets, account).await, want);

    // The topic's policy: AWS Budgets may publish, for this account's budgets only.
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value =
        serde_json::from_str(&attrs.attributes().unwrap()["Policy"]).unwrap();
    let budgets_statement = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Principal"]["Service"] == "budgets.amazonaws.com")
        .expect("a statement for AWS Budgets");
    assert_eq!(budgets_statement["Action"], "SNS:Publish");
    assert_eq!(budgets_statement["Resource"], topic.as_str());
    let condition = &budgets_statement["Condition"];
    assert_eq!(condition["StringEquals"]["aws:SourceAccount"], account);
    assert_eq!(
        condition["ArnLike"]["aws:SourceArn"],
        format!("arn:aws:budgets::{account}:*")
    );

    // Converged, the budget is not being decided on: no question, no warning (the tags are
    // still inactive).
    let plan = acct.plan(d, "staging", &["--stack", "shared"]);
    let out = text(&plan);
    assert_eq!(plan.status.code(), Some(0), "{out}");
    assert!(!out.contains("cost allocation tag"), "{out}");
    assert_eq!(cost_tags(&plan), 0, "{out}");
    // AWS's billing sees the keys and they are activated (checked below, once the budget
    // changes again).
    acct.http_post(
        "/_provision/ce/cost-allocation-tags",
        &format!(
            r#"{{"account_id": "{account}", "tag_keys": ["provision:env", "provision:project"]}}"#
        ),
    );
    let mut update = aws.costexplorer.update_cost_allocation_tags_status();
    for key in ["provision:env", "provision:project"] {
        update = update.cost_allocation_tags_status(
            aws_sdk_costexplorer::types::CostAllocationTagStatusEntry::builder()
                .tag_key(key)
                .status(aws_sdk_costexplorer::types::CostAllocationTagStatus::Active)
                .build()
                .unwrap(),
        );
    }
    update.send().await.unwrap();

    // A limit changed by hand is drift; the plan that puts it back asks again, and with the
    // tags active warns of nothing; apply puts it back.
    let mut budget = budgets
        .describe_budget()
        .account_id(account)
        .budget_name(BUDGET)
        .send()
        .await
        .unwrap()
        .budget()
        .unwrap()
        .clone();
    budget.budget_limit = Some(Spend::builder().amount("999").unit("USD").build().unwrap());
    budget.filter_expression = None;
    budgets
        .update_budget()
        .account_id(account)
        .new_budget(budget)
        .send()
        .await
        .unwrap();
    let drift = acct.provision(d, &["drift", "--env", "staging", "--stack", "shared"]);
    let out = text(&drift);
    assert_eq!(drift.status.code(), Some(2), "{out}");
    assert!(
        out.contains("shared.budget") && out.contains("999"),
        "{out}"
    );
    let plan = acct.plan(d, "staging", &["--stack", "shared"]);
    let out = text(&plan);
    assert_eq!(plan.status.code(), Some(2), "{out}");
    assert!(!out.contains("cost allocation tag"), "{out}");
    assert_eq!(cost_tags(&plan), 1, "{out}");
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    assert_eq!(limit(&budgets, account).await, Some(expected_limit));
    let plan = acct.plan(d, "staging", &["--stack", "shared"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));

    // A notification deleted by hand comes back with its subscribers.
    let actual = Notification::builder()
        .notification_type(aws_sdk_budgets::types::NotificationType::Actual)
        .comparison_operator(aws_sdk_budgets::types::ComparisonOperator::GreaterThan)
        .threshold(100.0)
        .build()
        .unwrap();
    budgets
        .delete_notification()
        .account_id(account)
        .budget_name(BUDGET)
        .notification(actual)
        .send()
        .await
        .unwrap();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    assert_eq!(notifications(&budgets, account).await, want);

    // Destroy removes it (before the topic it notifies).
    assert_ok(&acct.destroy(d, "staging", &["--stack", "shared"]));
    assert_eq!(limit(&budgets, account).await, None);
}

/// A private copy of the project's specs with `from` replaced by `to` in `file`.
fn edited(file: &str, from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    for entry in std::fs::read_dir(&src).expect("specs/") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if name == file {
            assert!(text.contains(from), "{from} in {file}");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(dir.path().join(&name), text).unwrap();
    }
    dir
}

/// The diagnostics of loading staging from `dir`, rendered.
fn errors(dir: &Path) -> Vec<String> {
    match provision::spec::load(dir, "staging") {
        Ok(_) => panic!("staging validated but should not"),
        Err(provision::spec::SpecError::Invalid(d)) => d.iter().map(|x| x.to_string()).collect(),
        Err(e) => panic!("expected diagnostics, got: {e}"),
    }
}

/// The line of `needle` in `file` of `dir`.
fn line_of(dir: &Path, file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle}"));
    text[..at].matches('\n').count() + 1
}

#[test]
fn bad_budget_values_are_refused_naming_file_line_and_field() {
    let section = "name = \"{project}-{env}-monthly\"";
    let cases = [
        ("limit = 0", "monitoring.budget.limit", "above 0"),
        ("limit = -5", "monitoring.budget.limit", "above 0"),
        (
            "forecasted_percent = 0",
            "monitoring.budget.forecasted_percent",
            "above 0",
        ),
        (
            "actual_percent = 2000000",
            "monitoring.budget.actual_percent",
            "at most 1000000",
        ),
    ];
    for (line, field, says) in cases {
        let dir = edited("base.toml", section, &format!("{section}\n{line}"));
        let errs = errors(dir.path());
        let at = line_of(dir.path(), "base.toml", line);
        let prefix = format!("{}:{at}:", dir.path().join("base.toml").display());
        assert!(
            errs.iter()
                .any(|e| e.starts_with(&prefix) && e.contains(field) && e.contains(says)),
            "{line}: {errs:#?}"
        );
    }
    // A name without the environment, and one AWS would refuse (':' is not allowed).
    for name in ["agentpass-monthly", "agentpass-staging:monthly"] {
        let dir = edited("base.toml", section, &format!("name = \"{name}\""));
        let errs = errors(dir.path());
        let at = line_of(dir.path(), "base.toml", &format!("name = \"{name}\""));
        let prefix = format!("{}:{at}:", dir.path().join("base.toml").display());
        assert!(
            errs.iter()
                .any(|e| e.starts_with(&prefix) && e.contains("monitoring.budget.name")),
            "{name}: {errs:#?}"
        );
    }
    // Eleven e-mails: one more than a budget notification takes.
    let emails: Vec<String> = (0..11).map(|i| format!("\"ops{i}@example.com\"")).collect();
    let dir = edited(
        "staging.toml",
        "emails = [\"ops+staging@example.com\"]",
        &format!("emails = [{}]", emails.join(", ")),
    );
    let errs = errors(dir.path());
    assert!(
        errs.iter().any(|e| e.contains("monitoring.emails")
            && e.contains("at most 10 e-mail subscribers")),
        "{errs:#?}"
    );
}

#[test]
fn an_environment_with_an_account_of_its_own_scopes_its_budget_by_the_account() {
    let section = "name = \"{project}-{env}-monthly\"";
    let budget_of = |dir: &Path| {
        let loaded = provision::spec::load_one(dir, "staging").expect("valid");
        let d = provision::spec::desired::build(&loaded.spec);
        d.resources
            .values()
            .find_map(|r| match &r.attrs {
                provision::model::Attrs::Budget(b) => Some(b.clone()),
                _ => None,
            })
            .expect("a budget")
    };
    let dir = edited(
        "base.toml",
        section,
        &format!("{section}\nscope = \"account\""),
    );
    let b = budget_of(dir.path());
    assert!(b.scope.is_empty(), "no filter: {:?}", b.scope);
    assert_eq!(b.notifications.len(), 2);
    let dir = edited(
        "base.toml",
        section,
        &format!("{section}\nscope = \"tags\""),
    );
    assert_eq!(budget_of(dir.path()).scope.len(), 2);
    let dir = edited("base.toml", section, &format!("{section}\nscope = \"org\""));
    let errs = errors(dir.path());
    let at = line_of(dir.path(), "base.toml", "scope = \"org\"");
    let prefix = format!("{}:{at}:", dir.path().join("base.toml").display());
    assert!(
        errs.iter().any(|e| e.starts_with(&prefix)
            && e.contains("monitoring.budget.scope")
            && e.contains("not one of: tags, account")),
        "{errs:#?}"
    );
}
