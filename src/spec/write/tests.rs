use super::*;

fn edit(path: &str, value: impl Into<Value>) -> Edit {
    Edit {
        path: path.split('.').map(str::to_owned).collect(),
        value: value.into(),
    }
}

const BASE: &str = r#"# The architecture.

[network]
dns_hostnames = true   # Beanstalk needs names
dns_support = true

# The database's group.
[security_groups.rds]
description = "Database"   # shown in the console
ingress = [
  { protocol = "tcp", ports = 5432, group = "backend-app" },
]
"#;

#[test]
fn a_value_changes_in_place_with_its_comments() {
    let out = apply(BASE, &[&edit("network.dns_hostnames", false)]).unwrap();
    assert_eq!(
        out,
        BASE.replace(
            "dns_hostnames = true   # Beanstalk",
            "dns_hostnames = false   # Beanstalk"
        )
    );
    let out = apply(
        BASE,
        &[&edit(
            "security_groups.rds.description",
            "Managed by Terraform",
        )],
    )
    .unwrap();
    assert_eq!(
        out,
        BASE.replace(
            r#"description = "Database"   #"#,
            r#"description = "Managed by Terraform"   #"#
        )
    );
}

#[test]
fn a_new_key_goes_last_in_its_table() {
    let out = apply(
        BASE,
        &[&edit(
            "security_groups.rds.name",
            "agentpass-staging-rds-sg",
        )],
    )
    .unwrap();
    assert_eq!(
        out,
        format!("{BASE}name = \"agentpass-staging-rds-sg\"\n"),
        "the table is the file's last: the key follows its rules"
    );
    let out = apply(BASE, &[&edit("network.nat_subnet", "public-a")]).unwrap();
    assert_eq!(
        out,
        BASE.replace(
            "dns_support = true\n",
            "dns_support = true\nnat_subnet = \"public-a\"\n"
        )
    );
}

#[test]
fn a_missing_table_is_added_at_the_end_with_one_header() {
    let env = "# Staging.\n\n[network]\nvpc_cidr = \"10.2.0.0/16\"\n";
    let out = apply(
        env,
        &[
            &edit(
                "security_groups.public-lb.name",
                "agentpass-staging-alb-public-sg",
            ),
            &edit(
                "security_groups.public-lb.description",
                "Managed by Terraform",
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        format!(
            "{env}\n[security_groups.public-lb]\nname = \"agentpass-staging-alb-public-sg\"\ndescription = \"Managed by Terraform\"\n"
        )
    );
}

#[test]
fn dotted_keys_stay_dotted() {
    let env =
        "[network.subnets]\npublic-a.cidr = \"10.2.1.0/24\"\nprivate-a.cidr = \"10.2.10.0/24\"\n";
    let out = apply(
        env,
        &[&edit(
            "network.subnets.public-a.availability_zone",
            "us-east-2c",
        )],
    )
    .unwrap();
    assert!(
        out.contains("public-a.availability_zone = \"us-east-2c\"\n"),
        "{out}"
    );
    assert!(out.starts_with("[network.subnets]\npublic-a.cidr"), "{out}");
}

#[test]
fn a_table_where_a_value_is_wanted_is_refused() {
    let why = apply(BASE, &[&edit("network", 1)]).unwrap_err();
    assert!(why.contains("cannot set network"), "{why}");
}

#[test]
fn the_file_that_defines_a_key_takes_it() {
    let base = Path::new("base.toml");
    let env = Path::new("staging.toml");
    let path: Vec<String> = vec!["network".into(), "dns_hostnames".into()];
    let staging = "[network]\nvpc_cidr = \"10.2.0.0/16\"\n";
    assert_eq!(
        target(Placement::Defining, (base, BASE), (env, staging), &path),
        base
    );
    assert_eq!(
        target(Placement::EnvFile, (base, BASE), (env, staging), &path),
        env
    );
    let overridden = "[network]\ndns_hostnames = false\n";
    assert_eq!(
        target(Placement::Defining, (base, BASE), (env, overridden), &path),
        env
    );
    let nowhere: Vec<String> = vec!["network".into(), "nat_subnet".into()];
    assert_eq!(
        target(Placement::Defining, (base, BASE), (env, staging), &nowhere),
        env
    );
}

#[test]
fn live_values_become_toml() {
    let v = |j: serde_json::Value| toml_value(&j).map(|v| v.to_string());
    assert_eq!(v(serde_json::json!("a")).as_deref(), Some("\"a\""));
    assert_eq!(v(serde_json::json!(false)).as_deref(), Some("false"));
    assert_eq!(v(serde_json::json!(20)).as_deref(), Some("20"));
    assert_eq!(
        v(serde_json::json!(["a", "b"])).as_deref(),
        Some("[\"a\", \"b\"]")
    );
    assert_eq!(v(serde_json::json!({"a": 1})), None);
    assert_eq!(v(serde_json::Value::Null), None);
}

#[test]
fn the_diff_is_unified_with_three_lines_of_context() {
    let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
    let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\n";
    assert_eq!(
        diff("specs/x.toml", old, new),
        "--- a/specs/x.toml\n+++ b/specs/x.toml\n@@ -2,7 +2,8 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n+i\n"
    );
    assert_eq!(diff("x", old, old), "");
    let far = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
    let changed = "0\n2\n3\n4\n5\n6\n7\n8\n9\n11\n";
    assert_eq!(
        diff("x", far, changed),
        "--- a/x\n+++ b/x\n@@ -1,4 +1,4 @@\n-1\n+0\n 2\n 3\n 4\n@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+11\n"
    );
}
