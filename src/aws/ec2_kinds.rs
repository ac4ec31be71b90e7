//! The network kinds' steps ([`AwsKind`]): each one's create, update, delete, tags by id and
//! AWS's "not found", over the calls in `ec2_write` and the tag reads here. Tags are set
//! the same way for all of them (`ec2_write::retag`).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::NatGatewayState;

use super::ec2::{ERRORS, Ec2};
use super::ec2_read::{id_filter, tags_of};
use super::ec2_write;
use super::kind::{AwsKind, mismatch};
use super::{AwsError, Op, sdk_err};
use crate::model::{Address, Attrs, Tags};

/// The filter that reads one resource by id: a filter rather than an id parameter, so a gone
/// id answers with nothing instead of an error.
fn one(name: &str, id: &str) -> aws_sdk_ec2::types::Filter {
    id_filter(name, vec![id.to_owned()])
}

impl AwsKind for crate::kinds::vpc::Vpc {
    type Service = Ec2;

    async fn tags_now(s: &Ec2, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let out = s
            .client
            .describe_vpcs()
            .filters(one("vpc-id", op.id()))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DescribeVpcs"))?;
        Ok(out.vpcs().first().map(|v| tags_of(v.tags())))
    }

    async fn create(s: &Ec2, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::Vpc(a) = op.after()? else {
            return Err(mismatch(op));
        };
        ec2_write::create_vpc(&s.client, op, a).await
    }

    async fn update(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let Attrs::Vpc(a) = op.after()? else {
            return Err(mismatch(op));
        };
        ec2_write::set_vpc_dns(&s.client, &op.resource(), op.id(), a).await
    }

    async fn retag(
        s: &Ec2,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        ec2_write::retag(&s.client, op, set, remove).await
    }

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        ec2_write::delete_vpc(&s.client, op).await
    }

    async fn not_found(s: &Ec2, address: &Address, id: &str) -> Option<AwsError> {
        let c = &s.client;
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "DescribeVpcs",
            c.describe_vpcs().vpc_ids(id)
        )
    }
}

impl AwsKind for crate::kinds::subnet::Subnet {
    type Service = Ec2;

    async fn tags_now(s: &Ec2, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let out = s
            .client
            .describe_subnets()
            .filters(one("subnet-id", op.id()))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DescribeSubnets"))?;
        Ok(out.subnets().first().map(|v| tags_of(v.tags())))
    }

    async fn create(s: &Ec2, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::Subnet(a) = op.after()? else {
            return Err(mismatch(op));
        };
        ec2_write::create_subnet(&s.client, op, a).await
    }

    async fn update(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::Subnet(b), Attrs::Subnet(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        ec2_write::update_subnet(&s.client, op, b, a).await
    }

    async fn retag(
        s: &Ec2,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        ec2_write::retag(&s.client, op, set, remove).await
    }

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        ec2_write::delete_subnet(&s.client, op).await
    }

    async fn not_found(s: &Ec2, address: &Address, id: &str) -> Option<AwsError> {
        let c = &s.client;
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "DescribeSubnets",
            c.describe_subnets().subnet_ids(id)
        )
    }
}

impl AwsKind for crate::kinds::internet_gateway::InternetGateway {
    type Service = Ec2;

    async fn tags_now(s: &Ec2, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let out = s
            .client
            .describe_internet_gateways()
            .filters(one("internet-gateway-id", op.id()))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DescribeInternetGateways"))?;
        Ok(out.internet_gateways().first().map(|v| tags_of(v.tags())))
    }

    async fn create(s: &Ec2, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::InternetGateway(a) = op.after()? else {
            return Err(mismatch(op));
        };
        ec2_write::create_igw(&s.client, op, a).await
    }

    async fn update(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::InternetGateway(b), Attrs::InternetGateway(a)) = (op.before()?, op.after()?)
        else {
            return Err(mismatch(op));
        };
        ec2_write::update_igw(&s.client, op, b, a).await
    }

    async fn retag(
        s: &Ec2,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        ec2_write::retag(&s.client, op, set, remove).await
    }

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let Attrs::InternetGateway(a) = op.before()? else {
            return Err(mismatch(op));
        };
        let timeout = ec2_write::dependency_timeout(10);
        let r = ec2_write::delete_igw(&s.client, op, a, timeout).await;
        // Detach waits for the public addresses mapped in the VPC.
        let holder = op.old.id(&a.vpc).ok().map(|v| ("vpc-id", v));
        ec2_write::finish_delete(&s.client, op, r, holder, timeout).await
    }

    async fn not_found(s: &Ec2, address: &Address, id: &str) -> Option<AwsError> {
        let c = &s.client;
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "DescribeInternetGateways",
            c.describe_internet_gateways().internet_gateway_ids(id)
        )
    }
}

impl AwsKind for crate::kinds::elastic_ip::ElasticIp {
    type Service = Ec2;

    async fn tags_now(s: &Ec2, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let out = s
            .client
            .describe_addresses()
            .filters(one("allocation-id", op.id()))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DescribeAddresses"))?;
        Ok(out.addresses().first().map(|v| tags_of(v.tags())))
    }

    async fn create(s: &Ec2, op: &Op<'_>) -> Result<String, AwsError> {
        ec2_write::create_eip(&s.client, op).await
    }

    /// Every attribute is immutable (a change is a replacement): nothing to do in place.
    async fn update(_s: &Ec2, _op: &Op<'_>) -> Result<(), AwsError> {
        Ok(())
    }

    async fn retag(
        s: &Ec2,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        ec2_write::retag(&s.client, op, set, remove).await
    }

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        ec2_write::release_eip(&s.client, op).await
    }

    async fn not_found(s: &Ec2, address: &Address, id: &str) -> Option<AwsError> {
        let c = &s.client;
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "DescribeAddresses",
            c.describe_addresses().allocation_ids(id)
        )
    }
}

impl AwsKind for crate::kinds::nat_gateway::NatGateway {
    type Service = Ec2;

    async fn tags_now(s: &Ec2, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let out = s
            .client
            .describe_nat_gateways()
            .filter(one("nat-gateway-id", op.id()))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DescribeNatGateways"))?;
        // A deleted gateway stays listed for a while: gone all the same.
        let live = out
            .nat_gateways()
            .iter()
            .find(|n| !matches!(n.state(), Some(NatGatewayState::Deleted)));
        Ok(live.map(|v| tags_of(v.tags())))
    }

    async fn create(s: &Ec2, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::NatGateway(a) = op.after()? else {
            return Err(mismatch(op));
        };
        ec2_write::create_nat(&s.client, op, a).await
    }

    /// Every attribute is immutable (a change is a replacement): nothing to do in place.
    async fn update(_s: &Ec2, _op: &Op<'_>) -> Result<(), AwsError> {
        Ok(())
    }

    async fn retag(
        s: &Ec2,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        ec2_write::retag(&s.client, op, set, remove).await
    }

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let r = ec2_write::delete_nat(&s.client, op).await;
        let timeout = ec2_write::dependency_timeout(10);
        ec2_write::finish_delete(&s.client, op, r, None, timeout).await
    }

    async fn not_found(s: &Ec2, address: &Address, id: &str) -> Option<AwsError> {
        let c = &s.client;
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "DescribeNatGateways",
            c.describe_nat_gateways().nat_gateway_ids(id)
        )
    }
}

impl AwsKind for crate::kinds::route_table::RouteTable {
    type Service = Ec2;

    async fn tags_now(s: &Ec2, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let out = s
            .client
            .describe_route_tables()
            .filters(one("route-table-id", op.id()))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DescribeRouteTables"))?;
        Ok(out.route_tables().first().map(|v| tags_of(v.tags())))
    }

    async fn create(s: &Ec2, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::RouteTable(a) = op.after()? else {
            return Err(mismatch(op));
        };
        ec2_write::create_route_table(&s.client, op, a).await
    }

    async fn update(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::RouteTable(b), Attrs::RouteTable(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        ec2_write::update_route_table(&s.client, &op.resource(), op.id(), b, a, &op.old, &op.ids)
            .await
    }

    async fn retag(
        s: &Ec2,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        ec2_write::retag(&s.client, op, set, remove).await
    }

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let r = ec2_write::delete_route_table(&s.client, op).await;
        let timeout = ec2_write::dependency_timeout(10);
        ec2_write::finish_delete(&s.client, op, r, None, timeout).await
    }

    async fn not_found(s: &Ec2, address: &Address, id: &str) -> Option<AwsError> {
        let c = &s.client;
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "DescribeRouteTables",
            c.describe_route_tables().route_table_ids(id)
        )
    }
}

impl AwsKind for crate::kinds::security_group::SecurityGroup {
    type Service = Ec2;

    async fn tags_now(s: &Ec2, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let out = s
            .client
            .describe_security_groups()
            .filters(one("group-id", op.id()))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DescribeSecurityGroups"))?;
        Ok(out.security_groups().first().map(|v| tags_of(v.tags())))
    }

    async fn create(s: &Ec2, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::SecurityGroup(a) = op.after()? else {
            return Err(mismatch(op));
        };
        ec2_write::create_security_group(&s.client, op, a).await
    }

    async fn update(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::SecurityGroup(b), Attrs::SecurityGroup(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        ec2_write::update_rules(&s.client, &op.resource(), op.id(), b, a, &op.old, &op.ids).await
    }

    async fn retag(
        s: &Ec2,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        ec2_write::retag(&s.client, op, set, remove).await
    }

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let Attrs::SecurityGroup(a) = op.before()? else {
            return Err(mismatch(op));
        };
        let timeout = ec2_write::dependency_timeout(15);
        let r = ec2_write::delete_security_group(&s.client, op, a, timeout).await;
        let holder = Some(("group-id", op.id().to_owned()));
        ec2_write::finish_delete(&s.client, op, r, holder, timeout).await
    }

    async fn not_found(s: &Ec2, address: &Address, id: &str) -> Option<AwsError> {
        let c = &s.client;
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "DescribeSecurityGroups",
            c.describe_security_groups().group_ids(id)
        )
    }
}
