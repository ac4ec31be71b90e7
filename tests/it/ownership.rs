//! Never touch what isn't ours (LocalStack, each test in its own account and state bucket):
//! a foreign resource holding a recorded name is never deleted, a lost ownership tag is put back
//! rather than the resource made twice, and a database is never replaced without a final
//! snapshot and, where it is protected, the operator's `--confirm`.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::output::{calls, changes};
use crate::support::{Account, assert_ok, edit, text};
use provision::model::{TAG_ADDRESS, TAG_ENV, TAG_PROJECT};

fn recorded(d: &Path, acct: &Account, env: &str, stack: &str) -> serde_json::Value {
    let (code, doc) = acct.json(d, &["state", "show", "--env", env, "--stack", stack]);
    assert_eq!(code, Some(0), "{doc}");
    doc
}

async fn db_exists(aws: &provision::aws::Aws, identifier: &str) -> bool {
    aws.rds
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
        .is_ok_and(|o| !o.db_instances().is_empty())
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_never_deletes_a_foreign_database_or_application_holding_a_recorded_name() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let aws = acct.aws().await;

    // Out of band: our database and application are deleted, and someone else's take their
    // names (another project's tags on the instance, no tags at all on the application).
    let db = "agentpass-staging";
    aws.rds
        .delete_db_instance()
        .db_instance_identifier(db)
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        if !db_exists(&aws, db).await {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!db_exists(&aws, db).await, "the hand delete did not finish");
    let tag = |k: &str, v: &str| aws_sdk_rds::types::Tag::builder().key(k).value(v).build();
    aws.rds
        .create_db_instance()
        .db_instance_identifier(db)
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("someone")
        .master_user_password("someone-elses-password")
        .tags(tag(TAG_PROJECT, "other-project"))
        .tags(tag(TAG_ENV, "staging"))
        .send()
        .await
        .unwrap();
    let app = "agentpass-backend-staging";
    let apps = aws
        .beanstalk
        .describe_applications()
        .application_names(app)
        .send()
        .await
        .unwrap();
    assert_eq!(
        apps.applications().len(),
        1,
        "the spec's application name changed?"
    );
    aws.beanstalk
        .delete_application()
        .application_name(app)
        .terminate_env_by_force(true)
        .send()
        .await
        .unwrap();
    aws.beanstalk
        .create_application()
        .application_name(app)
        .description("made by hand")
        .send()
        .await
        .unwrap();

    // Destroy only forgets them: it deletes neither and drops both from state.
    let out = acct.destroy(d, "staging", &[]);
    let t = text(&out);
    assert_ok(&out);
    assert_eq!(calls(&out, "RDS", "DeleteDBInstance"), 0, "{t}");
    // The console's own application is deleted; the hand-made backend one is not (below).
    assert_eq!(
        calls(&out, "Elastic Beanstalk", "DeleteApplication"),
        1,
        "{t}"
    );
    assert!(t.contains("backend.rds"), "{t}");
    assert!(
        db_exists(&aws, db).await,
        "the foreign instance was deleted:\n{t}"
    );
    let apps = aws
        .beanstalk
        .describe_applications()
        .application_names(app)
        .send()
        .await
        .unwrap();
    assert_eq!(
        apps.applications().first().and_then(|a| a.description()),
        Some("made by hand"),
        "the foreign application was deleted:\n{t}"
    );
    let backend = recorded(d, &acct, "staging", "backend");
    assert!(
        backend["resources"]
            .as_object()
            .is_none_or(serde_json::Map::is_empty),
        "{backend}"
    );
}

/// Removes `key` from the resource `id` of `kind`, out of band, with the service's own call.
async fn untag(aws: &provision::aws::Aws, kind: &str, id: &str, key: &str) {
    match kind {
        "ec2" => {
            aws.ec2
                .delete_tags()
                .resources(id)
                .tags(aws_sdk_ec2::types::Tag::builder().key(key).build())
                .send()
                .await
                .unwrap();
        }
        "rds" => {
            aws.rds
                .remove_tags_from_resource()
                .resource_name(id)
                .tag_keys(key)
                .send()
                .await
                .unwrap();
        }
        "beanstalk" => {
            aws.beanstalk
                .update_tags_for_resource()
                .resource_arn(id)
                .tags_to_remove(key)
                .send()
                .await
                .unwrap();
        }
        "apigateway" => {
            aws.apigateway
                .untag_resource()
                .resource_arn(id)
                .tag_keys(key)
                .send()
                .await
                .unwrap();
        }
        other => panic!("{other}"),
    }
}

/// The ARN-or-id each service's untag call takes for the resource recorded as `id`.
async fn tag_target(aws: &provision::aws::Aws, address: &str, id: &str) -> (&'static str, String) {
    let account = aws
        .rds
        .describe_db_subnet_groups()
        .send()
        .await
        .unwrap()
        .db_subnet_groups()
        .first()
        .and_then(|g| g.db_subnet_group_arn())
        .and_then(|a| a.split(':').nth(4))
        .unwrap()
        .to_owned();
    let region = support::REGION;
    let kind = address.split('.').nth(1).unwrap();
    match kind {
        "vpc" | "subnet" | "internet_gateway" | "eip" | "nat_gateway" | "route_table"
        | "security_group" => ("ec2", id.to_owned()),
        "db_subnet_group" => ("rds", format!("arn:aws:rds:{region}:{account}:subgrp:{id}")),
        "rds" => ("rds", format!("arn:aws:rds:{region}:{account}:db:{id}")),
        "beanstalk_app" => (
            "beanstalk",
            format!("arn:aws:elasticbeanstalk:{region}:{account}:application/{id}"),
        ),
        "beanstalk" => {
            let out = aws
                .beanstalk
                .describe_environments()
                .environment_ids(id)
                .send()
                .await
                .unwrap();
            let arn = out.environments()[0].environment_arn().unwrap().to_owned();
            ("beanstalk", arn)
        }
        "api" => (
            "apigateway",
            format!("arn:aws:apigateway:{region}::/restapis/{id}"),
        ),
        "api_key" => (
            "apigateway",
            format!("arn:aws:apigateway:{region}::/apikeys/{id}"),
        ),
        "usage_plan" => (
            "apigateway",
            format!("arn:aws:apigateway:{region}::/usageplans/{id}"),
        ),
        other => panic!("no untag for {other}"),
    }
}

/// Each kind that carries its own tags loses its `provision:address` tag out of band. Drift
/// says so (a changed tag, not a missing resource), the plan puts it back in place, apply does,
/// and nothing is created twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_address_tag_is_put_back_and_nothing_is_created_twice() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let aws = acct.aws().await;
    let before = aws.read(&support::owner("staging")).await.unwrap();

    let kinds = [
        "shared.vpc",
        "shared.subnet.private-a",
        "shared.internet_gateway",
        "shared.eip.nat-public-a",
        "shared.nat_gateway.public-a",
        "shared.route_table.private",
        "shared.security_group.backend-app",
        "shared.api",
        "shared.api_key",
        "backend.usage_plan",
        "backend.db_subnet_group",
        "backend.rds",
        "backend.beanstalk_app",
        "backend.beanstalk",
    ];
    let mut ids = BTreeMap::new();
    for address in kinds {
        let r = before
            .resources
            .get(&address.parse().unwrap())
            .unwrap_or_else(|| panic!("{address} not in the spec: {:?}", before.resources.keys()));
        let (service, target) = tag_target(&aws, address, &r.id).await;
        untag(&aws, service, &target, TAG_ADDRESS).await;
        ids.insert(address, r.id.clone());
    }

    // Drift: each is a changed tag on the recorded id, none is missing or unmanaged.
    let (code, report) = acct.json(d, &["drift", "--env", "staging"]);
    assert_eq!(code, Some(2), "{report}");
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["category"], "changed", "{f}");
    }
    for address in kinds {
        let found = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["address"] == address && f["field"] == format!("tags.{TAG_ADDRESS}"));
        assert!(found, "{address}: no changed tag in {report}");
    }

    // The plan updates tags in place only.
    let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
    assert_eq!(code, Some(2), "{plan}");
    let planned = changes(&plan);
    for address in kinds {
        assert_eq!(
            planned.get(address),
            Some(&("update".to_owned(), vec![format!("tags.{TAG_ADDRESS}")])),
            "{address}: {plan}"
        );
    }
    // Whatever else moves is the stage's redeploy or nothing: no creates, no deletes.
    for (address, (action, _)) in &planned {
        assert_eq!(action, "update", "{address}: {plan}");
    }

    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);
    let t = text(&out);
    for op in [
        "AllocateAddress",
        "CreateNatGateway",
        "CreateRouteTable",
        "CreateVpc",
    ] {
        assert_eq!(calls(&out, "EC2", op), 0, "{op}: {t}");
    }
    assert_eq!(calls(&out, "RDS", "CreateDBInstance"), 0, "{t}");
    let after = aws.read(&support::owner("staging")).await.unwrap();
    for (address, id) in &ids {
        assert_eq!(
            &after.resources[&address.parse().unwrap()].id,
            id,
            "{address} changed identity"
        );
    }
    let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
    assert_eq!(code, Some(0), "{plan}");
    let eips = aws.ec2.describe_addresses().send().await.unwrap();
    assert_eq!(eips.addresses().len(), 1, "{eips:?}");
}

/// A network resource that lost every ownership tag is still found by its recorded id.
#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_network_resource_without_any_tag_is_still_that_resource() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    let aws = acct.aws().await;
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let addresses = [
        "shared.vpc",
        "shared.eip.nat-public-a",
        "shared.route_table.public",
    ];
    let mut ids = BTreeMap::new();
    for address in addresses {
        let r = &live.resources[&address.parse().unwrap()];
        let keys: Vec<aws_sdk_ec2::types::Tag> = r
            .tags
            .keys()
            .map(|k| aws_sdk_ec2::types::Tag::builder().key(k).build())
            .collect();
        aws.ec2
            .delete_tags()
            .resources(&r.id)
            .set_tags(Some(keys))
            .send()
            .await
            .unwrap();
        ids.insert(address, r.id.clone());
    }
    let (code, plan) = acct.json(d, &["plan", "--env", "staging", "--stack", "shared"]);
    assert_eq!(code, Some(2), "{plan}");
    for (address, (action, _)) in changes(&plan) {
        assert_eq!(action, "update", "{address}: {plan}");
    }
    let out = acct.apply_stack(d, "staging", "shared");
    assert_ok(&out);
    let after = aws.read(&support::owner("staging")).await.unwrap();
    for (address, id) in &ids {
        assert_eq!(
            &after.resources[&address.parse().unwrap()].id,
            id,
            "{address}"
        );
    }
    let vpcs = aws.ec2.describe_vpcs().send().await.unwrap();
    let ours = vpcs
        .vpcs()
        .iter()
        .filter(|v| v.cidr_block() == Some("10.2.0.0/16"))
        .count();
    assert_eq!(ours, 1, "a second VPC was made: {vpcs:?}");
}

/// Replacing production's database needs `--confirm production`, and takes a final snapshot
/// first, named in the plan.
#[tokio::test(flavor = "multi_thread")]
async fn replacing_a_protected_database_needs_confirmation_and_keeps_a_final_snapshot() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    for stack in ["shared", "backend"] {
        assert_ok(&acct.apply_stack(d, "production", stack));
    }
    let aws = acct.aws().await;
    edit(
        d,
        "production.toml",
        "deletion_protection = true",
        "deletion_protection = true\nallow_replace = true\ndb_name = \"agentpass2\"",
    );

    let backend = ["--stack", "backend"];
    let out = acct.apply(d, "production", &backend);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("--confirm production"), "{t}");
    assert_eq!(calls(&out, "RDS", "DeleteDBInstance"), 0, "{t}");
    assert!(db_exists(&aws, "agentpass-production").await);

    let out = acct.plan(d, "production", &["--stack", "backend"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "plan refuses the same way: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("--confirm production"),
        "{}",
        text(&out)
    );

    let out = acct.apply(
        d,
        "production",
        &["--stack", "backend", "--confirm", "production"],
    );
    let t = text(&out);
    assert_ok(&out);
    assert!(
        t.contains("final snapshot agentpass-production-final-production-"),
        "{t}"
    );
    let snapshots = aws
        .rds
        .describe_db_snapshots()
        .db_instance_identifier("agentpass-production")
        .snapshot_type("manual")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = snapshots
        .db_snapshots()
        .iter()
        .filter_map(|s| s.db_snapshot_identifier())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("agentpass-production-final-production-")),
        "{names:?}\n{t}"
    );
    let live = aws.read(&support::owner("production")).await.unwrap();
    match &live.resources[&"backend.rds".parse().unwrap()].attrs {
        provision::model::Attrs::DbInstance(db) => assert_eq!(db.db_name, "agentpass2"),
        other => panic!("{other:?}"),
    }
}
