//! IAM end to end against LocalStack: the Beanstalk environments' roles and instance profiles
//! are created with their policies, referenced by the environments, converge to an empty plan,
//! show a hand-detached policy as drift that apply puts back, and go with destroy. Each test
//! runs in its own LocalStack account.

use std::collections::BTreeSet;

use crate::support::{Account, assert_ok, text};

const WEB_TIER: &str = "arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier";
const ENHANCED_HEALTH: &str =
    "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth";
const MANAGED_UPDATES: &str =
    "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy";

async fn attached(iam: &aws_sdk_iam::Client, role: &str) -> BTreeSet<String> {
    iam.list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap()
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect()
}

async fn setting(aws: &provision::aws::Aws, env: &str, ns: &str, opt: &str) -> Option<String> {
    let out = aws
        .beanstalk
        .describe_configuration_settings()
        .application_name(env)
        .environment_name(env)
        .send()
        .await
        .unwrap();
    out.configuration_settings()
        .first()?
        .option_settings()
        .iter()
        .find(|o| o.namespace() == Some(ns) && o.option_name() == Some(opt))
        .and_then(|o| o.value().map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_roles_apply_converge_drift_and_destroy() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);
    let t = text(&out);
    for created in [
        "+ backend.iam_role.instance: create",
        "+ backend.iam_role.service: create",
        "+ backend.instance_profile: create",
        "+ console.iam_role.instance: create",
        "+ console.iam_role.service: create",
        "+ console.instance_profile: create",
    ] {
        assert!(t.contains(created), "{created}\n{t}");
    }

    let aws = acct.aws().await;
    let iam = aws.iam.clone();
    let role = "agentpass-staging-backend-ec2";
    assert_eq!(
        attached(&iam, role).await,
        BTreeSet::from([WEB_TIER.into()])
    );
    let service = attached(&iam, "agentpass-staging-backend-eb-service").await;
    assert_eq!(
        service,
        BTreeSet::from([ENHANCED_HEALTH.into(), MANAGED_UPDATES.into()])
    );
    let inline = iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap();
    assert_eq!(inline.policy_names(), ["read-database-secret"]);
    let console_inline = iam
        .list_role_policies()
        .role_name("agentpass-staging-console-ec2")
        .send()
        .await
        .unwrap();
    assert!(
        console_inline.policy_names().is_empty(),
        "no secret for the console"
    );
    let profile = iam
        .get_instance_profile()
        .instance_profile_name("agentpass-staging-backend-ec2-profile")
        .send()
        .await
        .unwrap();
    let roles: Vec<&str> = profile
        .instance_profile()
        .unwrap()
        .roles()
        .iter()
        .map(|r| r.role_name())
        .collect();
    assert_eq!(roles, [role]);
    let env = "agentpass-backend-staging";
    assert_eq!(
        setting(
            &aws,
            env,
            "aws:autoscaling:launchconfiguration",
            "IamInstanceProfile"
        )
        .await
        .as_deref(),
        Some("agentpass-staging-backend-ec2-profile")
    );
    assert_eq!(
        setting(&aws, env, "aws:elasticbeanstalk:environment", "ServiceRole")
            .await
            .as_deref(),
        Some("agentpass-staging-backend-eb-service")
    );

    // Converged: nothing to do.
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));

    // A policy detached by hand is drift, and apply attaches it again.
    iam.detach_role_policy()
        .role_name(role)
        .policy_arn(WEB_TIER)
        .send()
        .await
        .unwrap();
    let drift = acct.provision(d, &["drift", "--env", "staging"]);
    let t = text(&drift);
    assert_eq!(drift.status.code(), Some(2), "{t}");
    assert!(
        t.contains("backend.iam_role.instance") && t.contains("managed_policies"),
        "{t}"
    );
    assert_ok(&acct.apply(d, "staging", &[]));
    assert_eq!(
        attached(&iam, role).await,
        BTreeSet::from([WEB_TIER.into()])
    );
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));

    // Destroy takes the roles and profiles with it.
    assert_ok(&acct.destroy(d, "staging", &[]));
    let left = iam.list_roles().send().await.unwrap();
    let ours: Vec<&str> = left
        .roles()
        .iter()
        .map(|r| r.role_name())
        .filter(|n| n.starts_with("agentpass"))
        .collect();
    assert!(ours.is_empty(), "{ours:?}");
    let profiles = iam.list_instance_profiles().send().await.unwrap();
    assert!(profiles.instance_profiles().is_empty(), "{profiles:?}");
}
