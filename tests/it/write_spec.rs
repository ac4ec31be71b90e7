//! Writing AWS's values into the spec files on LocalStack: `import --write-spec` takes over a
//! network Terraform built with its own names and descriptions (immutable in AWS) by writing
//! them into the environment's file, and `drift --accept` writes values changed outside
//! provision into the file that sets them. Comments and layout stay, byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use aws_sdk_ec2::types::{AttributeBooleanValue, IpPermission, IpRange};
use serde_json::json;

use crate::support::handmade::{Handmade, Made};
use crate::support::output::changes;
use crate::support::{Account, HandVpc, assert_ok, live_ids, text};

const TERRAFORM: &str = "Managed by Terraform";

fn spec(d: &Path, file: &str) -> String {
    std::fs::read_to_string(d.join("specs").join(file)).unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Terraform's network for staging: the VPC, its four subnets and five groups with Terraform's
/// names and the AWS provider's default description, as Terraform 1.x would record them.
async fn terraform_network(
    aws: &provision::aws::Aws,
) -> (Handmade, BTreeMap<&'static str, String>) {
    let subnets = [
        ("public_a", "10.2.1.0/24", "us-east-2a"),
        ("public_b", "10.2.2.0/24", "us-east-2b"),
        ("private_a", "10.2.10.0/24", "us-east-2a"),
        ("private_b", "10.2.11.0/24", "us-east-2b"),
    ];
    let wanted: Vec<(&str, &str)> = subnets.iter().map(|(_, c, az)| (*c, *az)).collect();
    let vpc = HandVpc::make(
        aws,
        "10.2.0.0/16",
        &[("Name", "agentpass-staging")],
        &wanted,
    )
    .await;
    aws.ec2
        .modify_vpc_attribute()
        .vpc_id(&vpc.id)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    let made = |tf_type, tf_name, id: &str, attributes| Made {
        address: None,
        import_id: id.to_owned(),
        stack: "shared",
        tf_type,
        tf_name,
        attributes,
    };
    let mut all = vec![made(
        "aws_vpc",
        "main",
        &vpc.id,
        json!({"id": vpc.id, "cidr_block": "10.2.0.0/16", "enable_dns_hostnames": true,
               "enable_dns_support": true}),
    )];
    for ((tf_name, cidr, az), id) in subnets.iter().zip(&vpc.subnets) {
        all.push(made(
            "aws_subnet",
            tf_name,
            id,
            json!({"id": id, "vpc_id": vpc.id, "cidr_block": cidr, "availability_zone": az}),
        ));
    }
    let mut groups = BTreeMap::new();
    for (tf_name, suffix) in [
        ("alb_public", "alb-public-sg"),
        ("alb_internal", "alb-internal-sg"),
        ("backend", "backend-sg"),
        ("console", "console-sg"),
        ("rds", "rds-sg"),
    ] {
        let name = format!("agentpass-staging-{suffix}");
        let id = aws
            .ec2
            .create_security_group()
            .group_name(&name)
            .description(TERRAFORM)
            .vpc_id(&vpc.id)
            .send()
            .await
            .unwrap()
            .group_id()
            .unwrap()
            .to_owned();
        all.push(made(
            "aws_security_group",
            tf_name,
            &id,
            json!({"id": id, "name": name, "description": TERRAFORM, "vpc_id": vpc.id}),
        ));
        groups.insert(tf_name, id);
    }
    (Handmade { made: all }, groups)
}

/// The acceptance: Terraform's names and descriptions are written into staging.toml
/// (comments kept), the network is imported without a create, replace or delete of anything
/// Terraform held, and the plan then adds only what the spec has beyond it.
#[tokio::test(flavor = "multi_thread")]
async fn a_network_terraform_named_is_taken_over_with_its_names_written_into_the_spec() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let aws = acct.aws().await;
    let (made, groups) = terraform_network(&aws).await;
    std::fs::create_dir_all(d.join("tf")).unwrap();
    let state = serde_json::to_string_pretty(&made.terraform_state("shared")).unwrap();
    std::fs::write(d.join("tf/terraform.tfstate"), state).unwrap();

    // Four groups: the operator states which is which (their names), as `--map` would; the
    // descriptions are left for --write-spec. The database's group is left for later.
    let before = spec(d, "staging.toml");
    let mut stated = before.clone();
    for (key, suffix) in [
        ("public-lb", "alb-public-sg"),
        ("internal-lb", "alb-internal-sg"),
        ("backend-app", "backend-sg"),
        ("console-app", "console-sg"),
    ] {
        stated.push_str(&format!(
            "\n[security_groups.{key}]\nname = \"agentpass-staging-{suffix}\"\n"
        ));
    }
    std::fs::write(d.join("specs/staging.toml"), &stated).unwrap();
    let tf = ["import", "--env", "staging", "--from-terraform", "tf"];
    let out = acct.provision(d, &[&tf[..], &["--dry-run"]].concat());
    assert_ok(&out);
    let shown = stdout(&out);
    for key in ["public-lb", "internal-lb", "backend-app", "console-app"] {
        assert!(
            shown.contains(&format!(
                " [security_groups.{key}]\n name = \"agentpass-staging-"
            )),
            "{shown}"
        );
    }
    assert_eq!(
        shown
            .matches("+description = \"Managed by Terraform\"")
            .count(),
        4,
        "{shown}"
    );
    assert_eq!(spec(d, "staging.toml"), stated, "a dry run writes nothing");
    // In JSON, stdout is the mapping alone and the lines go to stderr.
    let out = acct.provision(
        d,
        &[&["--format", "json"][..], &tf, &["--dry-run"]].concat(),
    );
    assert_ok(&out);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["dry_run"], true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr
            .matches("+description = \"Managed by Terraform\"")
            .count(),
        4,
        "{stderr}"
    );

    let out = acct.provision(d, &[&tf[..], &["--write-spec"]].concat());
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    let mut written = stated.clone();
    for suffix in [
        "alb-public-sg",
        "alb-internal-sg",
        "backend-sg",
        "console-sg",
    ] {
        let line = format!("name = \"agentpass-staging-{suffix}\"\n");
        written = written.replace(&line, &format!("{line}description = \"{TERRAFORM}\"\n"));
    }
    assert_eq!(spec(d, "staging.toml"), written);
    assert!(spec(d, "staging.toml").starts_with("# Staging: a complete copy"));

    // The database's group alone, by id, in the VPC now imported: without --write-spec the
    // lines are shown and the import refused.
    let before = spec(d, "staging.toml");
    let rds = &groups["rds"];
    let one = [
        "import",
        "--env",
        "staging",
        "shared.security_group.rds",
        rds,
    ];
    let out = acct.provision(d, &one);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = stdout(&out);
    assert!(
        shown.contains("Would write into the spec (with --write-spec):"),
        "{}",
        text(&out)
    );
    let lines = "+[security_groups.rds]\n+name = \"agentpass-staging-rds-sg\"\n+description = \"Managed by Terraform\"\n";
    assert!(shown.contains(lines), "{shown}");
    assert!(
        text(&out).contains("not the resource the spec describes"),
        "{}",
        text(&out)
    );
    assert_eq!(spec(d, "staging.toml"), before, "nothing written");

    // With --write-spec: written into staging.toml after what was there, then imported.
    let out = acct.provision(d, &[&one[..], &["--write-spec"]].concat());
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    assert!(
        stdout(&out).contains("Written into the spec:"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("shared.security_group.rds: imported"),
        "{}",
        text(&out)
    );
    let with_rds = format!(
        "{before}\n[security_groups.rds]\nname = \"agentpass-staging-rds-sg\"\ndescription = \"Managed by Terraform\"\n"
    );
    assert_eq!(
        spec(d, "staging.toml"),
        with_rds,
        "comments and layout kept"
    );

    // Nothing Terraform held is created, replaced or deleted; what is created is the spec's own.
    let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
    assert_eq!(code, Some(2), "{plan}");
    let held: BTreeSet<&str> = [
        "shared.vpc",
        "shared.subnet.public-a",
        "shared.subnet.public-b",
        "shared.subnet.private-a",
        "shared.subnet.private-b",
        "shared.security_group.public-lb",
        "shared.security_group.internal-lb",
        "shared.security_group.backend-app",
        "shared.security_group.console-app",
        "shared.security_group.rds",
    ]
    .into();
    let planned = changes(&plan);
    for (address, (action, fields)) in &planned {
        assert!(
            action != "replace" && action != "delete",
            "{address}: {action}"
        );
        if held.contains(address.as_str()) {
            assert_eq!(action, "update", "{address}: {fields:?}");
            assert!(
                !fields.iter().any(|f| f == "name" || f == "description"),
                "{address}: {fields:?}"
            );
        }
    }
    assert_eq!(planned["shared.security_group.api-link"].0, "create");
    let ids = live_ids(&aws, "staging").await;
    for (key, tf_name) in [("rds", "rds"), ("public-lb", "alb_public")] {
        assert_eq!(
            ids[&format!("shared.security_group.{key}")],
            groups[tf_name]
        );
    }
}

/// The acceptance the other way: the spec says nothing of Terraform's names; `--map` and
/// `--map-file` say which group is which, and `--write-spec` writes both the names and the
/// descriptions AWS cannot change, then imports with nothing replaced.
#[tokio::test(flavor = "multi_thread")]
async fn terraform_names_stated_with_map_are_written_by_write_spec_and_nothing_is_replaced() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let aws = acct.aws().await;
    let (made, groups) = terraform_network(&aws).await;
    std::fs::create_dir_all(d.join("tf")).unwrap();
    let state = serde_json::to_string_pretty(&made.terraform_state("shared")).unwrap();
    std::fs::write(d.join("tf/terraform.tfstate"), state).unwrap();
    std::fs::write(
        d.join("staging.map"),
        "# Terraform's addresses = provision's\n\
         module.shared.aws_security_group.backend = shared.security_group.backend-app\n\
         module.shared.aws_security_group.console = shared.security_group.console-app\n\
         module.shared.aws_security_group.rds     = shared.security_group.rds\n",
    )
    .unwrap();
    let before = spec(d, "staging.toml");
    let tf = [
        "import",
        "--env",
        "staging",
        "--from-terraform",
        "tf",
        "--map",
        "module.shared.aws_security_group.alb_public=shared.security_group.public-lb",
        "--map",
        "module.shared.aws_security_group.alb_internal=shared.security_group.internal-lb",
        "--map-file",
        "staging.map",
    ];
    let out = acct.provision(d, &[&tf[..], &["--dry-run"]].concat());
    assert_ok(&out);
    let shown = stdout(&out);
    assert_eq!(shown.matches("stated by").count(), 5, "{shown}");
    assert_eq!(
        shown.matches("+name = \"agentpass-staging-").count(),
        5,
        "{shown}"
    );
    assert_eq!(spec(d, "staging.toml"), before, "a dry run writes nothing");

    let out = acct.provision(d, &[&tf[..], &["--write-spec"]].concat());
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    let written = spec(d, "staging.toml");
    assert!(
        written.starts_with(&before),
        "what was there is kept as it was"
    );
    for (key, suffix) in [
        ("public-lb", "alb-public-sg"),
        ("internal-lb", "alb-internal-sg"),
        ("backend-app", "backend-sg"),
        ("console-app", "console-sg"),
        ("rds", "rds-sg"),
    ] {
        let table = format!(
            "[security_groups.{key}]\nname = \"agentpass-staging-{suffix}\"\ndescription = \"{TERRAFORM}\"\n"
        );
        assert!(written.contains(&table), "{key}: {written}");
    }

    let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
    assert_eq!(code, Some(2), "{plan}");
    for (address, (action, fields)) in &changes(&plan) {
        assert!(
            action != "replace" && action != "delete",
            "{address}: {action}"
        );
        assert!(
            !fields.iter().any(|f| f == "name" || f == "description"),
            "{address}: {fields:?}"
        );
    }
    let ids = live_ids(&aws, "staging").await;
    for (key, tf_name) in [
        ("public-lb", "alb_public"),
        ("internal-lb", "alb_internal"),
        ("backend-app", "backend"),
        ("console-app", "console"),
        ("rds", "rds"),
    ] {
        assert_eq!(
            ids[&format!("shared.security_group.{key}")],
            groups[tf_name],
            "{key}"
        );
    }
}

/// After changes made outside provision: what the spec cannot state is refused with its reason
/// and nothing is written; accepted values land in the file that sets them, comments kept, and
/// plan and drift are then empty.
#[tokio::test(flavor = "multi_thread")]
async fn drift_accept_writes_live_values_where_the_spec_sets_them() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let aws = acct.aws().await;
    let ids = live_ids(&aws, "staging").await;
    aws.ec2
        .modify_vpc_attribute()
        .vpc_id(&ids["shared.vpc"])
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .unwrap();
    aws.rds
        .modify_db_instance()
        .db_instance_identifier("agentpass-staging")
        .backup_retention_period(9)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let ssh = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .ip_ranges(IpRange::builder().cidr_ip("203.0.113.0/24").build())
        .build();
    let group = &ids["shared.security_group.internal-lb"];
    aws.ec2
        .authorize_security_group_ingress()
        .group_id(group)
        .ip_permissions(ssh.clone())
        .send()
        .await
        .unwrap();
    let (base, staging) = (spec(d, "base.toml"), spec(d, "staging.toml"));

    // A rule set is not accepted; neither is an address without drift. Nothing is written.
    let out = acct.provision(d, &["drift", "--env", "staging", "--accept-all"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("shared.security_group.internal-lb ingress: rules are a set"),
        "{}",
        text(&out)
    );
    let out = acct.provision(
        d,
        &[
            "drift",
            "--env",
            "staging",
            "--accept",
            "shared.subnet.public-a",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("shared.subnet.public-a: drift finds no field of it changed"),
        "{}",
        text(&out)
    );
    assert_eq!(
        (spec(d, "base.toml"), spec(d, "staging.toml")),
        (base.clone(), staging.clone())
    );

    // Accepted: base.toml sets DNS hostnames, staging.toml the backup retention.
    let accept = [
        "drift",
        "--env",
        "staging",
        "--accept",
        "shared.vpc",
        "backend.rds",
    ];
    let out = acct.provision(d, &accept);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the rule is still drift: {}",
        text(&out)
    );
    let shown = stdout(&out);
    assert!(
        shown.contains("-dns_hostnames = true\n+dns_hostnames = false\n"),
        "{shown}"
    );
    assert!(shown.contains("+backup_retention_days = 9\n"), "{shown}");
    assert_eq!(
        spec(d, "base.toml"),
        base.replacen("dns_hostnames = true\n", "dns_hostnames = false\n", 1)
    );
    assert_eq!(
        spec(d, "staging.toml"),
        staging.replacen(
            "backup_retention_days = 3\n",
            "backup_retention_days = 9\n",
            1
        )
    );

    // The rule taken back by hand: plan and drift are empty.
    aws.ec2
        .revoke_security_group_ingress()
        .group_id(group)
        .ip_permissions(ssh)
        .send()
        .await
        .unwrap();
    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = acct.provision(d, &["drift", "--env", "staging"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
