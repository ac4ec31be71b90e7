//! The listings the read pass skips when what it read already shows their resources
//! (docs/architecture.md, "Tags in bulk"): a converged staging makes none of them, and each is
//! made whenever only it finds what matters. An instance profile holding no role is only in
//! `ListInstanceProfiles`; a subnet group the tag listing no longer holds is described (and
//! found by its recorded name); an Elastic IP with this environment's tags that no NAT
//! gateway holds is described (and planned away); a topic whose tags were lost is read by its
//! recorded ARN without `ListTopics`.

use std::collections::BTreeMap;
use std::process::Output;

use crate::support::output::{calls, changes};
use crate::support::{Account, assert_ok, text};
use aws_sdk_ec2::types::{DomainType, ResourceType, Tag, TagSpecification};
use provision::model::{TAG_ADDRESS, TAG_ENV, TAG_PROJECT, TAG_STACK};

/// The four listings, by service as `--stats` names it.
const LISTINGS: [(&str, &str); 4] = [
    ("IAM", "ListInstanceProfiles"),
    ("RDS", "DescribeDBSubnetGroups"),
    ("EC2", "DescribeAddresses"),
    ("SNS", "ListTopics"),
];

/// A JSON plan with `--stats`: its output (for the calls) and its changes.
fn plan(acct: &Account, d: &std::path::Path) -> (Output, BTreeMap<String, (String, Vec<String>)>) {
    let out = acct.provision(
        d,
        &["--format", "json", "plan", "--env", "staging", "--stats"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: not JSON:\n{}", text(&out)));
    (out, changes(&doc))
}

fn listings(out: &Output) -> Vec<u64> {
    LISTINGS.iter().map(|(s, op)| calls(out, s, op)).collect()
}

const PROFILE: &str = "agentpass-staging-console-ec2-profile";
const GROUP: &str = "agentpass-staging-subnets";
const TOPIC: &str = "agentpass-staging-alarms";

/// Out of band: the console's profile loses its role, the subnet group its environment tag
/// (the tag listing, filtered by it, no longer holds the group; its project tag keeps it ours
/// by its recorded name), the topic its ownership tags, and an Elastic IP with this
/// environment's tags is allocated.
async fn disturb(acct: &Account) -> String {
    let aws = acct.aws().await;
    aws.iam
        .remove_role_from_instance_profile()
        .instance_profile_name(PROFILE)
        .role_name("agentpass-staging-console-ec2")
        .send()
        .await
        .unwrap();
    let groups = aws
        .rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(GROUP);
    let groups = groups.send().await.unwrap();
    let group_arn = groups.db_subnet_groups()[0].db_subnet_group_arn().unwrap();
    aws.rds
        .remove_tags_from_resource()
        .resource_name(group_arn)
        .tag_keys(TAG_ENV)
        .send()
        .await
        .unwrap();
    let topics = aws.sns.list_topics().send().await.unwrap();
    let topic = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .find(|a| a.ends_with(&format!(":{TOPIC}")))
        .unwrap();
    aws.sns
        .untag_resource()
        .resource_arn(topic)
        .set_tag_keys(Some(
            [TAG_PROJECT, TAG_ENV, TAG_STACK, TAG_ADDRESS]
                .map(str::to_owned)
                .to_vec(),
        ))
        .send()
        .await
        .unwrap();
    let tags = [
        (TAG_PROJECT, "agentpass"),
        (TAG_ENV, "staging"),
        (TAG_STACK, "shared"),
        (TAG_ADDRESS, "shared.eip.leaked"),
    ];
    let spec = TagSpecification::builder()
        .resource_type(ResourceType::ElasticIp)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .build();
    let eip = aws
        .ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(spec)
        .send()
        .await
        .unwrap();
    eip.allocation_id().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_skipped_listing_is_made_when_only_it_finds_what_matters() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let (out, planned) = plan(&acct, d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(planned.is_empty(), "{planned:#?}");
    assert_eq!(listings(&out), [0, 0, 0, 0], "{}", text(&out));

    let leaked = disturb(&acct).await;
    let (out, planned) = plan(&acct, d);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Each found as what it is, none created again.
    let want: BTreeMap<String, (String, Vec<String>)> = [
        ("console.instance_profile", "update", vec!["role"]),
        (
            "backend.db_subnet_group",
            "update",
            vec!["tags.provision:env"],
        ),
        (
            "shared.alarm_topic",
            "update",
            vec![
                "tags.provision:address",
                "tags.provision:env",
                "tags.provision:project",
                "tags.provision:stack",
            ],
        ),
        ("shared.eip.leaked", "delete", vec![]),
    ]
    .into_iter()
    .map(|(a, action, fields)| {
        let fields = fields.into_iter().map(str::to_owned).collect();
        (a.to_owned(), (action.to_owned(), fields))
    })
    .collect();
    assert_eq!(planned, want, "{}", text(&out));
    // The topic is read by its recorded ARN: no listing of topics.
    assert_eq!(listings(&out), [1, 1, 1, 0], "{}", text(&out));

    assert_ok(&acct.apply(d, "staging", &[]));
    let aws = acct.aws().await;
    let left = aws
        .ec2
        .describe_addresses()
        .allocation_ids(&leaked)
        .send()
        .await;
    assert!(
        left.as_ref().map_or(true, |o| o.addresses().is_empty()),
        "{left:?}"
    );
    let (out, planned) = plan(&acct, d);
    assert_eq!(out.status.code(), Some(0), "{planned:#?}\n{}", text(&out));
    assert_eq!(listings(&out), [0, 0, 0, 0], "{}", text(&out));
}
