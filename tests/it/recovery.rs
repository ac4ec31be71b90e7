//! Issue 24, as an operator would break it (LocalStack, each test in its own account and state
//! bucket): on a converged staging, ownership tags removed out of band, every state snapshot
//! deleted, the state bucket deleted with all its versions. Each time `plan` and `apply` bring
//! everything back: the plan ends empty, with the same resources under the same ids, and nothing
//! was deleted or created on the way. A resource carrying another environment's tags, and a
//! dashboard without provision's marker, are still refused.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use crate::support::output::{changes, totals};
use crate::support::{Account, assert_ok, census, text};
use provision::model::{TAG_ADDRESS, TAG_ENV, TAG_PROJECT, TAG_STACK};

/// `(service, operation, calls)` of every line of a `--stats` report.
fn operations(out: &Output) -> Vec<(String, String, u64)> {
    text(out)
        .lines()
        .filter_map(|l| {
            let l = l.strip_prefix("  ")?;
            let (service, rest) = l.split_once("  ")?;
            let mut words = rest.split_whitespace();
            let op = words.next()?.to_owned();
            let n = words.next()?.parse().ok()?;
            (words.next() == Some("calls")).then(|| (service.trim().to_owned(), op, n))
        })
        .collect()
}

/// Every mutating call of the run was one of `allowed` (`(service, operation)`; S3 is state and
/// always allowed): nothing else was created, changed or deleted.
#[track_caller]
fn only_mutated(out: &Output, allowed: &[(&str, &str)]) {
    let ops = operations(out);
    let expected: u64 = ops
        .iter()
        .filter(|(s, o, _)| s == "S3" || allowed.contains(&(s.as_str(), o.as_str())))
        .filter(|(s, o, _)| {
            s != "S3" || !["GetObject", "HeadBucket", "ListObjectsV2"].contains(&o.as_str())
        })
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(
        totals(out).mutating,
        expected,
        "a mutating call beyond {allowed:?}:\n{}",
        text(out)
    );
}

/// What staging is made of, twice over: by provision's read (address -> id) and by the SDK
/// straight (address tag -> ids, so a duplicate would show).
struct Picture {
    ids: BTreeMap<String, String>,
    census: BTreeMap<String, Vec<String>>,
}

async fn picture(aws: &provision::aws::Aws) -> Picture {
    Picture {
        ids: support::live_ids(aws, "staging").await,
        census: census::by_address(aws, "staging").await,
    }
}

/// The plan is empty, and staging is what it was: same resources, same ids.
#[track_caller]
fn assert_converged(acct: &Account, d: &Path, before: &Picture, after: &Picture) {
    let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
    assert_eq!(code, Some(0), "{plan}");
    assert_eq!(before.ids.len(), 48, "{:?}", before.ids.keys());
    assert_eq!(after.ids, before.ids, "resources or ids changed");
    assert_eq!(after.census, before.census, "resources or ids changed");
}

async fn converged_staging(acct: &Account, d: &Path) -> (provision::aws::Aws, Picture) {
    assert_ok(&acct.apply(d, "staging", &[]));
    let aws = acct.aws().await;
    let before = picture(&aws).await;
    (aws, before)
}

/// Each security group in turn loses its `provision:env` tag (its other tags and its recorded
/// id intact): the plan tags it again in place, nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn a_security_group_that_lost_its_env_tag_gets_it_back() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let (aws, before) = converged_staging(&acct, d).await;
    let groups: Vec<(&String, &String)> = before
        .ids
        .iter()
        .filter(|(a, _)| a.starts_with("shared.security_group."))
        .collect();
    assert_eq!(groups.len(), 6, "{groups:?}");
    for (address, id) in groups {
        aws.ec2
            .delete_tags()
            .resources(id)
            .tags(aws_sdk_ec2::types::Tag::builder().key(TAG_ENV).build())
            .send()
            .await
            .unwrap();
        let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
        assert_eq!(code, Some(2), "{address}: {plan}");
        assert_eq!(
            changes(&plan),
            [(
                address.clone(),
                ("update".to_owned(), vec![format!("tags.{TAG_ENV}")])
            )]
            .into(),
            "{address}: {plan}"
        );
        let out = acct.apply(d, "staging", &[]);
        assert_ok(&out);
        only_mutated(&out, &[("EC2", "CreateTags")]);
    }
    let after = picture(&aws).await;
    assert_converged(&acct, d, &before, &after);
}

/// The REST API loses three of its four ownership tags (its project tag and recorded id left):
/// it is still this environment's, and tagged again.
#[tokio::test(flavor = "multi_thread")]
async fn a_rest_api_that_lost_its_env_stack_and_address_tags_is_tagged_again() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let (aws, before) = converged_staging(&acct, d).await;
    let api = &before.ids["shared.api"];
    aws.apigateway
        .untag_resource()
        .resource_arn(format!(
            "arn:aws:apigateway:{}::/restapis/{api}",
            support::REGION
        ))
        .tag_keys(TAG_ENV)
        .tag_keys(TAG_STACK)
        .tag_keys(TAG_ADDRESS)
        .send()
        .await
        .unwrap();
    let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
    assert_eq!(code, Some(2), "{plan}");
    let fields = [TAG_ADDRESS, TAG_ENV, TAG_STACK].map(|t| format!("tags.{t}"));
    assert_eq!(
        changes(&plan),
        [(
            "shared.api".to_owned(),
            ("update".to_owned(), fields.to_vec())
        )]
        .into(),
        "{plan}"
    );
    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);
    only_mutated(&out, &[("API Gateway", "TagResource")]);
    let after = picture(&aws).await;
    assert_converged(&acct, d, &before, &after);
}

/// Every snapshot deleted (`state.json` and its history; the bucket's versions stay): every
/// resource is found again, the dashboard by its marker, and `apply` records them all.
#[tokio::test(flavor = "multi_thread")]
async fn every_snapshot_deleted_apply_adopts_the_whole_environment() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let (aws, before) = converged_staging(&acct, d).await;
    let listed = aws
        .s3
        .list_objects_v2()
        .bucket(acct.bucket())
        .send()
        .await
        .unwrap();
    let keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    assert!(
        keys.iter().any(|k| k == "shared/staging/state.json"),
        "{keys:?}"
    );
    for key in &keys {
        aws.s3
            .delete_object()
            .bucket(acct.bucket())
            .key(key)
            .send()
            .await
            .unwrap();
    }
    adopts_everything(&acct, d, &aws, &before).await;
}

/// The state bucket deleted with every version of every object: `apply` makes it again and
/// records everything it finds.
#[tokio::test(flavor = "multi_thread")]
async fn the_state_bucket_deleted_apply_adopts_the_whole_environment() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let (aws, before) = converged_staging(&acct, d).await;
    let bucket = acct.bucket();
    let versions = aws
        .s3
        .list_object_versions()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let all = versions
        .versions()
        .iter()
        .map(|v| (v.key(), v.version_id()))
        .chain(
            versions
                .delete_markers()
                .iter()
                .map(|m| (m.key(), m.version_id())),
        );
    for (key, version) in all {
        aws.s3
            .delete_object()
            .bucket(&bucket)
            .key(key.unwrap())
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
            .unwrap();
    }
    aws.s3.delete_bucket().bucket(&bucket).send().await.unwrap();
    adopts_everything(&acct, d, &aws, &before).await;
}

async fn adopts_everything(acct: &Account, d: &Path, aws: &provision::aws::Aws, before: &Picture) {
    // Nothing to change in AWS: only the records are missing, and the plan says so.
    let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
    assert_eq!(code, Some(0), "{plan}");
    let plan = acct.plan(d, "staging", &[]);
    assert!(
        text(&plan).contains("48 resources found by their tags are not in state"),
        "{}",
        text(&plan)
    );
    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);
    only_mutated(&out, &[]);
    let t = text(&out);
    assert_eq!(t.matches(": adopted ").count(), 48, "{t}");
    assert!(
        t.contains("shared.dashboard: adopted agentpass-staging"),
        "{t}"
    );
    let (code, state) = acct.json(d, &["state", "list", "--env", "staging"]);
    assert_eq!(code, Some(0), "{state}");
    let after = picture(aws).await;
    assert_converged(acct, d, before, &after);
}

/// What carries another environment's tags is never taken: a security group tagged for
/// production (its recorded id notwithstanding) is refused by name, nothing is changed, and it
/// keeps its tags. Neither is a dashboard without provision's marker once state is lost.
#[tokio::test(flavor = "multi_thread")]
async fn another_environments_group_and_an_unmarked_dashboard_are_still_refused() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let (aws, before) = converged_staging(&acct, d).await;
    let group = &before.ids["shared.security_group.api-link"];
    let tag = |k: &str, v: &str| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build();
    aws.ec2
        .create_tags()
        .resources(group)
        .tags(tag(TAG_ENV, "production"))
        .send()
        .await
        .unwrap();
    for args in [
        &["plan", "--env", "staging"][..],
        &["apply", "--env", "staging", "--auto-approve"],
    ] {
        let command = args[0];
        let out = acct.provision(d, args);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{command}: {t}");
        assert!(
            t.contains("security group name `agentpass-staging-api-link` is taken by")
                && t.contains(group.as_str())
                && t.contains("another provision environment"),
            "{command}: {t}"
        );
        assert!(!t.contains("provision import"), "{command}: {t}");
    }
    let now = aws
        .ec2
        .describe_security_groups()
        .group_ids(group)
        .send()
        .await
        .unwrap();
    let env = now.security_groups()[0]
        .tags()
        .iter()
        .find(|t| t.key() == Some(TAG_ENV))
        .and_then(|t| t.value().map(str::to_owned));
    assert_eq!(env.as_deref(), Some("production"), "its tags were changed");
    assert_eq!(picture(&aws).await.ids.len(), before.ids.len() - 1);

    // Back to staging's; then the dashboard loses its marker and the state is lost.
    aws.ec2
        .create_tags()
        .resources(group)
        .tags(tag(TAG_ENV, "staging"))
        .send()
        .await
        .unwrap();
    let body = aws
        .cloudwatch
        .get_dashboard()
        .dashboard_name("agentpass-staging")
        .send()
        .await
        .unwrap();
    let body = body.dashboard_body().unwrap();
    assert!(
        body.contains(&format!("`{TAG_PROJECT}=agentpass`")),
        "{body}"
    );
    let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["widgets"]
        .as_array_mut()
        .unwrap()
        .retain(|w| w["type"] != "text");
    aws.cloudwatch
        .put_dashboard()
        .dashboard_name("agentpass-staging")
        .dashboard_body(v.to_string())
        .send()
        .await
        .unwrap();
    for stack in ["shared", "backend", "console"] {
        aws.s3
            .delete_object()
            .bucket(acct.bucket())
            .key(format!("{stack}/staging/state.json"))
            .send()
            .await
            .unwrap();
    }
    let out = acct.plan(d, "staging", &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("the CloudWatch dashboard name `agentpass-staging` is taken")
            && t.contains("no provision marker")
            && t.contains("provision import --env staging shared.dashboard agentpass-staging"),
        "{t}"
    );
}

/// A group the spec adds whose name a hand-made group already holds in the VPC is refused
/// before anything changes, naming the holder (CreateSecurityGroup would fail halfway).
#[tokio::test(flavor = "multi_thread")]
async fn a_group_name_taken_in_the_vpc_is_refused_at_plan_time() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let (aws, before) = converged_staging(&acct, d).await;
    let vpc = &before.ids["shared.vpc"];
    let made = aws
        .ec2
        .create_security_group()
        .group_name("agentpass-staging-extra")
        .description("made by hand")
        .vpc_id(vpc)
        .send()
        .await
        .unwrap();
    let holder = made.group_id().unwrap();
    support::edit(
        d,
        "base.toml",
        "[security_groups.api-link]",
        "[security_groups.extra]\ndescription = \"extra\"\n\n[security_groups.api-link]",
    );
    let out = acct.apply(d, "staging", &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("shared.security_group.extra: the security group name `agentpass-staging-extra` is taken by")
            && t.contains(holder)
            && t.contains("provision import --env staging shared.security_group.extra"),
        "{t}"
    );
    assert!(t.contains("nothing was changed"), "{t}");
    let named = aws
        .ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("agentpass-staging-extra")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(named.security_groups().len(), 1, "{named:?}");
    assert_eq!(picture(&aws).await.ids, before.ids);
}

/// A VPC link is replaced new one first: the new link exists, the integration has moved to it
/// and the stage is deployed again before the old one is deleted.
#[tokio::test(flavor = "multi_thread")]
async fn a_vpc_link_is_replaced_new_one_first() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let (aws, before) = converged_staging(&acct, d).await;
    support::edit(
        d,
        "base.toml",
        r#"vpc_link_subnets = ["private-a", "private-b"]"#,
        r#"vpc_link_subnets = ["private-a"]"#,
    );
    let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
    assert_eq!(code, Some(2), "{plan}");
    let link = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "backend.vpc_link")
        .unwrap();
    assert_eq!(link["action"], "replace", "{link}");
    assert_eq!(link["lifecycle"]["create_before_destroy"], true, "{link}");
    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);
    let t = text(&out);
    let at = |s: &str| t.find(s).unwrap_or_else(|| panic!("no {s:?} in {t}"));
    let gone = at("backend.vpc_link: destroying");
    assert!(at("backend.vpc_link: created") < gone, "{t}");
    assert!(at("backend.api_integration: modified") < gone, "{t}");
    assert!(at("backend.api_stage: modified") < gone, "{t}");
    let after = picture(&aws).await;
    assert_ne!(
        after.ids["backend.vpc_link"],
        before.ids["backend.vpc_link"]
    );
    let links = aws.apigatewayv2.get_vpc_links().send().await.unwrap();
    assert_eq!(links.items().len(), 1, "{links:?}");
    let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
    assert_eq!(code, Some(0), "{plan}");
}
