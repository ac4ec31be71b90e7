//! Elastic Beanstalk end to end against LocalStack (`provision_ext`'s stateful Beanstalk):
//! applications and environments of the backend and console, converged applies, in-place
//! updates, `OptionsToRemove`, waiting through transitions, destroy. Each test runs in its own
//! LocalStack account. Nothing here depends on the RDS or API Gateway modules.

use crate::support;

use std::collections::BTreeMap;
use std::process::Output;
use std::time::Instant;

use crate::support::{Account, assert_ok, text};
use aws_sdk_elasticbeanstalk::types::{
    ConfigurationOptionSetting, EnvironmentDescription, EnvironmentStatus,
};
use provision::model::{Kind, TAG_ADDRESS, TAG_ENV, TAG_STACK};

type Client = aws_sdk_elasticbeanstalk::Client;

/// Mutating Elastic Beanstalk calls in a `--stats` report. Other services' resources in the
/// same stacks (RDS, API Gateway) belong to other modules' tests.
fn beanstalk_mutating(out: &Output) -> u64 {
    // A report without the header is no --stats report: say so rather than count 0.
    support::output::totals(out);
    let reads = ["Describe", "List", "Check", "Validate"];
    support::output::calls_where(out, "Elastic Beanstalk", |op| {
        !reads.iter().any(|r| op.starts_with(r))
    })
}

/// The plan's lines that change a Beanstalk resource.
fn beanstalk_changes(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| {
            ["+ ", "~ ", "- ", "-/+ "].iter().any(|m| l.starts_with(m)) && l.contains(".beanstalk")
        })
        .map(str::to_owned)
        .collect()
}

/// A plan that ran: 0 (no changes) or 2 (changes, possibly other modules' resources).
#[track_caller]
fn assert_ok_or_pending(out: &Output) {
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "plan failed:\n{}",
        text(out)
    );
}

/// The live (not terminated) environment of this name.
async fn environment(eb: &Client, name: &str) -> Option<EnvironmentDescription> {
    eb.describe_environments()
        .environment_names(name)
        .include_deleted(false)
        .send()
        .await
        .unwrap()
        .environments()
        .iter()
        .find(|e| e.status() != Some(&EnvironmentStatus::Terminated))
        .cloned()
}

/// `DescribeConfigurationSettings` as (namespace, option) -> value.
async fn settings(eb: &Client, app: &str, env: &str) -> BTreeMap<(String, String), String> {
    let out = eb
        .describe_configuration_settings()
        .application_name(app)
        .environment_name(env)
        .send()
        .await
        .unwrap();
    out.configuration_settings()
        .iter()
        .flat_map(|c| c.option_settings())
        .map(|s: &ConfigurationOptionSetting| {
            (
                (
                    s.namespace().unwrap_or_default().to_owned(),
                    s.option_name().unwrap_or_default().to_owned(),
                ),
                s.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn get<'a>(s: &'a BTreeMap<(String, String), String>, ns: &str, opt: &str) -> Option<&'a str> {
    s.get(&(ns.to_owned(), opt.to_owned())).map(String::as_str)
}

async fn tags(eb: &Client, arn: &str) -> BTreeMap<String, String> {
    eb.list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .resource_tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_backend_and_console_apply_converge_and_destroy() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let started = Instant::now();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    let backend = acct.apply_stack(d, "staging", "backend");
    assert_ok(&backend);
    let console = acct.apply_stack(d, "staging", "console");
    assert_ok(&console);
    eprintln!(
        "staging shared+backend+console applied in {:?}",
        started.elapsed()
    );
    for (out, stack) in [(&backend, "backend"), (&console, "console")] {
        let t = text(out);
        assert!(
            t.contains(&format!("+ {stack}.beanstalk_app: create")),
            "{t}"
        );
        assert!(t.contains(&format!("+ {stack}.beanstalk: create")), "{t}");
    }

    let ids = support::live_ids(&acct.aws().await, "staging").await;
    let id = |a: &str| ids[a].clone();
    let eb = acct.aws().await.beanstalk;

    // Backend: internal ALB in the private subnets.
    let env = environment(&eb, "agentpass-backend-staging").await.unwrap();
    assert_eq!(env.status(), Some(&EnvironmentStatus::Ready));
    assert_eq!(env.application_name(), Some("agentpass-backend-staging"));
    assert_eq!(
        env.solution_stack_name(),
        Some("64bit Amazon Linux 2023 v6.11.5 running Node.js 24")
    );
    assert_eq!(env.tier().and_then(|t| t.name()), Some("WebServer"));
    assert!(
        env.endpoint_url().unwrap().starts_with("internal-"),
        "{env:?}"
    );
    let s = settings(
        &eb,
        "agentpass-backend-staging",
        "agentpass-backend-staging",
    )
    .await;
    let private = format!(
        "{},{}",
        id("shared.subnet.private-a"),
        id("shared.subnet.private-b")
    );
    assert_eq!(
        get(&s, "aws:ec2:vpc", "VPCId"),
        Some(id("shared.vpc").as_str())
    );
    assert_eq!(get(&s, "aws:ec2:vpc", "Subnets"), Some(private.as_str()));
    assert_eq!(get(&s, "aws:ec2:vpc", "ELBSubnets"), Some(private.as_str()));
    assert_eq!(get(&s, "aws:ec2:vpc", "ELBScheme"), Some("internal"));
    assert_eq!(
        get(&s, "aws:ec2:instances", "InstanceTypes"),
        Some("t3.micro")
    );
    assert_eq!(get(&s, "aws:autoscaling:asg", "MinSize"), Some("1"));
    assert_eq!(get(&s, "aws:autoscaling:asg", "MaxSize"), Some("1"));
    assert_eq!(
        get(&s, "aws:elasticbeanstalk:environment", "LoadBalancerType"),
        Some("application")
    );
    assert_eq!(
        get(&s, "aws:autoscaling:launchconfiguration", "SecurityGroups"),
        Some(id("shared.security_group.backend-app").as_str())
    );
    assert_eq!(
        get(&s, "aws:elbv2:loadbalancer", "SecurityGroups"),
        Some(id("shared.security_group.internal-lb").as_str())
    );
    assert_eq!(
        get(
            &s,
            "aws:elasticbeanstalk:environment:process:default",
            "HealthCheckPath"
        ),
        Some("/health")
    );
    assert_eq!(
        get(
            &s,
            "aws:elasticbeanstalk:application:environment",
            "NODE_ENV"
        ),
        Some("production")
    );
    let t = tags(&eb, env.environment_arn().unwrap()).await;
    assert_eq!(t.get(TAG_ENV).map(String::as_str), Some("staging"));
    assert_eq!(t.get(TAG_STACK).map(String::as_str), Some("backend"));
    assert_eq!(
        t.get(TAG_ADDRESS).map(String::as_str),
        Some("backend.beanstalk")
    );
    assert_eq!(t.get("Project").map(String::as_str), Some("agentpass"));

    // Console: public ALB in the public subnets, instances private, the spec's CNAME prefix.
    let env = environment(&eb, "agentpass-console-staging").await.unwrap();
    assert_eq!(
        env.cname(),
        Some("agentpass-staging.us-east-2.elasticbeanstalk.com")
    );
    assert!(!env.endpoint_url().unwrap().starts_with("internal-"));
    let s = settings(
        &eb,
        "agentpass-console-staging",
        "agentpass-console-staging",
    )
    .await;
    let public = format!(
        "{},{}",
        id("shared.subnet.public-a"),
        id("shared.subnet.public-b")
    );
    assert_eq!(get(&s, "aws:ec2:vpc", "ELBSubnets"), Some(public.as_str()));
    assert_eq!(get(&s, "aws:ec2:vpc", "Subnets"), Some(private.as_str()));
    assert_eq!(get(&s, "aws:ec2:vpc", "ELBScheme"), Some("public"));
    assert_eq!(
        get(&s, "aws:elbv2:loadbalancer", "SecurityGroups"),
        Some(id("shared.security_group.public-lb").as_str())
    );
    let apps = eb.describe_applications().send().await.unwrap();
    let app = apps
        .applications()
        .iter()
        .find(|a| a.application_name() == Some("agentpass-console-staging"))
        .unwrap();
    assert_eq!(app.description(), Some("agentpass console (staging)"));
    let t = tags(&eb, app.application_arn().unwrap()).await;
    assert_eq!(
        t.get(TAG_ADDRESS).map(String::as_str),
        Some("console.beanstalk_app")
    );

    // Our read finds all four, with references back to the shared stack.
    let live = acct
        .aws()
        .await
        .read(&support::owner("staging"))
        .await
        .unwrap();
    let eb_kinds = live
        .resources
        .keys()
        .filter(|a| matches!(a.kind, Kind::BeanstalkApp | Kind::BeanstalkEnv))
        .count();
    assert_eq!(eb_kinds, 4);

    // Converged: plans are empty, applies make no mutating call.
    for stack in ["backend", "console"] {
        let plan = acct.plan(d, "staging", &["--stack", stack]);
        assert_ok_or_pending(&plan);
        assert_eq!(
            beanstalk_changes(&plan),
            Vec::<String>::new(),
            "{}",
            text(&plan)
        );
        let again = acct.apply_stack(d, "staging", stack);
        assert_ok(&again);
        assert_eq!(beanstalk_mutating(&again), 0, "{}", text(&again));
    }

    // Destroy removes the environments (terminated) and applications.
    let started = Instant::now();
    assert_ok(&acct.destroy(d, "staging", &[]));
    eprintln!("staging destroyed in {:?}", started.elapsed());
    assert!(
        environment(&eb, "agentpass-backend-staging")
            .await
            .is_none()
    );
    assert!(
        environment(&eb, "agentpass-console-staging")
            .await
            .is_none()
    );
    let apps = eb.describe_applications().send().await.unwrap();
    assert!(apps.applications().is_empty(), "{apps:?}");
    assert!(
        acct.aws()
            .await
            .read(&support::owner("staging"))
            .await
            .unwrap()
            .resources
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn production_scaling_and_removed_settings_update_in_place() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "production", "shared"));
    assert_ok(&acct.apply_stack(d, "production", "backend"));
    let eb = acct.aws().await.beanstalk;
    let name = "agentpass-backend-production";
    let id = environment(&eb, name)
        .await
        .unwrap()
        .environment_id()
        .unwrap()
        .to_owned();
    let s = settings(&eb, name, name).await;
    assert_eq!(
        get(&s, "aws:ec2:instances", "InstanceTypes"),
        Some("t3.small")
    );
    assert_eq!(get(&s, "aws:autoscaling:asg", "MaxSize"), Some("2"));

    // Max instances 2 -> 3: one in-place update of the same environment.
    let prod = d.join("specs/production.toml");
    let spec = std::fs::read_to_string(&prod).unwrap();
    assert!(spec.contains("max_instances = 2"));
    std::fs::write(
        &prod,
        spec.replacen("max_instances = 2", "max_instances = 3", 1),
    )
    .unwrap();
    let plan = acct.plan(d, "production", &["--stack", "backend"]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
    let changes = beanstalk_changes(&plan);
    assert_eq!(changes.len(), 1, "{}", text(&plan));
    assert!(
        changes[0].starts_with("~ backend.beanstalk (e-"),
        "{changes:?}"
    );
    let out = acct.apply_stack(d, "production", "backend");
    assert_ok(&out);
    let env = environment(&eb, name).await.unwrap();
    assert_eq!(env.environment_id(), Some(id.as_str()), "updated in place");
    assert_eq!(env.status(), Some(&EnvironmentStatus::Ready));
    let s = settings(&eb, name, name).await;
    assert_eq!(get(&s, "aws:autoscaling:asg", "MaxSize"), Some("3"));
    let again = acct.apply_stack(d, "production", "backend");
    assert_ok(&again);
    assert_eq!(beanstalk_mutating(&again), 0, "{}", text(&again));

    // A setting dropped from the spec is removed (OptionsToRemove), not left behind.
    let base = d.join("specs/base.toml");
    let spec = std::fs::read_to_string(&base).unwrap();
    let removed = "NODE_ENV = \"production\"\n";
    assert!(spec.contains(removed));
    std::fs::write(&base, spec.replace(removed, "")).unwrap();
    let plan = acct.plan(d, "production", &["--stack", "backend"]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
    assert!(text(&plan).contains("NODE_ENV"), "{}", text(&plan));
    assert!(
        beanstalk_changes(&plan)
            .iter()
            .all(|l| l.starts_with("~ backend.beanstalk (e-")),
        "{}",
        text(&plan)
    );
    assert_ok(&acct.apply_stack(d, "production", "backend"));
    let s = settings(&eb, name, name).await;
    assert_eq!(
        get(
            &s,
            "aws:elasticbeanstalk:application:environment",
            "NODE_ENV"
        ),
        None
    );
    assert_eq!(get(&s, "aws:autoscaling:asg", "MaxSize"), Some("3"));
    let env = environment(&eb, name).await.unwrap();
    assert_eq!(env.environment_id(), Some(id.as_str()));
    let again = acct.apply_stack(d, "production", "backend");
    assert_ok(&again);
    assert_eq!(beanstalk_mutating(&again), 0, "{}", text(&again));

    // A new tag: UpdateTagsForResource on the application and the environment, in place.
    let spec = std::fs::read_to_string(&base).unwrap();
    std::fs::write(
        &base,
        spec.replacen(
            "ManagedBy = \"provision\"",
            "ManagedBy = \"provision\"\nTeam = \"platform\"",
            1,
        ),
    )
    .unwrap();
    assert_ok(&acct.apply_stack(d, "production", "backend"));
    let env = environment(&eb, name).await.unwrap();
    assert_eq!(env.environment_id(), Some(id.as_str()));
    assert_eq!(env.status(), Some(&EnvironmentStatus::Ready));
    let t = tags(&eb, env.environment_arn().unwrap()).await;
    assert_eq!(t.get("Team").map(String::as_str), Some("platform"));
    let apps = eb.describe_applications().send().await.unwrap();
    let app = apps.applications().first().unwrap();
    let t = tags(&eb, app.application_arn().unwrap()).await;
    assert_eq!(t.get("Team").map(String::as_str), Some("platform"));
    std::fs::write(&base, spec).unwrap();
    assert_ok(&acct.apply_stack(d, "production", "backend"));
    let env = environment(&eb, name).await.unwrap();
    let t = tags(&eb, env.environment_arn().unwrap()).await;
    assert_eq!(t.get("Team"), None);

    // A setting Beanstalk rejects: the error names the resource, the call and AWS's code.
    let spec = std::fs::read_to_string(&base).unwrap();
    let bogus = "\n[backend.beanstalk.settings.\"aws:autoscaling:asg\"]\nBogusOption = \"1\"\n";
    std::fs::write(&base, format!("{spec}{bogus}")).unwrap();
    let out = acct.apply_stack(d, "production", "backend");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("backend.beanstalk: UpdateEnvironment failed: ConfigurationValidationException"),
        "{t}"
    );
    assert!(t.contains("BogusOption"), "{t}");
    std::fs::write(&base, spec).unwrap();
    let plan = acct.plan(d, "production", &["--stack", "backend"]);
    assert_ok_or_pending(&plan);
    assert_eq!(
        beanstalk_changes(&plan),
        Vec::<String>::new(),
        "{}",
        text(&plan)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_waits_through_launching_and_updating() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    let eb = acct.aws().await.beanstalk;
    let name = "agentpass-backend-staging";

    let delay = support::SlowBeanstalk::new(3);
    let started = Instant::now();
    assert_ok(&acct.apply_stack(d, "staging", "backend"));
    let created = started.elapsed();
    eprintln!("create through Launching (3 s delay): {created:?}");
    assert_eq!(
        environment(&eb, name).await.unwrap().status(),
        Some(&EnvironmentStatus::Ready)
    );

    // Someone else's update is in flight when provision wants to change the environment:
    // provision waits for Ready, makes its update, and waits again.
    let busy = eb
        .update_environment()
        .environment_name(name)
        .option_settings(
            ConfigurationOptionSetting::builder()
                .namespace("aws:autoscaling:asg")
                .option_name("Cooldown")
                .value("600")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), Some(&EnvironmentStatus::Updating));
    let base = d.join("specs/base.toml");
    let spec = std::fs::read_to_string(&base).unwrap();
    std::fs::write(
        &base,
        spec.replacen(
            "HealthCheckPath = \"/health\"",
            "HealthCheckPath = \"/healthz\"",
            1,
        ),
    )
    .unwrap();
    let started = Instant::now();
    let out = acct.apply_stack(d, "staging", "backend");
    assert_ok(&out);
    eprintln!(
        "update through Updating (3 s delay): {:?}",
        started.elapsed()
    );
    let s = settings(&eb, name, name).await;
    assert_eq!(
        get(
            &s,
            "aws:elasticbeanstalk:environment:process:default",
            "HealthCheckPath"
        ),
        Some("/healthz")
    );
    // The other writer's setting is not ours to compare: left as it is.
    assert_eq!(get(&s, "aws:autoscaling:asg", "Cooldown"), Some("600"));

    // Destroy waits through Terminating before the application can go.
    let started = Instant::now();
    assert_ok(&acct.destroy(d, "staging", &["--stack", "backend"]));
    eprintln!(
        "destroy through Terminating (3 s delay): {:?}",
        started.elapsed()
    );
    drop(delay);
    assert!(environment(&eb, name).await.is_none());
    let apps = eb.describe_applications().send().await.unwrap();
    assert!(apps.applications().is_empty(), "{apps:?}");
}

/// AWS fixes an environment's load balancer type at creation ("LoadBalancer type option cannot
/// be changed."): a spec that changes it plans a replace, and apply builds a new environment
/// rather than sending an update the emulator (like AWS) refuses.
#[tokio::test(flavor = "multi_thread")]
async fn load_balancer_type_change_replaces_the_environment() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    // The console reads the backend's API stage (API_URL): the seed's order, backend first.
    assert_ok(&acct.apply_stack(d, "staging", "backend"));
    assert_ok(&acct.apply_stack(d, "staging", "console"));
    let eb = acct.aws().await.beanstalk;
    let name = "agentpass-console-staging";
    let before = environment(&eb, name).await.unwrap();

    let base = d.join("specs/base.toml");
    let spec = std::fs::read_to_string(&base).unwrap();
    let alb = "load_balancer = \"application\"\nload_balancer_scheme = \"public\"\n";
    let lb_lists = "load_balancer_subnets = [\"public-a\", \"public-b\"]\nsecurity_groups = [\"console-app\"]\nload_balancer_security_groups = [\"public-lb\"]\n";
    assert!(spec.contains(alb) && spec.contains(lb_lists));
    let spec = spec
        .replacen(alb, "load_balancer = \"none\"\n", 1)
        .replacen(lb_lists, "security_groups = [\"console-app\"]\n", 1);
    std::fs::write(&base, spec).unwrap();

    let plan = acct.plan(d, "staging", &["--stack", "console"]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
    let t = text(&plan);
    assert!(
        t.contains("replace, forced by settings.aws:elasticbeanstalk:environment.LoadBalancerType"),
        "{t}"
    );
    assert_ok(&acct.apply_stack(d, "staging", "console"));
    let after = environment(&eb, name).await.unwrap();
    assert_ne!(after.environment_id(), before.environment_id(), "replaced");
    let s = settings(&eb, name, name).await;
    assert_eq!(
        get(&s, "aws:elasticbeanstalk:environment", "EnvironmentType"),
        Some("SingleInstance")
    );
    let again = acct.plan(d, "staging", &["--stack", "console"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
}

/// Beanstalk adds `awseb-…` security groups of its own to an environment (listed in its
/// `SecurityGroups` settings) and to the VPC unless told not to: after an apply the plan is
/// empty and drift finds nothing unmanaged.
#[tokio::test(flavor = "multi_thread")]
async fn beanstalk_made_security_groups_cause_no_diff_and_no_drift() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    // The console reads the backend's API stage (API_URL): the seed's order, backend first.
    assert_ok(&acct.apply_stack(d, "staging", "backend"));
    assert_ok(&acct.apply_stack(d, "staging", "console"));
    let plan = acct.plan(d, "staging", &["--stack", "console"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let drift = acct.provision(d, &["drift", "--env", "staging", "--stack", "console"]);
    let t = text(&drift);
    assert_eq!(drift.status.code(), Some(0), "{t}");
    assert!(t.contains("0 unmanaged"), "{t}");

    // Whatever Beanstalk still makes (none here: both opt-outs are set) is not in the settings.
    let eb = acct.aws().await.beanstalk;
    let name = "agentpass-console-staging";
    let s = settings(&eb, name, name).await;
    assert_eq!(
        get(
            &s,
            "aws:autoscaling:launchconfiguration",
            "DisableDefaultEC2SecurityGroup"
        ),
        Some("true")
    );
    for ns in [
        "aws:autoscaling:launchconfiguration",
        "aws:elbv2:loadbalancer",
    ] {
        let groups = get(&s, ns, "SecurityGroups").unwrap();
        assert_eq!(groups.split(',').count(), 1, "{ns}: {groups}");
    }
}

/// A launch that fails says why: the emulator, like AWS, terminates an environment without an
/// instance profile and logs the cause as an ERROR event, which the error repeats.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_launch_shows_its_error_events() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    // A profile IAM does not have, named in the spec's own settings (which win over the
    // profile provision makes).
    let base = d.join("specs/base.toml");
    let spec = std::fs::read_to_string(&base).unwrap();
    let ghost = "[backend.beanstalk.settings.\"aws:autoscaling:launchconfiguration\"]\nIamInstanceProfile = \"agentpass-ghost\"\n\n[backend.database]";
    std::fs::write(&base, spec.replacen("[backend.database]", ghost, 1)).unwrap();
    let out = acct.apply_stack(d, "staging", "backend");
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(t.contains("Terminated instead of becoming Ready"), "{t}");
    assert!(
        t.contains(
            "The instance profile agentpass-ghost associated with the environment does not exist."
        ),
        "{t}"
    );
    assert!(t.contains("Failed to launch environment."), "{t}");
}

const NODE24_NEWEST: &str = "64bit Amazon Linux 2023 v6.11.5 running Node.js 24";

/// The spec names a platform branch: a new environment gets the branch's newest version; when
/// AWS releases a newer one, a plan that changes the environment shows it as a note, and
/// nothing moves to it until `--upgrade-platform`, which updates the environment in place.
#[tokio::test(flavor = "multi_thread")]
async fn a_platform_branch_resolves_to_its_newest_version_and_upgrades_only_when_asked() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    // The console reads the backend's API stage (API_URL): the seed's order, backend first.
    assert_ok(&acct.apply_stack(d, "staging", "backend"));
    assert_ok(&acct.apply_stack(d, "staging", "console"));
    let eb = acct.aws().await.beanstalk;
    let name = "agentpass-console-staging";
    let before = environment(&eb, name).await.unwrap();
    assert_eq!(before.solution_stack_name(), Some(NODE24_NEWEST));

    let released = "64bit Amazon Linux 2023 v6.12.0 running Node.js 24";
    acct.http_post(
        "/_provision/elasticbeanstalk/platforms",
        &format!(
            r#"{{"account_id": "{}", "region": "us-east-2", "solution_stack": "{released}"}}"#,
            acct.id
        ),
    );
    let console = ["--env", "staging", "--stack", "console"];
    // Converged, a newer version is not a change; and a plan that changes no environment
    // does not ask for the versions (docs/operations.md, "Platform versions"): no note.
    let plan = acct.provision(d, &[&["plan", "--stats"][..], &console].concat());
    let t = text(&plan);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "a newer version is not a change: {t}"
    );
    assert!(!t.contains("is available"), "{t}");
    for op in ["ListAvailableSolutionStacks", "ListPlatformBranches"] {
        let n = support::output::calls(&plan, "Elastic Beanstalk", op);
        assert_eq!(n, 0, "{op}: {t}");
    }
    // A plan that changes the environment tells of the newer version on its change.
    let (section, sized) = (
        "[console.beanstalk]\n",
        "[console.beanstalk]\ninstance_type = \"t3.small\"\n",
    );
    support::edit(d, "staging.toml", section, sized);
    let plan = acct.provision(d, &[&["plan"][..], &console].concat());
    let t = text(&plan);
    assert_eq!(plan.status.code(), Some(2), "{t}");
    assert!(t.contains(&format!("`{released}` is available")), "{t}");
    assert!(t.contains("--upgrade-platform"), "{t}");
    support::edit(d, "staging.toml", sized, section);
    let drift = acct.provision(d, &[&["drift"][..], &console].concat());
    assert_eq!(drift.status.code(), Some(0), "{}", text(&drift));

    let preview = acct.provision(d, &[&["plan", "--upgrade-platform"][..], &console].concat());
    assert_eq!(preview.status.code(), Some(2), "{}", text(&preview));
    let up = acct.provision(
        d,
        &[
            &["apply", "--auto-approve", "--upgrade-platform"][..],
            &console,
        ]
        .concat(),
    );
    assert_ok(&up);
    let after = environment(&eb, name).await.unwrap();
    assert_eq!(after.solution_stack_name(), Some(released));
    assert_eq!(
        after.environment_id(),
        before.environment_id(),
        "updated in place"
    );
    let again = acct.provision(d, &[&["plan"][..], &console].concat());
    let t = text(&again);
    assert_eq!(again.status.code(), Some(0), "{t}");
    assert!(!t.contains("is available"), "{t}");
}

/// A pinned solution stack that AWS no longer launches is refused by the plan, naming the spec
/// field and the branch's current version, before anything is created (AWS would refuse it
/// only at CreateEnvironment, after the network and the database).
#[tokio::test(flavor = "multi_thread")]
async fn a_retired_pinned_stack_is_refused_before_any_change() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let retired = "64bit Amazon Linux 2023 v6.6.0 running Node.js 24";
    support::edit(
        d,
        "base.toml",
        "platform = \"Node.js 24 running on 64bit Amazon Linux 2023\"",
        &format!("solution_stack = \"{retired}\""),
    );
    let out = acct.apply(d, "staging", &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("backend.beanstalk.solution_stack ("), "{t}");
    assert!(t.contains("base.toml:99)"), "{t}");
    assert!(
        t.contains(&format!("does not list the solution stack `{retired}`")),
        "{t}"
    );
    assert!(t.contains(NODE24_NEWEST), "{t}");
    assert!(t.contains("nothing was changed"), "{t}");
    let created = support::census::by_kind(&acct.aws().await, "staging").await;
    assert!(created.values().all(|n| *n == 0), "{created:?}");
}

const NODE24: &str = "Node.js 24 running on 64bit Amazon Linux 2023";

/// `POST /_provision/elasticbeanstalk/branches`: AWS moves a branch to another lifecycle state,
/// in this account only.
fn set_lifecycle(acct: &Account, branch: &str, state: &str) {
    acct.http_post(
        "/_provision/elasticbeanstalk/branches",
        &format!(
            r#"{{"account_id": "{}", "region": "{}", "branch": "{branch}", "lifecycle_state": "{state}"}}"#,
            acct.id,
            support::REGION
        ),
    );
}

/// The default branch is supported: no warning. Deprecated, every plan that changes an
/// environment (here: creates both) warns on each environment on it, still planning. A spec on a retired branch (Node.js 20, retired
/// 2026-07-31) is refused before any change, naming the spec line and the branch to move to,
/// the newest supported one of the platform as `ListPlatformBranches` reports it.
#[tokio::test(flavor = "multi_thread")]
async fn plans_read_the_platform_branch_lifecycle() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let plan = || acct.plan(d, "staging", &[]);
    let out = plan();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(!t.contains("deprecated"), "{t}");
    assert_eq!(
        support::output::calls(&out, "Elastic Beanstalk", "ListPlatformBranches"),
        1,
        "one call for both environments' branch: {t}"
    );

    set_lifecycle(&acct, NODE24, "deprecated");
    let out = plan();
    let t = text(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a deprecated branch still plans: {t}"
    );
    for env in ["backend.beanstalk", "console.beanstalk"] {
        assert!(
            t.contains(&format!(
                "{env}: warning: platform: Elastic Beanstalk has deprecated the branch `{NODE24}`"
            )),
            "{t}"
        );
    }
    assert!(t.contains("no retirement date"), "{t}");

    support::edit(
        d,
        "base.toml",
        &format!("platform = \"{NODE24}\""),
        "platform = \"Node.js 20 running on 64bit Amazon Linux 2023\"",
    );
    let out = acct.apply(d, "staging", &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("backend.beanstalk.platform ("), "{t}");
    assert!(t.contains("base.toml:99)"), "{t}");
    assert!(
        t.contains(
            "retired the platform branch `Node.js 20 running on 64bit Amazon Linux 2023` on 2026-07-31"
        ),
        "{t}"
    );
    // Node.js 24 is deprecated in this account: the newest supported branch is 22.
    assert!(
        t.contains("move to `Node.js 22 running on 64bit Amazon Linux 2023`"),
        "{t}"
    );
    assert!(!t.contains("console.beanstalk.platform"), "{t}");
    assert!(t.contains("nothing was changed"), "{t}");
    let created = support::census::by_kind(&acct.aws().await, "staging").await;
    assert!(created.values().all(|n| *n == 0), "{created:?}");
}

/// `POST /_provision/elasticbeanstalk/health`: the environment's next Ready is Red / Severe
/// for `red_seconds` (null: for good).
fn health_blip(acct: &Account, environment: &str, red_seconds: Option<u32>) {
    let seconds = red_seconds.map_or("null".to_owned(), |s| s.to_string());
    acct.http_post(
        "/_provision/elasticbeanstalk/health",
        &format!(
            r#"{{"account_id": "{}", "region": "{}", "environment_name": "{environment}", "red_seconds": {seconds}}}"#,
            acct.id,
            support::REGION
        ),
    );
}

/// After a configuration update an environment can be Ready and Red while its targets
/// register: apply waits it out (saying so) and succeeds. Red past the bound
/// (`PROVISION_HEALTH_TIMEOUT`), apply fails naming the environment's WARN events.
#[tokio::test(flavor = "multi_thread")]
async fn a_health_blip_is_waited_out_and_a_lasting_one_names_its_events() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    assert_ok(&acct.apply_stack(d, "staging", "backend"));
    let eb = acct.aws().await.beanstalk;
    let name = "agentpass-backend-staging";
    let path = |p: &str| {
        (
            format!("HealthCheckPath = \"{p}\""),
            format!("HealthCheckPath = \"{p}z\""),
        )
    };

    health_blip(&acct, name, Some(2));
    let (from, to) = path("/health");
    support::edit(d, "base.toml", &from, &to);
    let started = Instant::now();
    let out = acct.apply_stack(d, "staging", "backend");
    assert_ok(&out);
    let t = text(&out);
    assert!(
        t.contains("is Ready but its health is Red (Severe): waiting up to 600 s"),
        "{t}"
    );
    assert!(started.elapsed().as_secs() >= 2, "{:?}", started.elapsed());
    let env = environment(&eb, name).await.unwrap();
    assert_eq!(env.health().map(|h| h.as_str()), Some("Green"));

    health_blip(&acct, name, None);
    let (from, to) = path("/healthz");
    support::edit(d, "base.toml", &from, &to);
    let out = acct
        .command(
            d,
            &[
                "apply",
                "--env",
                "staging",
                "--stack",
                "backend",
                "--auto-approve",
            ],
        )
        .env("PROVISION_HEALTH_TIMEOUT", "1")
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("backend.beanstalk"), "{t}");
    assert!(
        t.contains("is Ready but its health stayed Red (Severe) for 1 s"),
        "{t}"
    );
    assert!(
        t.contains(
            "its recent WARN and ERROR events: [WARN] Environment health has transitioned from \
             Pending to Severe. ELB health is failing or not available for all instances."
        ),
        "{t}"
    );
    // The update itself went through: the next plan has nothing left for the environment.
    let plan = acct.plan(d, "staging", &["--stack", "backend"]);
    assert!(beanstalk_changes(&plan).is_empty(), "{}", text(&plan));
}
