//! Everything in a test account that carries an environment's ownership tag, listed with the SDK
//! straight from LocalStack: not through provision's reader, which keys resources by address and
//! so would hide a duplicate. What is on its way out (a NAT gateway or database being deleted, a
//! terminating Beanstalk environment) does not count.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{Filter, NatGatewayState};
use aws_sdk_elasticbeanstalk::types::EnvironmentStatus;
use provision::aws::Aws;
use provision::model::{TAG_ADDRESS, TAG_ENV, Tags};

/// The kinds listed, by their names in addresses (`shared.subnet.public-a` is a `subnet`).
pub const KINDS: [&str; 16] = [
    "vpc",
    "subnet",
    "internet_gateway",
    "eip",
    "nat_gateway",
    "route_table",
    "security_group",
    "rds",
    "db_subnet_group",
    "beanstalk_app",
    "beanstalk",
    "api",
    "api_stage",
    "api_key",
    "usage_plan",
    "vpc_link",
];

/// One resource carrying the environment's tag.
#[derive(Debug, Clone)]
pub struct Found {
    pub kind: &'static str,
    pub id: String,
    /// Its `provision:address` tag; empty where it has none.
    pub address: String,
}

/// How many resources of each kind carry `env`'s tag; every kind of [`KINDS`], zeros included.
pub async fn by_kind(aws: &Aws, env: &str) -> BTreeMap<&'static str, usize> {
    let mut n: BTreeMap<&'static str, usize> = KINDS.iter().map(|k| (*k, 0)).collect();
    for f in tagged(aws, env).await {
        *n.get_mut(f.kind).expect("a listed kind") += 1;
    }
    n
}

/// The physical ids under each address tag; more than one is a duplicate.
pub async fn by_address(aws: &Aws, env: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in tagged(aws, env).await {
        out.entry(f.address).or_default().push(f.id);
    }
    out
}

/// Every resource in the account that carries `env`'s ownership tag.
pub async fn tagged(aws: &Aws, env: &str) -> Vec<Found> {
    let mut c = Census {
        env,
        found: Vec::new(),
    };
    ec2(aws, &mut c).await;
    rds(aws, &mut c).await;
    beanstalk(aws, &mut c).await;
    apigateway(aws, &mut c).await;
    vpc_links(aws, &mut c).await;
    c.found
}

struct Census<'a> {
    env: &'a str,
    found: Vec<Found>,
}

impl Census<'_> {
    fn put(&mut self, kind: &'static str, tags: Tags, id: &str) {
        if tags.get(TAG_ENV).map(String::as_str) == Some(self.env) {
            self.found.push(Found {
                kind,
                id: id.to_owned(),
                address: tags.get(TAG_ADDRESS).cloned().unwrap_or_default(),
            });
        }
    }
}

fn pairs<'t>(tags: impl IntoIterator<Item = (Option<&'t str>, Option<&'t str>)>) -> Tags {
    tags.into_iter()
        .map(|(k, v)| {
            (
                k.unwrap_or_default().to_owned(),
                v.unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn ec2_tags(t: &[aws_sdk_ec2::types::Tag]) -> Tags {
    pairs(t.iter().map(|t| (t.key(), t.value())))
}

async fn ec2(aws: &Aws, c: &mut Census<'_>) {
    let f = || {
        Filter::builder()
            .name(format!("tag:{TAG_ENV}"))
            .values(c.env)
            .build()
    };
    let ec2 = &aws.ec2;
    let vpcs = ec2.describe_vpcs().filters(f()).send().await.unwrap();
    let subnets = ec2.describe_subnets().filters(f()).send().await.unwrap();
    let igws = ec2.describe_internet_gateways().filters(f());
    let igws = igws.send().await.unwrap();
    let eips = ec2.describe_addresses().filters(f()).send().await.unwrap();
    let nats = ec2
        .describe_nat_gateways()
        .filter(f())
        .send()
        .await
        .unwrap();
    let tables = ec2
        .describe_route_tables()
        .filters(f())
        .send()
        .await
        .unwrap();
    let groups = ec2.describe_security_groups().filters(f());
    let groups = groups.send().await.unwrap();
    for v in vpcs.vpcs() {
        c.put("vpc", ec2_tags(v.tags()), v.vpc_id().unwrap());
    }
    for s in subnets.subnets() {
        c.put("subnet", ec2_tags(s.tags()), s.subnet_id().unwrap());
    }
    for g in igws.internet_gateways() {
        let id = g.internet_gateway_id().unwrap();
        c.put("internet_gateway", ec2_tags(g.tags()), id);
    }
    for a in eips.addresses() {
        c.put("eip", ec2_tags(a.tags()), a.allocation_id().unwrap());
    }
    for n in nats.nat_gateways() {
        use NatGatewayState as S;
        if !matches!(n.state(), Some(S::Deleted | S::Deleting | S::Failed)) {
            c.put(
                "nat_gateway",
                ec2_tags(n.tags()),
                n.nat_gateway_id().unwrap(),
            );
        }
    }
    for t in tables.route_tables() {
        c.put(
            "route_table",
            ec2_tags(t.tags()),
            t.route_table_id().unwrap(),
        );
    }
    for g in groups.security_groups() {
        c.put("security_group", ec2_tags(g.tags()), g.group_id().unwrap());
    }
}

fn rds_tags(t: &[aws_sdk_rds::types::Tag]) -> Tags {
    pairs(t.iter().map(|t| (t.key(), t.value())))
}

async fn rds(aws: &Aws, c: &mut Census<'_>) {
    let rds = &aws.rds;
    let dbs = rds.describe_db_instances().send().await.unwrap();
    for d in dbs.db_instances() {
        if d.db_instance_status() != Some("deleting") {
            let id = d.db_instance_identifier().unwrap();
            c.put("rds", rds_tags(d.tag_list()), id);
        }
    }
    let groups = rds.describe_db_subnet_groups().send().await.unwrap();
    for g in groups.db_subnet_groups() {
        let tags = rds
            .list_tags_for_resource()
            .resource_name(g.db_subnet_group_arn().unwrap())
            .send()
            .await
            .unwrap();
        let id = g.db_subnet_group_name().unwrap();
        c.put("db_subnet_group", rds_tags(tags.tag_list()), id);
    }
}

async fn beanstalk(aws: &Aws, c: &mut Census<'_>) {
    let eb = &aws.beanstalk;
    let tags = |arn: &str| {
        let call = eb.list_tags_for_resource().resource_arn(arn);
        async move {
            let out = call.send().await.unwrap();
            pairs(out.resource_tags().iter().map(|t| (t.key(), t.value())))
        }
    };
    let apps = eb.describe_applications().send().await.unwrap();
    for a in apps.applications() {
        let t = tags(a.application_arn().unwrap()).await;
        c.put("beanstalk_app", t, a.application_name().unwrap());
    }
    let envs = eb.describe_environments().include_deleted(false);
    for e in envs.send().await.unwrap().environments() {
        use EnvironmentStatus as S;
        if !matches!(e.status(), Some(S::Terminated | S::Terminating)) {
            let t = tags(e.environment_arn().unwrap()).await;
            c.put("beanstalk", t, e.environment_id().unwrap());
        }
    }
}

async fn vpc_links(aws: &Aws, c: &mut Census<'_>) {
    use aws_sdk_apigatewayv2::types::VpcLinkStatus as S;
    let links = aws.apigatewayv2.get_vpc_links().send().await.unwrap();
    for l in links.items() {
        if !matches!(l.vpc_link_status(), Some(S::Deleting | S::Failed)) {
            let tags = l.tags().cloned().unwrap_or_default().into_iter().collect();
            c.put("vpc_link", tags, l.vpc_link_id().unwrap());
        }
    }
}

async fn apigateway(aws: &Aws, c: &mut Census<'_>) {
    let api = &aws.apigateway;
    let owned = |t: Option<&HashMap<String, String>>| -> Tags {
        t.map(|t| t.clone().into_iter().collect())
            .unwrap_or_default()
    };
    for a in api.get_rest_apis().limit(500).send().await.unwrap().items() {
        let id = a.id().unwrap();
        c.put("api", owned(a.tags()), id);
        let stages = api.get_stages().rest_api_id(id).send().await.unwrap();
        for s in stages.item() {
            let stage = format!("{id}/{}", s.stage_name().unwrap());
            c.put("api_stage", owned(s.tags()), &stage);
        }
    }
    for k in api.get_api_keys().limit(500).send().await.unwrap().items() {
        c.put("api_key", owned(k.tags()), k.id().unwrap());
    }
    let plans = api.get_usage_plans().limit(500).send().await.unwrap();
    for p in plans.items() {
        c.put("usage_plan", owned(p.tags()), p.id().unwrap());
    }
}
