//! How many AWS calls the read pass of a converged environment makes (docs/performance.md): full
//! staging plans in at most 35 calls, drift in as many plus its state listings, no resource's
//! tags are read one by one (the Resource Groups Tagging API lists them, IAM's listing carries
//! them), and the count stays the same with four alarms more or the subnets doubled.

use std::collections::BTreeMap;
use std::process::Output;

use crate::support::{self, Account, assert_ok, text};
use aws_sdk_cloudwatch::types::Tag;
use provision::model::{TAG_ADDRESS, TAG_ENV, TAG_PROJECT, TAG_STACK};

/// The most calls a converged plan of full staging may make (issue 23: 69 before, for 47
/// resources): 35 for the 48 with the budget. The budget's own reads are Budgets' five (the
/// listing, its tags, its notifications and each one's subscribers) and the topic's policy; the
/// advisory calls (platform lists, cost allocation tags) are made only by plans that change what
/// they advise on, and the listings the read pass already answers (topics, instance profiles,
/// subnet groups, Elastic IPs) only when something is missing from it.
const CEILING: u64 = 35;

/// Operation -> calls, from a `--stats` report ("  SERVICE  OPERATION  N calls").
fn operations(out: &Output) -> BTreeMap<String, u64> {
    support::output::totals(out);
    text(out)
        .lines()
        .filter_map(|l| l.trim_end().strip_suffix(" calls"))
        .filter_map(|l| {
            let mut words = l.split_whitespace().rev();
            let n: u64 = words.next()?.parse().ok()?;
            let op = words.next()?;
            // Budgets' operations apart: its `ListTagsForResource` is the budget's own tag read
            // (Budgets is global, outside the regional tagging API's listing).
            let budgets = l.trim_start().to_lowercase().starts_with("budgets");
            Some((
                if budgets {
                    format!("budgets.{op}")
                } else {
                    op.to_owned()
                },
                n,
            ))
        })
        .fold(BTreeMap::new(), |mut m, (op, n)| {
            *m.entry(op).or_default() += n;
            m
        })
}

/// A converged plan: exit 0 and its calls, none of them a write.
fn converged_plan(acct: &Account, dir: &std::path::Path) -> (u64, BTreeMap<String, u64>) {
    let out = acct.plan(dir, "staging", &[]);
    assert_eq!(out.status.code(), Some(0), "not converged:\n{}", text(&out));
    let totals = support::output::totals(&out);
    assert_eq!(totals.mutating, 0, "{}", text(&out));
    (totals.calls, operations(&out))
}

/// Four alarms more, as provision tags its own (the spec's catalogue of alarms is fixed, so
/// they are made here): the read pass finds them and their tags with the others.
async fn four_more_alarms(acct: &Account) {
    let aws = acct.aws().await;
    for i in 1..=4 {
        let name = format!("agentpass-staging-extra-{i}");
        let tags = [
            (TAG_PROJECT, "agentpass"),
            (TAG_ENV, "staging"),
            (TAG_STACK, "backend"),
            (TAG_ADDRESS, &format!("backend.alarm.extra-{i}")),
        ];
        aws.cloudwatch
            .put_metric_alarm()
            .alarm_name(&name)
            .namespace("AWS/RDS")
            .metric_name("CPUUtilization")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(300)
            .evaluation_periods(1)
            .threshold(90.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                    .collect(),
            ))
            .send()
            .await
            .unwrap();
    }
}

/// Four subnets more, the file bench/run.py --double-subnets appends too.
const EXTRA_SUBNETS: &str = include_str!("../../bench/specs/extra_subnets.toml");

#[tokio::test]
async fn a_converged_staging_reads_in_at_most_35_calls_whatever_its_size() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let (calls, ops) = converged_plan(&acct, d);
    assert!(calls <= CEILING, "{calls} calls: {ops:#?}");
    // No tag read per resource: the tagging API's one listing, IAM's listing, EC2's Describes.
    for op in [
        "ListTagsForResource",
        "GetTags",
        "ListRoleTags",
        "ListInstanceProfileTags",
        "ListRolePolicies",
        "GetRolePolicy",
        "ListAttachedRolePolicies",
    ] {
        assert!(!ops.contains_key(op), "{op} in {ops:#?}");
    }
    assert_eq!(
        ops.get("GetResources").copied(),
        Some(2),
        "tagging API and API Gateway's own"
    );

    // Drift within the same ceiling: its one listing of the locks and snapshots takes the place
    // of the pause record's read (there is none).
    let out = acct.provision(d, &["drift", "--env", "staging", "--stats"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let drift = operations(&out);
    assert_eq!(drift.get("ListObjectsV2").copied(), Some(1), "{drift:#?}");
    assert!(support::output::totals(&out).calls <= CEILING, "{drift:#?}");

    four_more_alarms(&acct).await;
    let out = acct.plan(d, "staging", &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the four are planned away:\n{}",
        text(&out)
    );
    assert!(
        text(&out).contains("backend.alarm.extra-4"),
        "{}",
        text(&out)
    );
    assert_eq!(operations(&out), ops, "four alarms more, the same reads");
    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);

    let staging = d.join("specs/staging.toml");
    let spec = std::fs::read_to_string(&staging).unwrap() + "\n" + EXTRA_SUBNETS;
    std::fs::write(&staging, spec).unwrap();
    assert_ok(&acct.apply(d, "staging", &[]));
    let (doubled, doubled_ops) = converged_plan(&acct, d);
    assert_eq!(doubled, calls, "subnets doubled: {doubled_ops:#?}");
}
