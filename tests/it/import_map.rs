//! `provision import --from-terraform` where Terraform's addresses are not the spec's (issue 21,
//! "say once which is which"): `--map`, `--map-file` and security groups inferred from the rules
//! that admit them, against LocalStack (each test in its own account). The network is made with
//! the AWS SDK directly, as Terraform would have made it, and described by a v4 state whose
//! addresses are Terraform module addresses.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::output::changes;
use crate::support::{Account, HandVpc, text};
use provision::model::TAG_ENV;

const RDS_DESCRIPTION: &str = "Database: PostgreSQL from the backend instances only";
const APP_DESCRIPTION: &str = "Backend instances: traffic from the backend load balancer";

fn resource(tf_type: &str, name: &str, instances: Value) -> Value {
    json!({"mode": "managed", "type": tf_type, "name": name, "module": "module.net",
           "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": instances})
}

fn one(attributes: Value) -> Value {
    json!([{ "schema_version": 1, "attributes": attributes, "sensitive_attributes": [] }])
}

fn write_state(dir: &Path, resources: Vec<Value>) {
    let state = json!({"version": 4, "terraform_version": "1.9.8", "serial": 12,
                       "lineage": "0d5b6f7e-1111-4000-8000-000000000000", "outputs": {},
                       "resources": resources});
    std::fs::write(
        dir.join("net.tfstate"),
        serde_json::to_string_pretty(&state).unwrap(),
    )
    .unwrap();
}

async fn group(aws: &provision::aws::Aws, vpc: &str, name: &str, description: &str) -> String {
    let made = aws
        .ec2
        .create_security_group()
        .vpc_id(vpc)
        .group_name(name)
        .description(description)
        .send()
        .await
        .expect("CreateSecurityGroup");
    made.group_id().unwrap().to_owned()
}

/// `to` admits `from` on PostgreSQL's port, as an `aws_security_group_rule` would.
async fn admit(aws: &provision::aws::Aws, to: &str, from: &str) {
    use aws_sdk_ec2::types::{IpPermission, UserIdGroupPair};
    let pair = UserIdGroupPair::builder()
        .group_id(from)
        .description("PostgreSQL from the backend")
        .build();
    aws.ec2
        .authorize_security_group_ingress()
        .group_id(to)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .user_id_group_pairs(pair)
                .build(),
        )
        .send()
        .await
        .expect("AuthorizeSecurityGroupIngress");
}

fn sg(name: &str, id: &str, aws_name: &str, description: &str, vpc: &str) -> Value {
    resource(
        "aws_security_group",
        name,
        one(
            json!({"id": id, "name": aws_name, "description": description, "vpc_id": vpc,
                   "ingress": [], "egress": []}),
        ),
    )
}

fn rule(name: &str, to: &str, from: &str) -> Value {
    resource(
        "aws_security_group_rule",
        name,
        one(
            json!({"id": format!("sgrule-{name}"), "type": "ingress", "security_group_id": to,
                   "source_security_group_id": from, "protocol": "tcp",
                   "from_port": 5432, "to_port": 5432}),
        ),
    )
}

/// address -> (how, evidence) of a dry run's JSON.
fn how_mapped(doc: &Value) -> BTreeMap<String, (String, String)> {
    doc["mapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["address"].as_str().unwrap().to_owned(),
                (
                    m["how"].as_str().unwrap().to_owned(),
                    m["evidence"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

fn reason_of(doc: &Value, tf_address: &str) -> String {
    doc["unmapped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["tf_address"] == tf_address)
        .map(|u| u["reason"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{tf_address} is not unmapped: {doc:#}"))
}

/// A network whose Terraform addresses are not the spec's: the groups are
/// `module.net.aws_security_group.this["db"]`/`["app"]`, the route table's associations are in
/// no state read. `--map` and `--map-file` say which is which; the import then leaves a plan
/// with no create, replace or delete of anything the state held.
#[tokio::test(flavor = "multi_thread")]
async fn terraform_addresses_are_taken_over_with_map_and_map_file() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let aws = acct.aws().await;
    let net = HandVpc::make(
        &aws,
        "10.2.0.0/16",
        &[],
        &[
            ("10.2.10.0/24", "us-east-2a"),
            ("10.2.11.0/24", "us-east-2b"),
        ],
    )
    .await;
    let vpc = net.id.as_str();
    let rds = group(&aws, vpc, "agentpass-staging-rds", RDS_DESCRIPTION).await;
    let app = group(&aws, vpc, "agentpass-staging-backend-app", APP_DESCRIPTION).await;
    admit(&aws, &rds, &app).await;
    let rt = aws
        .ec2
        .create_route_table()
        .vpc_id(vpc)
        .send()
        .await
        .unwrap();
    let rt = rt
        .route_table()
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_owned();
    for subnet in &net.subnets {
        aws.ec2
            .associate_route_table()
            .route_table_id(&rt)
            .subnet_id(subnet)
            .send()
            .await
            .unwrap();
    }
    let subnets = json!([
        {"index_key": 0, "schema_version": 1, "attributes": {"id": net.subnets[0], "cidr_block": "10.2.10.0/24", "vpc_id": vpc, "availability_zone": "us-east-2a"}},
        {"index_key": 1, "schema_version": 1, "attributes": {"id": net.subnets[1], "cidr_block": "10.2.11.0/24", "vpc_id": vpc, "availability_zone": "us-east-2b"}}
    ]);
    let keyed = |key: &str, id: &str, aws_name: &str, description: &str| {
        let mut r = sg("this", id, aws_name, description, vpc);
        r["instances"][0]["index_key"] = json!(key);
        r
    };
    let mut groups = keyed("db", &rds, "agentpass-staging-rds", RDS_DESCRIPTION);
    let app_instance = keyed(
        "app",
        &app,
        "agentpass-staging-backend-app",
        APP_DESCRIPTION,
    )["instances"][0]
        .clone();
    groups["instances"]
        .as_array_mut()
        .unwrap()
        .push(app_instance);
    write_state(
        d,
        vec![
            resource(
                "aws_vpc",
                "this",
                one(json!({"id": vpc, "cidr_block": "10.2.0.0/16"})),
            ),
            resource("aws_subnet", "private", subnets),
            groups,
            rule("db_from_app", &rds, &app),
            // Its associations are managed elsewhere: nothing in this state tells it apart.
            resource(
                "aws_route_table",
                "private",
                one(json!({"id": rt, "vpc_id": vpc, "route": []})),
            ),
        ],
    );
    std::fs::write(
        d.join("map.txt"),
        "# Terraform's addresses = provision's\nmodule.net.aws_security_group.this[\"db\"] = shared.security_group.rds\n",
    )
    .unwrap();
    let base = [
        "import",
        "--env",
        "staging",
        "--from-terraform",
        "net.tfstate",
    ];

    // Without a statement, the route table maps to nothing, saying why.
    let mut args = base.to_vec();
    args.push("--dry-run");
    let (code, doc) = acct.json(d, &args);
    assert_eq!(code, Some(0), "{doc:#}");
    assert!(
        reason_of(&doc, "module.net.aws_route_table.private")
            .contains("no aws_route_table_association of these states"),
        "{doc:#}"
    );

    let map = "module.net.aws_route_table.private=shared.route_table.private";
    args.extend(["--map", map, "--map-file", "map.txt"]);
    let (code, doc) = acct.json(d, &args);
    assert_eq!(code, Some(0), "{doc:#}");
    let how = how_mapped(&doc);
    let expected = |how: &str, evidence: &str| (how.to_owned(), evidence.to_owned());
    assert_eq!(
        how["shared.route_table.private"],
        expected("stated", &format!("stated by --map {map}"))
    );
    assert_eq!(
        how["shared.security_group.rds"],
        expected("stated", "stated by map.txt:2")
    );
    assert_eq!(
        how["shared.security_group.backend-app"],
        expected(
            "matched",
            "matched by the name `agentpass-staging-backend-app`"
        )
    );
    assert_eq!(
        how["shared.vpc"],
        expected("matched", "matched by the CIDR 10.2.0.0/16")
    );
    assert_eq!(how.len(), 6, "{how:#?}");
    let out = acct.provision(d, &args);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains(&format!(
            "<- module.net.aws_route_table.private ({rt}), stated by --map {map}"
        )),
        "{shown}"
    );

    // The import, then a plan with nothing created, replaced or deleted of what it held.
    let mut args = base.to_vec();
    args.extend(["--map", map, "--map-file", "map.txt"]);
    let out = acct.provision(d, &args);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    for address in how.keys() {
        assert!(
            text(&out).contains(&format!("{address}: imported")),
            "{}",
            text(&out)
        );
    }
    let (code, plan) = acct.json(d, &["plan", "--env", "staging"]);
    assert_eq!(code, Some(2), "the spec's other resources remain: {plan:#}");
    let planned = changes(&plan);
    assert_eq!(
        planned.get("backend.rds").map(|(a, _)| a.as_str()),
        Some("create"),
        "what the state did not hold is created"
    );
    for address in how.keys() {
        let action = planned.get(address).map(|(a, _)| a.as_str());
        assert!(
            matches!(action, None | Some("update")),
            "{address}: {action:?} after its import: {planned:?}"
        );
    }
}

/// A group Terraform named its own way is inferred from the rule of a mapped group that admits
/// it, and then meets the same check as any match: AWS cannot rename a group, so the import
/// refuses it with the reason and imports the rest. Bad statements are refused first.
#[tokio::test(flavor = "multi_thread")]
async fn inferred_groups_meet_the_same_checks_and_bad_statements_are_refused() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let aws = acct.aws().await;
    let vpc = HandVpc::make(&aws, "10.2.0.0/16", &[], &[]).await.id;
    let rds = group(&aws, &vpc, "agentpass-staging-rds", RDS_DESCRIPTION).await;
    let app = group(
        &aws,
        &vpc,
        "agentpass-staging-backend-sg",
        "Managed by Terraform",
    )
    .await;
    admit(&aws, &rds, &app).await;
    write_state(
        d,
        vec![
            resource(
                "aws_vpc",
                "main",
                one(json!({"id": vpc, "cidr_block": "10.2.0.0/16"})),
            ),
            sg("db", &rds, "agentpass-staging-rds", RDS_DESCRIPTION, &vpc),
            sg(
                "app",
                &app,
                "agentpass-staging-backend-sg",
                "Managed by Terraform",
                &vpc,
            ),
            rule("db_from_app", &rds, &app),
        ],
    );
    let base = [
        "import",
        "--env",
        "staging",
        "--from-terraform",
        "net.tfstate",
    ];

    // Refused before anything changes, each with where it was stated.
    std::fs::write(
        d.join("bad.map"),
        "module.net.aws_vpc.main = shared.vpc\nnot a statement\nmodule.net.aws_vpc.main = shared.subnet.nowhere\n",
    )
    .unwrap();
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["--map-file", "bad.map"],
            &["bad.map:2: `not a statement` is not TF_ADDRESS = ADDRESS"],
        ),
        (
            &[
                "--map",
                "module.net.aws_vpc.main=shared.vpc",
                "--map",
                "module.net.aws_vpc.main=shared.subnet.nowhere",
            ],
            &[
                "unknown address `shared.subnet.nowhere`",
                "module.net.aws_vpc.main is stated twice (first at --map module.net.aws_vpc.main=shared.vpc)",
            ],
        ),
        (
            &["--map", "module.net.aws_vpc.gone=shared.vpc"],
            &[
                "--map module.net.aws_vpc.gone=shared.vpc: module.net.aws_vpc.gone is in none of the Terraform states read",
            ],
        ),
        (
            &[
                "--map",
                "module.net.aws_security_group_rule.db_from_app=shared.security_group.backend-app",
            ],
            &["is an aws_security_group_rule, which cannot be shared.security_group.backend-app"],
        ),
    ];
    for (flags, expected) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(flags);
        let out = acct.provision(d, &args);
        assert_eq!(out.status.code(), Some(1), "{flags:?}: {}", text(&out));
        for e in expected {
            assert!(text(&out).contains(e), "{flags:?}: {}", text(&out));
        }
    }
    let tags = aws.ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
    assert!(
        !tags.vpcs()[0]
            .tags()
            .iter()
            .any(|t| t.key() == Some(TAG_ENV)),
        "a refused statement tags nothing"
    );

    let mut args = base.to_vec();
    args.push("--dry-run");
    let (code, doc) = acct.json(d, &args);
    assert_eq!(code, Some(0), "{doc:#}");
    let how = how_mapped(&doc);
    assert_eq!(
        how["shared.security_group.backend-app"],
        (
            "inferred".to_owned(),
            "inferred from the ingress rules of module.net.aws_security_group.db (module.net.aws_security_group_rule.db_from_app's source_security_group_id)".to_owned()
        )
    );
    assert_eq!(how["shared.security_group.rds"].0, "matched");

    // The import: the inferred group is not the one the spec describes (its name and
    // description differ, and AWS changes neither): reported, not imported.
    let out = acct.provision(d, &base);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("shared.vpc: imported"), "{shown}");
    assert!(
        shown.contains(&format!("shared.security_group.backend-app ({app}): not the resource the spec describes, applying would replace it")),
        "{shown}"
    );
    assert!(shown.contains("agentpass-staging-backend-sg"), "{shown}");
    let state = acct.provision(d, &["state", "show", "--env", "staging"]);
    assert!(text(&state).contains(&rds), "{}", text(&state));
    assert!(!text(&state).contains(&app), "{}", text(&state));
    let left = aws
        .ec2
        .describe_security_groups()
        .group_ids(&app)
        .send()
        .await
        .unwrap();
    assert!(
        !left.security_groups()[0]
            .tags()
            .iter()
            .any(|t| t.key() == Some(TAG_ENV)),
        "its ownership tags came off again"
    );
}
