//! `provision import` and `provision state rm` against LocalStack (each test in its own account
//! and state bucket). The resources are made with the AWS SDK directly, never through provision,
//! as Terraform or a person at the console would have made them.

use std::collections::BTreeMap;

use crate::support::output::changes;
use crate::support::{Account, HandVpc, assert_ok, hand_subnet, text};
use provision::model::{Address, TAG_ADDRESS, TAG_ENV, TAG_PROJECT};

fn vpc_tags(aws_tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    aws_tags
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().into(),
                t.value().unwrap_or_default().into(),
            )
        })
        .collect()
}

async fn tags_of_vpc(aws: &provision::aws::Aws, vpc: &str) -> BTreeMap<String, String> {
    let out = aws.ec2.describe_vpcs().vpc_ids(vpc).send().await.unwrap();
    vpc_tags(out.vpcs()[0].tags())
}

/// Every kind, one resource at a time, in dependency order: each import tags the resource,
/// records it, and the remaining plan no longer creates it. Then the refusals.
#[tokio::test(flavor = "multi_thread")]
async fn every_kind_is_imported_one_resource_at_a_time() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let aws = acct.aws().await;
    let made = crate::support::handmade::make_staging(&aws).await;
    let mut ids: Vec<(Address, String)> = made
        .ids()
        .into_iter()
        .map(|(a, id)| (a.parse().unwrap(), id))
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 48, "one resource per address of staging");
    let mut kinds = std::collections::BTreeSet::new();
    for (address, id) in &ids {
        let a = address.to_string();
        let (code, plan) = acct.json(d, &["import", "--env", "staging", &a, id]);
        assert!(matches!(code, Some(0 | 2)), "import {a} {id}: {plan}");
        let planned = changes(&plan);
        assert!(
            !matches!(planned.get(&a), Some((action, _)) if action == "create" || action == "replace"),
            "{a} is still created after its import: {planned:?}"
        );
        kinds.insert(address.kind);
    }
    assert_eq!(kinds.len(), provision::model::Kind::ALL.len(), "every kind");
    let (_, plan) = acct.json(d, &["plan", "--env", "staging"]);
    let left: Vec<_> = changes(&plan)
        .into_iter()
        .filter(|(_, (action, _))| action != "update")
        .collect();
    assert!(left.is_empty(), "only updates may remain: {left:?}");
    let vpc = &made.ids()["shared.vpc"];
    let tags = tags_of_vpc(&aws, vpc).await;
    assert_eq!(
        tags.get(TAG_ADDRESS).map(String::as_str),
        Some("shared.vpc")
    );
    assert_eq!(tags.get(TAG_ENV).map(String::as_str), Some("staging"));
    refusals(&acct, d, &made.ids());
}

/// The clear errors: each exits 1 and names the problem, changing nothing.
fn refusals(acct: &Account, d: &std::path::Path, ids: &BTreeMap<&'static str, String>) {
    let cases: [(&[&str], &str); 5] = [
        (&["shared.bucket", "b-1"], "unknown kind `bucket`"),
        (
            &["shared.subnet.public-z", "subnet-123"],
            "has no shared.subnet.public-z",
        ),
        (
            &["shared.vpc", &ids["shared.subnet.public-a"]],
            "the id of a subnet, not of a vpc",
        ),
        (&["shared.vpc", &ids["shared.vpc"]], "already managed"),
        (&["backend.rds", "no-such-database"], "already managed"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["import", "--env", "staging"];
        all.extend_from_slice(args);
        let out = acct.provision(d, &all);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(expected), "{args:?}: {}", text(&out));
    }
}

/// An id that exists nowhere, and one that another environment's tags claim.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_resource_or_one_of_another_environment_is_refused() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let aws = acct.aws().await;
    let out = acct.provision(
        d,
        &[
            "import",
            "--env",
            "staging",
            "shared.vpc",
            "vpc-0000000000000000a",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("not found"), "{}", text(&out));
    // AWS's own error is named: its operation and code.
    assert!(text(&out).contains("DescribeVpcs"), "{}", text(&out));
    assert!(
        text(&out).contains("InvalidVpcID.NotFound"),
        "{}",
        text(&out)
    );
    let out = acct.provision(
        d,
        &[
            "import",
            "--env",
            "staging",
            "backend.rds",
            "agentpass-nothing",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("DBInstanceNotFound"), "{}", text(&out));
    // A role is read by the call that reads its tags (ListRoleTags), and that call's error shows.
    let out = acct.provision(
        d,
        &[
            "import",
            "--env",
            "staging",
            "backend.iam_role.instance",
            "agentpass-nothing",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("ListRoleTags"), "{}", text(&out));
    assert!(text(&out).contains("NoSuchEntity"), "{}", text(&out));

    let production = [
        (TAG_PROJECT, "agentpass"),
        (TAG_ENV, "production"),
        (TAG_ADDRESS, "shared.vpc"),
    ];
    let vpc = HandVpc::make(&aws, "10.2.0.0/16", &production, &[])
        .await
        .id;
    let out = acct.provision(d, &["import", "--env", "staging", "shared.vpc", &vpc]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("agentpass/production"),
        "{}",
        text(&out)
    );
    assert_eq!(
        tags_of_vpc(&aws, &vpc)
            .await
            .get(TAG_ENV)
            .map(String::as_str),
        Some("production")
    );
    let shown = acct.provision(d, &["state", "show", "--env", "staging"]);
    assert!(!text(&shown).contains(&vpc), "{}", text(&shown));

    // A private subnet given as a public one: applying would replace it, so it is refused and
    // left as it was.
    let subnet = hand_subnet(&aws, &vpc, "10.2.10.0/24", "us-east-2a").await;
    let out = acct.provision(
        d,
        &[
            "import",
            "--env",
            "staging",
            "shared.subnet.public-a",
            &subnet,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not the resource the spec describes"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("10.2.1.0/24"), "{}", text(&out));
    let tags = aws
        .ec2
        .describe_subnets()
        .subnet_ids(&subnet)
        .send()
        .await
        .unwrap();
    let tags = vpc_tags(tags.subnets()[0].tags());
    assert!(
        !tags.contains_key(TAG_ENV),
        "its tags came off again: {tags:?}"
    );
    let shown = acct.provision(d, &["state", "show", "--env", "staging"]);
    assert!(!text(&shown).contains(&subnet), "{}", text(&shown));
}

/// `state rm` forgets without deleting: the subnet stays in AWS without ownership tags, drift
/// reports it unmanaged, and it can be imported again.
#[tokio::test(flavor = "multi_thread")]
async fn state_rm_forgets_a_resource_which_drift_then_reports_unmanaged() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let aws = acct.aws().await;
    let public_a = [("10.2.1.0/24", "us-east-2a")];
    let HandVpc { id: vpc, subnets } = HandVpc::make(&aws, "10.2.0.0/16", &[], &public_a).await;
    let subnet = subnets[0].clone();
    for (address, id) in [("shared.vpc", &vpc), ("shared.subnet.public-a", &subnet)] {
        let out = acct.provision(d, &["import", "--env", "staging", address, id]);
        assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    }
    let out = acct.provision(
        d,
        &["state", "rm", "--env", "staging", "shared.subnet.public-a"],
    );
    assert_ok(&out);
    assert!(
        text(&out).contains(&format!("forgot {subnet}")),
        "{}",
        text(&out)
    );
    let still = aws
        .ec2
        .describe_subnets()
        .subnet_ids(&subnet)
        .send()
        .await
        .unwrap();
    assert_eq!(still.subnets().len(), 1, "state rm must not delete");
    let shown = acct.provision(d, &["state", "show", "--env", "staging"]);
    assert!(!text(&shown).contains(&subnet), "{}", text(&shown));
    let (code, drift) = acct.json(d, &["drift", "--env", "staging"]);
    assert_eq!(code, Some(2), "{drift}");
    let unmanaged = drift["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["category"] == "unmanaged" && f["id"] == subnet.as_str());
    assert!(
        unmanaged,
        "the forgotten subnet is reported unmanaged: {drift}"
    );
    // Forgetting what is not recorded is refused; importing it again works.
    let out = acct.provision(
        d,
        &["state", "rm", "--env", "staging", "shared.subnet.public-a"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = acct.provision(
        d,
        &[
            "import",
            "--env",
            "staging",
            "shared.subnet.public-a",
            &subnet,
        ],
    );
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
}

/// The seed's migration, end to end: the whole staging environment made by hand, a v4 state per
/// stack in the seed's bucket layout around it, a dry run that changes nothing, the import, and
/// then a plan without creates or deletes that apply converges.
#[tokio::test(flavor = "multi_thread")]
async fn the_staging_environment_is_taken_over_from_its_terraform_state() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let aws = acct.aws().await;
    let made = crate::support::handmade::make_staging(&aws).await;
    let bucket = acct.bucket();
    aws.s3
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsEast2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut states = BTreeMap::new();
    for stack in ["shared", "backend", "console"] {
        let text = serde_json::to_string_pretty(&made.terraform_state(stack)).unwrap();
        aws.s3
            .put_object()
            .bucket(&bucket)
            .key(format!("{stack}/staging/terraform.tfstate"))
            .body(text.clone().into_bytes().into())
            .send()
            .await
            .unwrap();
        // The same files in a folder, as `terraform state pull` would leave them.
        let local = d.join("tf").join(stack).join("staging");
        std::fs::create_dir_all(&local).unwrap();
        std::fs::write(local.join("terraform.tfstate"), &text).unwrap();
        states.insert(stack, text);
    }

    // Dry run, from the bucket and from the folder: the mapping, and nothing changed.
    let (code, doc) = acct.json(
        d,
        &[
            "import",
            "--env",
            "staging",
            "--from-terraform",
            "--dry-run",
        ],
    );
    assert_eq!(code, Some(0), "{doc}");
    let mapped: BTreeMap<String, String> = doc["mapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["address"].as_str().unwrap().to_owned(),
                m["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = made
        .ids()
        .into_iter()
        .map(|(a, id)| (a.to_owned(), id))
        .collect();
    assert_eq!(mapped, expected, "every resource maps to its address");
    assert_eq!(doc["not_in_terraform"], serde_json::json!([]), "{doc}");
    let parts = made.made.iter().filter(|m| m.address.is_none()).count();
    assert_eq!(doc["unmapped"].as_array().unwrap().len(), parts, "{doc}");
    let (code, local) = acct.json(
        d,
        &[
            "import",
            "--env",
            "staging",
            "--from-terraform",
            "tf",
            "--dry-run",
        ],
    );
    assert_eq!(code, Some(0), "{local}");
    assert_eq!(local["mapped"].as_array().unwrap().len(), 48, "{local}");
    let out = acct.provision(
        d,
        &[
            "import",
            "--env",
            "staging",
            "--from-terraform",
            "--dry-run",
        ],
    );
    assert_ok(&out);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("Mapped to provision addresses (48):"),
        "{shown}"
    );
    assert!(shown.contains("Dry run: nothing was changed."), "{shown}");
    let vpc = &made.ids()["shared.vpc"];
    assert!(
        !tags_of_vpc(&aws, vpc).await.contains_key(TAG_ENV),
        "a dry run tags nothing"
    );
    let shown = acct.provision(d, &["state", "show", "--env", "staging"]);
    assert!(
        !text(&shown).contains(vpc.as_str()),
        "a dry run records nothing: {}",
        text(&shown)
    );

    // The import itself, then the plan: only updates.
    let out = acct.provision(d, &["import", "--env", "staging", "--from-terraform"]);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    assert!(
        text(&out).contains("shared.vpc: imported"),
        "{}",
        text(&out)
    );
    let (_, plan) = acct.json(d, &["plan", "--env", "staging"]);
    let not_updates: Vec<_> = changes(&plan)
        .into_iter()
        .filter(|(_, (action, _))| action != "update")
        .collect();
    assert!(
        not_updates.is_empty(),
        "no create, replace or delete: {not_updates:?}"
    );
    // What Terraform made differs from the spec in tags at least (Name, ManagedBy).
    let updates = changes(&plan);
    assert!(
        updates["shared.vpc"]
            .1
            .iter()
            .any(|f| f.starts_with("tags.")),
        "{updates:?}"
    );
    for (address, (_, fields)) in &updates {
        eprintln!("after import, to update: {address}: {}", fields.join(", "));
    }
    // Run again, it imports nothing more.
    let out = acct.provision(d, &["import", "--env", "staging", "--from-terraform"]);
    assert!(text(&out).contains("nothing to import"), "{}", text(&out));

    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);
    assert!(text(&out).contains(" 0 created,"), "{}", text(&out));
    assert!(text(&out).contains(" 0 deleted."), "{}", text(&out));
    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(0), "converged: {}", text(&out));
    let out = acct.provision(d, &["drift", "--env", "staging"]);
    assert_eq!(out.status.code(), Some(0), "no drift: {}", text(&out));
    // Terraform's state was only read.
    for (stack, text) in states {
        let now = aws
            .s3
            .get_object()
            .bucket(&bucket)
            .key(format!("{stack}/staging/terraform.tfstate"))
            .send()
            .await
            .unwrap();
        let body = now.body.collect().await.unwrap().into_bytes();
        assert_eq!(
            body.as_ref(),
            text.as_bytes(),
            "{stack}'s Terraform state is untouched"
        );
    }
}

/// Both writers take the stack's lock as apply does: while another run holds it, import and
/// state rm refuse and change nothing.
#[tokio::test(flavor = "multi_thread")]
async fn import_and_state_rm_refuse_while_another_run_holds_the_lock() {
    use provision::state::{LocalStore, Store};
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let aws = acct.aws().await;
    let vpc = HandVpc::make(&aws, "10.2.0.0/16", &[], &[]).await.id;
    let store = Store::Local(LocalStore {
        root: d.join("state"),
    });
    store.ensure_ready().await.unwrap();
    let shared = provision::model::Stack::Shared;
    let import = [
        "import",
        "--env",
        "staging",
        "--state",
        "local",
        "shared.vpc",
        &vpc,
    ];
    let rm = [
        "state",
        "rm",
        "--env",
        "staging",
        "--state",
        "local",
        "shared.vpc",
    ];

    let guard = provision::state::acquire(&store, shared, "staging", "apply")
        .await
        .unwrap();
    let out = acct.provision(d, &import);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("is locked by"), "{}", text(&out));
    assert!(
        !tags_of_vpc(&aws, &vpc).await.contains_key(TAG_ENV),
        "nothing tagged"
    );
    guard.release().await.unwrap();
    let out = acct.provision(d, &import);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));

    let guard = provision::state::acquire(&store, shared, "staging", "apply")
        .await
        .unwrap();
    let out = acct.provision(d, &rm);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("is locked by"), "{}", text(&out));
    assert!(
        tags_of_vpc(&aws, &vpc).await.contains_key(TAG_ENV),
        "tags left alone"
    );
    guard.release().await.unwrap();
    let (code, doc) = acct.json(d, &rm);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["forgotten"][0]["address"], "shared.vpc", "{doc}");
    assert_eq!(doc["forgotten"][0]["id"], vpc.as_str(), "{doc}");
    assert_eq!(doc["forgotten"][0]["tags"], "untagged", "{doc}");
    assert!(
        !tags_of_vpc(&aws, &vpc).await.contains_key(TAG_ENV),
        "tags taken off"
    );
}

/// Bad input is refused before any AWS call (the endpoint here answers nothing): a state file
/// that is not Terraform state v4, naming the file and the field; a folder without states; an
/// address the spec lacks; an id of another kind.
#[test]
fn bad_input_is_refused_before_any_aws_call() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let offline = |args: &[&str]| {
        acct.command(d, args)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .output()
            .unwrap()
    };
    let out = offline(&[
        "import",
        "--env",
        "staging",
        "shared.subnet.public-z",
        "subnet-1",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("has no shared.subnet.public-z"),
        "{}",
        text(&out)
    );
    let out = offline(&["import", "--env", "staging", "shared.vpc", "sg-123"]);
    assert!(
        text(&out).contains("the id of a security_group, not of a vpc"),
        "{}",
        text(&out)
    );
    let bad = r#"{"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "l",
        "resources": [{"mode": "managed", "type": "aws_vpc", "name": "main"}]}"#;
    std::fs::write(d.join("bad.tfstate"), bad).unwrap();
    let args = [
        "import",
        "--env",
        "staging",
        "--from-terraform",
        "bad.tfstate",
        "--dry-run",
    ];
    let out = offline(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("bad.tfstate: resources[0].instances: missing or not a list"),
        "{}",
        text(&out)
    );
    std::fs::write(d.join("bad.tfstate"), r#"{"version": 3}"#).unwrap();
    let out = offline(&args);
    assert!(
        text(&out).contains("bad.tfstate: version: is 3"),
        "{}",
        text(&out)
    );
    std::fs::create_dir_all(d.join("empty")).unwrap();
    let out = offline(&["import", "--env", "staging", "--from-terraform", "empty"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("no Terraform state in it"),
        "{}",
        text(&out)
    );
}
