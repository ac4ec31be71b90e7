//! The staging environment made by hand, as Terraform would have made it: every resource created
//! with the AWS SDK directly (never through provision), so that import has real ids to take
//! over. Each resource comes back with the provision address it should become and the Terraform
//! resource (type, name, attributes under the AWS provider's names) that would manage it, for
//! the v4 state files the tests write (`terraform_state`).

use std::collections::BTreeMap;

use aws_sdk_apigateway::types::{
    ApiStage, ConnectionType, EndpointConfiguration, EndpointType, IntegrationType,
    ThrottleSettings,
};
use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, IpPermission, IpRange, UserIdGroupPair,
};
use aws_sdk_elasticbeanstalk::types::{ConfigurationOptionSetting, EnvironmentTier};
use serde_json::{Value, json};

#[path = "handmade_monitoring.rs"]
mod monitoring;

/// One resource made by hand.
#[derive(Debug, Clone)]
pub struct Made {
    /// The provision address it maps to; `None` for parts of another resource (a route table
    /// association, a security group rule, a deployment).
    pub address: Option<&'static str>,
    /// The id `provision import` takes.
    pub import_id: String,
    pub stack: &'static str,
    pub tf_type: &'static str,
    pub tf_name: &'static str,
    /// The Terraform attributes, `id` included.
    pub attributes: Value,
}

pub struct Handmade {
    pub made: Vec<Made>,
}

impl Handmade {
    /// Address -> id of everything that maps to an address.
    pub fn ids(&self) -> BTreeMap<&'static str, String> {
        self.made
            .iter()
            .filter_map(|m| Some((m.address?, m.import_id.clone())))
            .collect()
    }

    /// Terraform state (format version 4) of one stack, as `terraform` would write it: made
    /// resources of one Terraform type and name are the instances of one resource (`count`).
    pub fn terraform_state(&self, stack: &str) -> Value {
        let mut grouped: Vec<(&Made, Vec<Value>)> = Vec::new();
        for m in self.made.iter().filter(|m| m.stack == stack) {
            let instance = json!({
                "schema_version": 0,
                "attributes": m.attributes,
                "sensitive_attributes": [],
                "private": "bnVsbA=="
            });
            match grouped
                .iter_mut()
                .find(|(g, _)| (g.tf_type, g.tf_name) == (m.tf_type, m.tf_name))
            {
                Some((_, instances)) => instances.push(instance),
                None => grouped.push((m, vec![instance])),
            }
        }
        let resources: Vec<Value> = grouped
            .into_iter()
            .map(|(m, mut instances)| {
                if instances.len() > 1 {
                    for (i, inst) in instances.iter_mut().enumerate() {
                        inst["index_key"] = json!(i);
                    }
                }
                json!({
                    "mode": "managed",
                    "type": m.tf_type,
                    "name": m.tf_name,
                    "module": format!("module.{stack}"),
                    "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                    "instances": instances
                })
            })
            .collect();
        json!({
            "version": 4,
            "terraform_version": "1.9.5",
            "serial": 42,
            "lineage": format!("00000000-0000-4000-8000-{stack:0>12}"),
            "outputs": {},
            "resources": resources,
            "check_results": null
        })
    }
}

const AZ_A: &str = "us-east-2a";
const AZ_B: &str = "us-east-2b";

fn tags(name: &str) -> Value {
    json!({"Name": name, "Environment": "staging", "Project": "agentpass"})
}

async fn name_tag(aws: &provision::aws::Aws, id: &str, name: &str) {
    aws.ec2
        .create_tags()
        .resources(id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value(name)
                .build(),
        )
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Environment")
                .value("staging")
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// Makes the whole staging environment (48 provision resources) by hand.
pub async fn make_staging(aws: &provision::aws::Aws) -> Handmade {
    let mut made = Vec::new();
    let mut net = network(aws, &mut made).await;
    net.groups = groups(aws, &net, &mut made).await;
    iam(aws, &mut made).await;
    database(aws, &net, &mut made).await;
    let backend_env = beanstalk(aws, &net, &mut made).await;
    api(aws, &net, &backend_env, &mut made).await;
    let nat = made
        .iter()
        .find(|m| m.address == Some("shared.nat_gateway.public-a"))
        .map(|m| m.import_id.clone())
        .unwrap();
    let (lb_arn, _) = backend_lb(aws, &backend_env).await;
    let lb = lb_arn.split_once(":loadbalancer/").unwrap().1.to_owned();
    monitoring::monitoring(aws, &nat, &lb, &mut made).await;
    Handmade { made }
}

/// Ids the later parts refer to.
pub struct Net {
    pub vpc: String,
    pub subnets: BTreeMap<&'static str, String>,
    pub groups: BTreeMap<&'static str, String>,
}

fn push(
    made: &mut Vec<Made>,
    address: Option<&'static str>,
    import_id: &str,
    stack: &'static str,
    tf: (&'static str, &'static str),
    attributes: Value,
) {
    made.push(Made {
        address,
        import_id: import_id.to_owned(),
        stack,
        tf_type: tf.0,
        tf_name: tf.1,
        attributes,
    });
}

async fn network(aws: &provision::aws::Aws, made: &mut Vec<Made>) -> Net {
    let ec2 = &aws.ec2;
    let vpc = super::HandVpc::make(aws, "10.2.0.0/16", &[], &[]).await.id;
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    name_tag(aws, &vpc, "staging-vpc").await;
    push(
        made,
        Some("shared.vpc"),
        &vpc,
        "shared",
        ("aws_vpc", "main"),
        json!({
            "id": vpc, "arn": format!("arn:aws:ec2:us-east-2:000000000000:vpc/{vpc}"),
            "cidr_block": "10.2.0.0/16", "enable_dns_hostnames": true, "enable_dns_support": true,
            "instance_tenancy": "default", "tags": tags("staging-vpc"), "tags_all": tags("staging-vpc")
        }),
    );
    let mut subnets = BTreeMap::new();
    for (name, cidr, az, public) in [
        ("public-a", "10.2.1.0/24", AZ_A, true),
        ("public-b", "10.2.2.0/24", AZ_B, true),
        ("private-a", "10.2.10.0/24", AZ_A, false),
        ("private-b", "10.2.11.0/24", AZ_B, false),
    ] {
        let id = super::hand_subnet(aws, &vpc, cidr, az).await;
        if public {
            ec2.modify_subnet_attribute()
                .subnet_id(&id)
                .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
                .send()
                .await
                .unwrap();
        }
        let tf_name = match name {
            "public-a" => "public_a",
            "public-b" => "public_b",
            "private-a" => "private_a",
            _ => "private_b",
        };
        let address = match name {
            "public-a" => "shared.subnet.public-a",
            "public-b" => "shared.subnet.public-b",
            "private-a" => "shared.subnet.private-a",
            _ => "shared.subnet.private-b",
        };
        push(
            made,
            Some(address),
            &id,
            "shared",
            ("aws_subnet", tf_name),
            json!({
                "id": id, "vpc_id": vpc, "cidr_block": cidr, "availability_zone": az,
                "map_public_ip_on_launch": public, "tags": tags(&format!("staging-{name}"))
            }),
        );
        subnets.insert(name, id);
    }
    let igw = ec2.create_internet_gateway().send().await.unwrap();
    let igw = igw
        .internet_gateway()
        .unwrap()
        .internet_gateway_id()
        .unwrap()
        .to_owned();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    push(
        made,
        Some("shared.internet_gateway"),
        &igw,
        "shared",
        ("aws_internet_gateway", "main"),
        json!({"id": igw, "vpc_id": vpc, "tags": tags("staging-igw")}),
    );
    let eip = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .unwrap();
    let eip_id = eip.allocation_id().unwrap().to_owned();
    push(
        made,
        Some("shared.eip.nat-public-a"),
        &eip_id,
        "shared",
        ("aws_eip", "nat"),
        json!({
            "id": eip_id, "allocation_id": eip_id, "domain": "vpc",
            "public_ip": eip.public_ip().unwrap_or_default(), "tags": tags("staging-nat-eip")
        }),
    );
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&subnets["public-a"])
        .allocation_id(&eip_id)
        .send()
        .await
        .unwrap();
    let nat = nat
        .nat_gateway()
        .unwrap()
        .nat_gateway_id()
        .unwrap()
        .to_owned();
    push(
        made,
        Some("shared.nat_gateway.public-a"),
        &nat,
        "shared",
        ("aws_nat_gateway", "main"),
        json!({"id": nat, "allocation_id": eip_id, "subnet_id": subnets["public-a"],
               "connectivity_type": "public", "tags": tags("staging-nat")}),
    );
    for (tier, target, members) in [
        (
            "public",
            ("gateway_id", igw.as_str()),
            ["public-a", "public-b"],
        ),
        (
            "private",
            ("nat_gateway_id", nat.as_str()),
            ["private-a", "private-b"],
        ),
    ] {
        let rt = ec2.create_route_table().vpc_id(&vpc).send().await.unwrap();
        let rt = rt
            .route_table()
            .unwrap()
            .route_table_id()
            .unwrap()
            .to_owned();
        let route = ec2
            .create_route()
            .route_table_id(&rt)
            .destination_cidr_block("0.0.0.0/0");
        let route = if target.0 == "gateway_id" {
            route.gateway_id(target.1)
        } else {
            route.nat_gateway_id(target.1)
        };
        route.send().await.unwrap();
        let (address, tf_name) = if tier == "public" {
            ("shared.route_table.public", "public")
        } else {
            ("shared.route_table.private", "private")
        };
        let mut r = json!({"cidr_block": "0.0.0.0/0", "gateway_id": "", "nat_gateway_id": ""});
        r[target.0] = json!(target.1);
        push(
            made,
            Some(address),
            &rt,
            "shared",
            ("aws_route_table", tf_name),
            json!({"id": rt, "vpc_id": vpc, "route": [r], "tags": tags(&format!("staging-{tier}-rt"))}),
        );
        for m in members {
            let a = ec2
                .associate_route_table()
                .route_table_id(&rt)
                .subnet_id(&subnets[m])
                .send()
                .await
                .unwrap();
            let assoc = a.association_id().unwrap().to_owned();
            push(
                made,
                None,
                &assoc,
                "shared",
                ("aws_route_table_association", tf_name),
                json!({"id": assoc, "route_table_id": rt, "subnet_id": subnets[m]}),
            );
        }
    }
    Net {
        vpc,
        subnets,
        groups: BTreeMap::new(),
    }
}

fn perm_cidr(port: i32, cidr: &str, description: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .description(description)
                .build(),
        )
        .build()
}

fn perm_group(port: i32, group: &str, description: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(group)
                .description(description)
                .build(),
        )
        .build()
}

fn all_egress() -> IpPermission {
    IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build()
}

async fn groups(
    aws: &provision::aws::Aws,
    net: &Net,
    made: &mut Vec<Made>,
) -> BTreeMap<&'static str, String> {
    let ec2 = &aws.ec2;
    let specs = [
        (
            "public-lb",
            "Console load balancer: HTTP and HTTPS from the internet",
        ),
        (
            "internal-lb",
            "Backend load balancer: HTTP from inside the VPC only (API Gateway)",
        ),
        (
            "api-link",
            "API Gateway VPC link: HTTP to the backend load balancer",
        ),
        (
            "console-app",
            "Console instances: traffic from the console load balancer",
        ),
        (
            "backend-app",
            "Backend instances: traffic from the backend load balancer",
        ),
        (
            "rds",
            "Database: PostgreSQL from the backend instances only",
        ),
    ];
    let mut ids = BTreeMap::new();
    for (name, description) in specs {
        let g = ec2
            .create_security_group()
            .group_name(format!("agentpass-staging-{name}"))
            .description(description)
            .vpc_id(&net.vpc)
            .send()
            .await
            .unwrap();
        ids.insert(name, g.group_id().unwrap().to_owned());
    }
    let ingress = [
        ("public-lb", perm_cidr(80, "0.0.0.0/0", "HTTP")),
        ("public-lb", perm_cidr(443, "0.0.0.0/0", "HTTPS")),
        (
            "internal-lb",
            perm_group(80, &ids["api-link"], "HTTP from the API's VPC link"),
        ),
        (
            "console-app",
            perm_group(80, &ids["public-lb"], "from the console load balancer"),
        ),
        (
            "backend-app",
            perm_group(80, &ids["internal-lb"], "from the backend load balancer"),
        ),
        (
            "rds",
            perm_group(5432, &ids["backend-app"], "PostgreSQL from the backend"),
        ),
    ];
    for (name, p) in ingress {
        ec2.authorize_security_group_ingress()
            .group_id(&ids[name])
            .ip_permissions(p)
            .send()
            .await
            .unwrap();
    }
    // The api-link group sends HTTP to the VPC only; the database group sends nothing.
    for name in ["api-link", "rds"] {
        ec2.revoke_security_group_egress()
            .group_id(&ids[name])
            .ip_permissions(all_egress())
            .send()
            .await
            .unwrap();
    }
    ec2.authorize_security_group_egress()
        .group_id(&ids["api-link"])
        .ip_permissions(perm_cidr(
            80,
            "10.2.0.0/16",
            "HTTP to the backend load balancer",
        ))
        .send()
        .await
        .unwrap();
    for (name, description) in specs {
        let id = &ids[name];
        let address = match name {
            "public-lb" => "shared.security_group.public-lb",
            "internal-lb" => "shared.security_group.internal-lb",
            "api-link" => "shared.security_group.api-link",
            "console-app" => "shared.security_group.console-app",
            "backend-app" => "shared.security_group.backend-app",
            _ => "shared.security_group.rds",
        };
        let tf_name = match name {
            "public-lb" => "public_lb",
            "internal-lb" => "internal_lb",
            "api-link" => "api_link",
            "console-app" => "console_app",
            "backend-app" => "backend_app",
            _ => "rds",
        };
        push(
            made,
            Some(address),
            id,
            "shared",
            ("aws_security_group", tf_name),
            json!({
                "id": id, "name": format!("agentpass-staging-{name}"), "description": description,
                "vpc_id": net.vpc, "ingress": [], "egress": [], "tags": tags(&format!("staging-{name}"))
            }),
        );
    }
    // One rule as its own resource, as modules often write them: it belongs to its group.
    push(
        made,
        None,
        "sgrule-1234567890",
        "shared",
        ("aws_security_group_rule", "rds_from_backend"),
        json!({"id": "sgrule-1234567890", "type": "ingress", "security_group_id": ids["rds"],
               "source_security_group_id": ids["backend-app"], "from_port": 5432, "to_port": 5432,
               "protocol": "tcp"}),
    );
    ids
}

const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const EB_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"elasticbeanstalk.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"elasticbeanstalk"}}}]}"#;
const SECRET_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:*:*:secret:rds!db-*","Condition":{"StringLike":{"secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn":"arn:aws:rds:*:*:db:agentpass-staging"}}}]}"#;

async fn iam(aws: &provision::aws::Aws, made: &mut Vec<Made>) {
    for stack in ["backend", "console"] {
        let (instance, service, profile) = if stack == "backend" {
            (
                "backend.iam_role.instance",
                "backend.iam_role.service",
                "backend.instance_profile",
            )
        } else {
            (
                "console.iam_role.instance",
                "console.iam_role.service",
                "console.instance_profile",
            )
        };
        let ec2_role = format!("agentpass-staging-{stack}-ec2");
        let eb_role = format!("agentpass-staging-{stack}-eb-service");
        for (role, trust, policies, address, tf_name) in [
            (
                &ec2_role,
                EC2_TRUST,
                vec!["arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier"],
                instance,
                "ec2",
            ),
            (
                &eb_role,
                EB_TRUST,
                vec![
                    "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy",
                    "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth",
                ],
                service,
                "eb_service",
            ),
        ] {
            let out = aws
                .iam
                .create_role()
                .role_name(role)
                .assume_role_policy_document(trust)
                .send()
                .await
                .unwrap();
            let arn = out.role().map(|r| r.arn().to_owned()).unwrap_or_default();
            for p in &policies {
                aws.iam
                    .attach_role_policy()
                    .role_name(role)
                    .policy_arn(*p)
                    .send()
                    .await
                    .unwrap();
                push(
                    made,
                    None,
                    &format!("{role}-{p}"),
                    stack,
                    ("aws_iam_role_policy_attachment", tf_name),
                    json!({"id": format!("{role}-{p}"), "role": role, "policy_arn": p}),
                );
            }
            push(
                made,
                Some(address),
                role,
                stack,
                ("aws_iam_role", tf_name),
                json!({
                    "id": role, "name": role, "arn": arn, "assume_role_policy": trust, "path": "/"
                }),
            );
        }
        if stack == "backend" {
            aws.iam
                .put_role_policy()
                .role_name(&ec2_role)
                .policy_name("read-database-secret")
                .policy_document(SECRET_POLICY)
                .send()
                .await
                .unwrap();
            push(
                made,
                None,
                &format!("{ec2_role}:read-database-secret"),
                stack,
                ("aws_iam_role_policy", "secret"),
                json!({"id": format!("{ec2_role}:read-database-secret"), "role": ec2_role,
                       "name": "read-database-secret", "policy": SECRET_POLICY}),
            );
        }
        let profile_name = format!("{ec2_role}-profile");
        aws.iam
            .create_instance_profile()
            .instance_profile_name(&profile_name)
            .send()
            .await
            .unwrap();
        aws.iam
            .add_role_to_instance_profile()
            .instance_profile_name(&profile_name)
            .role_name(&ec2_role)
            .send()
            .await
            .unwrap();
        push(
            made,
            Some(profile),
            &profile_name,
            stack,
            ("aws_iam_instance_profile", "ec2"),
            json!({"id": profile_name, "name": profile_name, "role": ec2_role, "path": "/"}),
        );
    }
}

async fn database(aws: &provision::aws::Aws, net: &Net, made: &mut Vec<Made>) {
    let private = [
        net.subnets["private-a"].clone(),
        net.subnets["private-b"].clone(),
    ];
    aws.rds
        .create_db_subnet_group()
        .db_subnet_group_name("agentpass-staging-subnets")
        .db_subnet_group_description("agentpass database subnets (staging)")
        .set_subnet_ids(Some(private.to_vec()))
        .send()
        .await
        .unwrap();
    push(
        made,
        Some("backend.db_subnet_group"),
        "agentpass-staging-subnets",
        "backend",
        ("aws_db_subnet_group", "main"),
        json!({
            "id": "agentpass-staging-subnets", "name": "agentpass-staging-subnets",
            "description": "agentpass database subnets (staging)", "subnet_ids": private,
            "arn": "arn:aws:rds:us-east-2:000000000000:subgrp:agentpass-staging-subnets"
        }),
    );
    let db = aws
        .rds
        .create_db_instance()
        .db_instance_identifier("agentpass-staging")
        .engine("postgres")
        .engine_version("16")
        .db_instance_class("db.t3.micro")
        .allocated_storage(10)
        .storage_type("standard")
        .db_name("agentpass")
        .master_username("agentpass")
        .manage_master_user_password(true)
        .db_subnet_group_name("agentpass-staging-subnets")
        .vpc_security_group_ids(net.groups["rds"].clone())
        .backup_retention_period(3)
        .multi_az(false)
        .publicly_accessible(false)
        .deletion_protection(false)
        .send()
        .await
        .unwrap();
    let resource_id = db
        .db_instance()
        .and_then(|i| i.dbi_resource_id())
        .unwrap_or("db-HANDMADE")
        .to_owned();
    // Since version 5 of the AWS provider, an instance's `id` is its resource id; the
    // identifier is its own attribute.
    push(
        made,
        Some("backend.rds"),
        "agentpass-staging",
        "backend",
        ("aws_db_instance", "main"),
        json!({"id": resource_id, "identifier": "agentpass-staging", "resource_id": resource_id,
               "engine": "postgres", "engine_version": "16", "instance_class": "db.t3.micro",
               "allocated_storage": 10, "db_subnet_group_name": "agentpass-staging-subnets",
               "vpc_security_group_ids": [net.groups["rds"].clone()], "username": "agentpass",
               "password": null, "manage_master_user_password": true}),
    );
}

fn setting(ns: &str, name: &str, value: &str) -> ConfigurationOptionSetting {
    ConfigurationOptionSetting::builder()
        .namespace(ns)
        .option_name(name)
        .value(value)
        .build()
}

/// Makes both applications and environments; returns the backend environment's id.
async fn beanstalk(aws: &provision::aws::Aws, net: &Net, made: &mut Vec<Made>) -> String {
    let mut backend_env = String::new();
    for stack in ["backend", "console"] {
        let app = format!("agentpass-{stack}-staging");
        aws.beanstalk
            .create_application()
            .application_name(&app)
            .description(format!("agentpass {stack} (staging)"))
            .send()
            .await
            .unwrap();
        let (app_address, env_address) = if stack == "backend" {
            ("backend.beanstalk_app", "backend.beanstalk")
        } else {
            ("console.beanstalk_app", "console.beanstalk")
        };
        push(
            made,
            Some(app_address),
            &app,
            stack,
            ("aws_elastic_beanstalk_application", "app"),
            json!({"id": app, "name": app, "description": format!("agentpass {stack} (staging)")}),
        );
        let subnets = |names: [&str; 2]| {
            names
                .iter()
                .map(|n| net.subnets[*n].clone())
                .collect::<Vec<_>>()
                .join(",")
        };
        let (scheme, elb_subnets, app_group, lb_group, health) = if stack == "backend" {
            (
                "internal",
                subnets(["private-a", "private-b"]),
                "backend-app",
                "internal-lb",
                "/health",
            )
        } else {
            (
                "public",
                subnets(["public-a", "public-b"]),
                "console-app",
                "public-lb",
                "/",
            )
        };
        let mut settings = vec![
            setting("aws:autoscaling:asg", "MinSize", "1"),
            setting("aws:autoscaling:asg", "MaxSize", "1"),
            setting(
                "aws:autoscaling:launchconfiguration",
                "DisableDefaultEC2SecurityGroup",
                "true",
            ),
            setting(
                "aws:autoscaling:launchconfiguration",
                "IamInstanceProfile",
                &format!("agentpass-staging-{stack}-ec2-profile"),
            ),
            setting(
                "aws:autoscaling:launchconfiguration",
                "SecurityGroups",
                &net.groups[app_group].clone(),
            ),
            setting("aws:ec2:instances", "InstanceTypes", "t3.micro"),
            setting("aws:ec2:vpc", "ELBScheme", scheme),
            setting("aws:ec2:vpc", "ELBSubnets", &elb_subnets),
            setting(
                "aws:ec2:vpc",
                "Subnets",
                &subnets(["private-a", "private-b"]),
            ),
            setting("aws:ec2:vpc", "VPCId", &net.vpc),
            setting(
                "aws:elasticbeanstalk:environment",
                "EnvironmentType",
                "LoadBalanced",
            ),
            setting(
                "aws:elasticbeanstalk:environment",
                "LoadBalancerType",
                "application",
            ),
            setting(
                "aws:elasticbeanstalk:environment",
                "ServiceRole",
                &format!("agentpass-staging-{stack}-eb-service"),
            ),
            setting(
                "aws:elasticbeanstalk:environment:process:default",
                "HealthCheckPath",
                health,
            ),
            setting(
                "aws:elbv2:loadbalancer",
                "ManagedSecurityGroup",
                &net.groups[lb_group].clone(),
            ),
            setting(
                "aws:elbv2:loadbalancer",
                "SecurityGroups",
                &net.groups[lb_group].clone(),
            ),
        ];
        if stack == "backend" {
            settings.push(setting(
                "aws:elasticbeanstalk:application:environment",
                "NODE_ENV",
                "production",
            ));
        }
        let mut create = aws
            .beanstalk
            .create_environment()
            .application_name(&app)
            .environment_name(&app)
            .solution_stack_name("64bit Amazon Linux 2023 v6.11.5 running Node.js 24")
            .tier(
                EnvironmentTier::builder()
                    .name("WebServer")
                    .r#type("Standard")
                    .build(),
            )
            .set_option_settings(Some(settings));
        if stack == "console" {
            create = create.cname_prefix("agentpass-staging");
        }
        let env = create.send().await.unwrap();
        let env_id = env.environment_id().unwrap().to_owned();
        if stack == "backend" {
            backend_env.clone_from(&env_id);
        }
        push(
            made,
            Some(env_address),
            &env_id,
            stack,
            ("aws_elastic_beanstalk_environment", "env"),
            json!({"id": env_id, "name": app, "application": app, "tier": "WebServer",
                   "solution_stack_name": "64bit Amazon Linux 2023 v6.11.5 running Node.js 24",
                   "cname": env.cname().unwrap_or_default(), "setting": []}),
        );
    }
    backend_env
}

/// The backend environment's load balancer ARN and endpoint, once Beanstalk reports them.
async fn backend_lb(aws: &provision::aws::Aws, env_id: &str) -> (String, String) {
    for _ in 0..300 {
        let envs = aws
            .beanstalk
            .describe_environments()
            .environment_ids(env_id)
            .send()
            .await
            .unwrap();
        let endpoint = envs
            .environments()
            .first()
            .and_then(|e| e.endpoint_url())
            .unwrap_or_default()
            .to_owned();
        let res = aws
            .beanstalk
            .describe_environment_resources()
            .environment_id(env_id)
            .send()
            .await;
        let arn = res.ok().and_then(|r| {
            r.environment_resources()?
                .load_balancers()
                .iter()
                .filter_map(|l| l.name())
                .find(|n| n.starts_with("arn:aws"))
                .map(str::to_owned)
        });
        if let Some(arn) = arn
            && !endpoint.is_empty()
        {
            return (arn, endpoint);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the backend environment {env_id} got no load balancer");
}

async fn api(aws: &provision::aws::Aws, net: &Net, backend_env: &str, made: &mut Vec<Made>) {
    let gw = &aws.apigateway;
    let link = aws
        .apigatewayv2
        .create_vpc_link()
        .name("agentpass-api-staging-link")
        .subnet_ids(&net.subnets["private-a"])
        .subnet_ids(&net.subnets["private-b"])
        .security_group_ids(net.groups["api-link"].clone())
        .send()
        .await
        .unwrap();
    let link = link.vpc_link_id().unwrap().to_owned();
    push(
        made,
        Some("backend.vpc_link"),
        &link,
        "backend",
        ("aws_apigatewayv2_vpc_link", "backend"),
        json!({"id": link, "name": "agentpass-api-staging-link",
               "subnet_ids": [net.subnets["private-a"], net.subnets["private-b"]],
               "security_group_ids": [net.groups["api-link"].clone()]}),
    );
    let api = gw
        .create_rest_api()
        .name("agentpass-api-staging")
        .description("agentpass API (staging)")
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let api_id = api.id().unwrap().to_owned();
    let resources = gw
        .get_resources()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    let root = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/"))
        .and_then(|r| r.id())
        .unwrap()
        .to_owned();
    push(
        made,
        Some("shared.api"),
        &api_id,
        "shared",
        ("aws_api_gateway_rest_api", "main"),
        json!({"id": api_id, "name": "agentpass-api-staging", "description": "agentpass API (staging)",
               "root_resource_id": root, "endpoint_configuration": [{"types": ["REGIONAL"]}]}),
    );
    let proxy = gw
        .create_resource()
        .rest_api_id(&api_id)
        .parent_id(&root)
        .path_part("{proxy+}")
        .send()
        .await
        .unwrap();
    let proxy = proxy.id().unwrap().to_owned();
    push(
        made,
        None,
        &proxy,
        "backend",
        ("aws_api_gateway_resource", "proxy"),
        json!({"id": proxy, "rest_api_id": api_id, "parent_id": root, "path_part": "{proxy+}", "path": "/{proxy+}"}),
    );
    gw.put_method()
        .rest_api_id(&api_id)
        .resource_id(&proxy)
        .http_method("ANY")
        .authorization_type("NONE")
        .api_key_required(true)
        .request_parameters("method.request.path.proxy", true)
        .send()
        .await
        .unwrap();
    push(
        made,
        None,
        &format!("agm-{api_id}-{proxy}-ANY"),
        "backend",
        ("aws_api_gateway_method", "proxy"),
        json!({"id": format!("agm-{api_id}-{proxy}-ANY"), "rest_api_id": api_id, "resource_id": proxy,
               "http_method": "ANY", "authorization": "NONE", "api_key_required": true}),
    );
    let (lb_arn, endpoint) = backend_lb(aws, backend_env).await;
    gw.put_integration()
        .rest_api_id(&api_id)
        .resource_id(&proxy)
        .http_method("ANY")
        .r#type(IntegrationType::HttpProxy)
        .integration_http_method("ANY")
        .uri(format!("http://{endpoint}/{{proxy}}"))
        .request_parameters(
            "integration.request.path.proxy",
            "method.request.path.proxy",
        )
        .timeout_in_millis(29000)
        .connection_type(ConnectionType::VpcLink)
        .connection_id(&link)
        .integration_target(&lb_arn)
        .send()
        .await
        .unwrap();
    push(
        made,
        Some("backend.api_integration"),
        &format!("{api_id}/{proxy}/ANY"),
        "backend",
        ("aws_api_gateway_integration", "proxy"),
        json!({
            "id": format!("agi-{api_id}-{proxy}-ANY"), "rest_api_id": api_id, "resource_id": proxy,
            "http_method": "ANY", "type": "HTTP_PROXY", "integration_http_method": "ANY",
            "uri": format!("http://{endpoint}/{{proxy}}"), "connection_type": "VPC_LINK",
            "connection_id": link, "timeout_milliseconds": 29000
        }),
    );
    let deployment = gw
        .create_deployment()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    let deployment = deployment.id().unwrap().to_owned();
    push(
        made,
        None,
        &deployment,
        "backend",
        ("aws_api_gateway_deployment", "main"),
        json!({"id": deployment, "rest_api_id": api_id}),
    );
    gw.create_stage()
        .rest_api_id(&api_id)
        .stage_name("staging")
        .deployment_id(&deployment)
        .send()
        .await
        .unwrap();
    push(
        made,
        Some("backend.api_stage"),
        &format!("{api_id}/staging"),
        "backend",
        ("aws_api_gateway_stage", "main"),
        json!({
            "id": format!("ags-{api_id}-staging"), "rest_api_id": api_id, "stage_name": "staging",
            "deployment_id": deployment
        }),
    );
    let key = gw
        .create_api_key()
        .name("agentpass-staging-key")
        .enabled(true)
        .send()
        .await
        .unwrap();
    let key = key.id().unwrap().to_owned();
    push(
        made,
        Some("shared.api_key"),
        &key,
        "shared",
        ("aws_api_gateway_api_key", "main"),
        json!({"id": key, "name": "agentpass-staging-key", "enabled": true, "value": null}),
    );
    let plan = gw
        .create_usage_plan()
        .name("agentpass-api-staging-usage")
        .api_stages(ApiStage::builder().api_id(&api_id).stage("staging").build())
        .throttle(
            ThrottleSettings::builder()
                .rate_limit(100.0)
                .burst_limit(200)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let plan = plan.id().unwrap().to_owned();
    gw.create_usage_plan_key()
        .usage_plan_id(&plan)
        .key_id(&key)
        .key_type("API_KEY")
        .send()
        .await
        .unwrap();
    push(
        made,
        Some("backend.usage_plan"),
        &plan,
        "backend",
        ("aws_api_gateway_usage_plan", "main"),
        json!({"id": plan, "name": "agentpass-api-staging-usage",
               "api_stages": [{"api_id": api_id, "stage": "staging"}],
               "throttle_settings": [{"rate_limit": 100, "burst_limit": 200}]}),
    );
    push(
        made,
        None,
        &key,
        "backend",
        ("aws_api_gateway_usage_plan_key", "main"),
        json!({"id": key, "key_id": key, "key_type": "API_KEY", "usage_plan_id": plan}),
    );
}
