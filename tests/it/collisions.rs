//! Names already taken: resources the spec would create whose names something else holds in AWS
//! (still managed by Terraform, made by hand, or another provision environment's) are refused by
//! `plan` and `apply` before anything changes, all of them at once, each with its holder and way
//! out; a state bucket another account owns likewise. A converged plan looks nothing up. Each
//! test runs in its own LocalStack account.

use std::process::Output;

use crate::support::output::calls;
use crate::support::{Account, HandVpc, assert_ok, text};
use aws_sdk_elasticbeanstalk::types::Tag as EbTag;
use aws_sdk_rds::types::Tag as RdsTag;
use provision::aws::Aws;
use provision::model::{TAG_ENV, TAG_PROJECT};

const SOLUTION_STACK: &str = "64bit Amazon Linux 2023 v6.11.5 running Node.js 24";

/// A refused run: exit 1, every expected text in its message, nothing planned on stdout.
#[track_caller]
fn assert_refused(out: &Output, expected: &[&str]) {
    let t = text(out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    for e in expected {
        assert!(t.contains(e), "{e:?} not in:\n{t}");
    }
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("Plan:"),
        "a plan was printed:\n{t}"
    );
}

fn eb_tags(pairs: &[(&str, &str)]) -> Vec<EbTag> {
    pairs
        .iter()
        .map(|(k, v)| EbTag::builder().key(*k).value(*v).build())
        .collect()
}

async fn rds_instance(aws: &Aws, identifier: &str, tags: &[(&str, &str)]) {
    aws.rds
        .create_db_instance()
        .db_instance_identifier(identifier)
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("terraform")
        .master_user_password("terraform-password")
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| RdsTag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .send()
        .await
        .unwrap();
}

async fn beanstalk_app(aws: &Aws, name: &str, tags: &[(&str, &str)]) {
    aws.beanstalk
        .create_application()
        .application_name(name)
        .set_tags(Some(eb_tags(tags)))
        .send()
        .await
        .unwrap();
}

/// An instance profile (with a role) for environments made by hand: without one a launch fails,
/// as on AWS. Made once per account.
async fn legacy_profile(aws: &Aws) -> &'static str {
    let name = "legacy-ec2";
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let exists = aws
        .iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .is_ok();
    if !exists {
        let iam = &aws.iam;
        let role = iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust);
        role.send().await.unwrap();
        let profile = iam.create_instance_profile().instance_profile_name(name);
        profile.send().await.unwrap();
        let add = iam
            .add_role_to_instance_profile()
            .instance_profile_name(name);
        add.role_name(name).send().await.unwrap();
    }
    name
}

/// A Beanstalk environment (single instance: no VPC settings needed); returns its id.
async fn beanstalk_env(aws: &Aws, app: &str, name: &str, cname_prefix: Option<&str>) -> String {
    let profile = legacy_profile(aws).await;
    let out = aws
        .beanstalk
        .create_environment()
        .application_name(app)
        .environment_name(name)
        .solution_stack_name(SOLUTION_STACK)
        .set_cname_prefix(cname_prefix.map(str::to_owned))
        .option_settings(
            aws_sdk_elasticbeanstalk::types::ConfigurationOptionSetting::builder()
                .namespace("aws:elasticbeanstalk:environment")
                .option_name("EnvironmentType")
                .value("SingleInstance")
                .build(),
        )
        .option_settings(
            aws_sdk_elasticbeanstalk::types::ConfigurationOptionSetting::builder()
                .namespace("aws:autoscaling:launchconfiguration")
                .option_name("IamInstanceProfile")
                .value(profile)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.environment_id().unwrap().to_owned()
}

/// Waits until the environment reaches `status` (other tests may set a status delay on the
/// shared server).
async fn wait_for(aws: &Aws, id: &str, status: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let out = aws
            .beanstalk
            .describe_environments()
            .environment_ids(id)
            .send()
            .await
            .unwrap();
        let now = out.environments().first().and_then(|e| e.status()).cloned();
        if now.as_ref().map(|s| s.as_str()) == Some(status) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{id} is {now:?}, not {status}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Everything in the account besides what the test made itself: must be nothing.
async fn assert_nothing_created(acct: &Account, aws: &Aws, foreign_db: &str, foreign_app: &str) {
    let vpcs = aws.ec2.describe_vpcs().send().await.unwrap();
    let made: Vec<_> = vpcs
        .vpcs()
        .iter()
        .filter(|v| v.is_default() != Some(true))
        .collect();
    assert!(made.is_empty(), "VPCs were created: {made:#?}");
    let dbs = aws.rds.describe_db_instances().send().await.unwrap();
    let ids: Vec<_> = dbs
        .db_instances()
        .iter()
        .filter_map(|d| d.db_instance_identifier())
        .collect();
    assert_eq!(ids, [foreign_db]);
    let groups = aws.rds.describe_db_subnet_groups().send().await.unwrap();
    assert!(groups.db_subnet_groups().is_empty(), "{groups:#?}");
    let apps = aws.beanstalk.describe_applications().send().await.unwrap();
    let names: Vec<_> = apps
        .applications()
        .iter()
        .filter_map(|a| a.application_name())
        .collect();
    assert_eq!(names, [foreign_app]);
    let envs = aws.beanstalk.describe_environments().send().await.unwrap();
    assert!(envs.environments().is_empty(), "{envs:#?}");
    let apis = aws.apigateway.get_rest_apis().send().await.unwrap();
    assert!(apis.items().is_empty(), "{apis:#?}");
    let keys = aws.apigateway.get_api_keys().send().await.unwrap();
    assert!(keys.items().is_empty(), "{keys:#?}");
    let bucket = aws.s3.head_bucket().bucket(acct.bucket()).send().await;
    assert!(bucket.is_err(), "the state bucket was created");
}

/// The issue's reproduction: the old Terraform setup still holds the backend's application and
/// database. Both are named in one error, by plan and by apply, and apply builds nothing (it used
/// to stop after 20 steps on `DBInstanceAlreadyExists`).
#[tokio::test(flavor = "multi_thread")]
async fn terraform_leftovers_refuse_plan_and_apply_and_nothing_is_created() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let aws = acct.aws().await;
    rds_instance(&aws, "agentpass-staging", &[("ManagedBy", "terraform")]).await;
    beanstalk_app(&aws, "agentpass-backend-staging", &[]).await;

    let expected = [
        "2 names this plan would create are already taken in AWS; nothing was changed",
        "backend.rds: the DB instance identifier `agentpass-staging` is taken by agentpass-staging",
        "provision import --env staging backend.rds agentpass-staging",
        "rename it in the spec: backend.database.identifier (specs/base.toml:",
        "backend.beanstalk_app: the Beanstalk application name `agentpass-backend-staging`",
        "provision import --env staging backend.beanstalk_app agentpass-backend-staging",
        "rename it in the spec: backend.beanstalk.application (specs/base.toml:",
        "no provision tags: made outside provision, e.g. by Terraform",
    ];
    assert_refused(&acct.plan(d, "staging", &[]), &expected);
    let out = acct.apply(d, "staging", &[]);
    assert_refused(&out, &expected);
    assert!(
        !text(&out).contains("DBInstanceAlreadyExists"),
        "{}",
        text(&out)
    );
    assert_nothing_created(
        &acct,
        &aws,
        "agentpass-staging",
        "agentpass-backend-staging",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_of_another_provision_environment_is_named_and_not_offered_for_import() {
    let acct = Account::new();
    let dir = acct.workdir();
    let aws = acct.aws().await;
    let production = [(TAG_PROJECT, "agentpass"), (TAG_ENV, "production")];
    rds_instance(&aws, "agentpass-staging", &production).await;

    let out = acct.plan(dir.path(), "staging", &[]);
    assert_refused(
        &out,
        &[
            "1 name this plan would create is already taken",
            "backend.rds: the DB instance identifier `agentpass-staging` is taken by \
             agentpass-staging, which belongs to another provision environment \
             (provision:project=agentpass, provision:env=production)",
            "rename it in the spec: backend.database.identifier",
            "do not import it",
        ],
    );
    assert!(!text(&out).contains("provision import"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_db_subnet_group_of_the_same_name() {
    let acct = Account::new();
    let dir = acct.workdir();
    let aws = acct.aws().await;
    // A group needs subnets: a hand-made VPC of its own.
    let subnets = [("10.9.1.0/24", "us-east-2a"), ("10.9.2.0/24", "us-east-2b")];
    let HandVpc { id: vpc, subnets } = HandVpc::make(&aws, "10.9.0.0/16", &[], &subnets).await;
    aws.rds
        .create_db_subnet_group()
        .db_subnet_group_name("agentpass-staging-subnets")
        .db_subnet_group_description("terraform's")
        .set_subnet_ids(Some(subnets))
        .send()
        .await
        .unwrap();

    assert_refused(
        &acct.plan(dir.path(), "staging", &[]),
        &[
            "backend.db_subnet_group: the DB subnet group name `agentpass-staging-subnets` is \
             taken by agentpass-staging-subnets",
            &format!("(in {vpc})"),
            "provision import --env staging backend.db_subnet_group agentpass-staging-subnets",
            "backend.database.identifier (the group is named after it: `{identifier}-subnets`)",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_beanstalk_application_of_another_project() {
    let acct = Account::new();
    let dir = acct.workdir();
    let aws = acct.aws().await;
    let other = [(TAG_PROJECT, "other"), (TAG_ENV, "staging")];
    beanstalk_app(&aws, "agentpass-console-staging", &other).await;

    let out = acct.plan(dir.path(), "staging", &[]);
    assert_refused(
        &out,
        &[
            "console.beanstalk_app: the Beanstalk application name `agentpass-console-staging` \
             is taken by agentpass-console-staging, which belongs to another provision \
             environment (provision:project=other, provision:env=staging)",
            "rename it in the spec: console.beanstalk.application",
        ],
    );
}

/// Environment names are unique in the account, whatever the application; a terminated
/// environment no longer holds its name.
#[tokio::test(flavor = "multi_thread")]
async fn a_beanstalk_environment_of_the_same_name_in_another_application() {
    let acct = Account::new();
    let dir = acct.workdir();
    let aws = acct.aws().await;
    beanstalk_app(&aws, "legacy", &[]).await;
    let gone = beanstalk_env(&aws, "legacy", "agentpass-backend-staging", None).await;
    wait_for(&aws, &gone, "Ready").await;
    aws.beanstalk
        .terminate_environment()
        .environment_id(&gone)
        .send()
        .await
        .unwrap();
    wait_for(&aws, &gone, "Terminated").await;
    let id = beanstalk_env(&aws, "legacy", "agentpass-console-staging", None).await;

    let out = acct.plan(dir.path(), "staging", &[]);
    assert_refused(
        &out,
        &[
            "1 name this plan would create is already taken",
            &format!(
                "console.beanstalk: the Beanstalk environment name `agentpass-console-staging` \
                 is taken by {id} (environment of application `legacy`)"
            ),
            &format!("provision import --env staging console.beanstalk {id}"),
            "rename it in the spec: console.beanstalk.environment",
        ],
    );
    assert!(!text(&out).contains(&gone), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cname_prefix_taken_by_another_environment() {
    let acct = Account::new();
    let dir = acct.workdir();
    let aws = acct.aws().await;
    beanstalk_app(&aws, "legacy", &[]).await;
    let id = beanstalk_env(&aws, "legacy", "legacy-web", Some("agentpass-staging")).await;

    let out = acct.plan(dir.path(), "staging", &[]);
    assert_refused(
        &out,
        &[
            "1 name this plan would create is already taken",
            &format!(
                "console.beanstalk: the Beanstalk CNAME prefix `agentpass-staging` is taken by \
                 {id} (environment `legacy-web` of application `legacy`, whose CNAME is \
                 agentpass-staging.us-east-2.elasticbeanstalk.com)"
            ),
            "rename it in the spec: console.beanstalk.cname_prefix",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rest_api_and_an_api_key_of_the_same_names() {
    let acct = Account::new();
    let dir = acct.workdir();
    let aws = acct.aws().await;
    let api = aws
        .apigateway
        .create_rest_api()
        .name("agentpass-api-staging")
        .send()
        .await
        .unwrap();
    let key = aws
        .apigateway
        .create_api_key()
        .name("agentpass-staging-key")
        .send()
        .await
        .unwrap();
    // A key whose name only starts the same is no collision.
    aws.apigateway
        .create_api_key()
        .name("agentpass-staging-key-old")
        .send()
        .await
        .unwrap();
    let (api, key) = (api.id().unwrap(), key.id().unwrap());

    let out = acct.plan(dir.path(), "staging", &[]);
    assert_refused(
        &out,
        &[
            "2 names this plan would create are already taken",
            &format!("shared.api: the REST API name `agentpass-api-staging` is taken by {api}"),
            &format!("provision import --env staging shared.api {api}"),
            "rename it in the spec: api.name",
            &format!("shared.api_key: the API key name `agentpass-staging-key` is taken by {key}"),
            &format!("provision import --env staging shared.api_key {key}"),
            "rename it in the spec: api.api_key_name",
            "AWS would take a second one of this name",
        ],
    );
}

/// The state bucket's name (global) belongs to another account: refused before anything else,
/// naming the bucket and the spec field.
#[tokio::test(flavor = "multi_thread")]
async fn a_state_bucket_another_account_owns() {
    let acct = Account::new();
    let dir = acct.workdir();
    let squatter = acct.beside(); // bucket names are global on one emulator, as on AWS
    let theirs = squatter.aws().await;
    theirs
        .s3
        .create_bucket()
        .bucket(acct.bucket())
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsEast2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ours = acct.aws().await;
    let probe = ours.s3.head_bucket().bucket(acct.bucket()).send().await;
    assert!(
        probe.is_err(),
        "LocalStack serves another account's bucket: it runs without provision_ext's private \
         buckets; restart it (localstack/stop, localstack/start)"
    );

    let expected = [
        &format!("the state bucket `{}` is not this account's", acct.bucket()) as &str,
        "HeadBucket answers 403",
        "choose another name in the spec's `state.bucket`",
    ];
    assert_refused(&acct.plan(dir.path(), "staging", &[]), &expected);
    let out = acct.apply(dir.path(), "staging", &[]);
    assert_refused(&out, &expected);
    let vpcs = ours.ec2.describe_vpcs().send().await.unwrap();
    assert!(
        vpcs.vpcs().iter().all(|v| v.is_default() == Some(true)),
        "{vpcs:#?}"
    );
}

/// After a normal apply, a plan looks no name up; a replacement under the same name (its holder
/// is this environment's own) is no collision.
#[tokio::test(flavor = "multi_thread")]
async fn a_converged_plan_looks_nothing_up_and_own_names_are_no_collision() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);
    // From empty, each name is looked up once per plan (the first, and the one under the lock).
    assert_eq!(
        calls(&out, "Elastic Beanstalk", "CheckDNSAvailability"),
        2,
        "{}",
        text(&out)
    );

    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for (service, op, n) in [
        ("Elastic Beanstalk", "CheckDNSAvailability", 0),
        ("Elastic Beanstalk", "DescribeApplications", 1),
        ("Elastic Beanstalk", "DescribeEnvironments", 1),
        ("RDS", "DescribeDBInstances", 1),
        // The database shows its subnet group: no describe of the groups, no name lookup.
        ("RDS", "DescribeDBSubnetGroups", 0),
        ("API Gateway", "GetRestApis", 1),
        ("API Gateway", "GetApiKeys", 1),
    ] {
        assert_eq!(calls(&out, service, op), n, "{op}:\n{}", text(&out));
    }

    // A new CNAME prefix replaces the console environment under its own name.
    let path = d.join("specs/base.toml");
    let spec = std::fs::read_to_string(&path).unwrap();
    let spec = spec.replace(
        "cname_prefix = \"{project}-{env}\"",
        "cname_prefix = \"{project}-{env}-web\"",
    );
    std::fs::write(&path, spec).unwrap();
    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("replace, forced by cname_prefix"),
        "{}",
        text(&out)
    );
    assert_eq!(
        calls(&out, "Elastic Beanstalk", "CheckDNSAvailability"),
        1,
        "{}",
        text(&out)
    );
}
