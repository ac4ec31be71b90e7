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

/// An EC2 kind's [`AwsKind`] impl. What every EC2 kind does alike is written here once: its
/// tags read by id through a filter, `ec2_write::retag` (CreateTags and DeleteTags take the
/// ids of EC2 resources of any type: EC2 API reference, `ResourceId.N`), and AWS's "not
/// found" from the read by id (`$op`, the description's `lookup`). Each kind gives its
/// create, update and delete, and its own `tags_now` where a filter is not enough (the
/// second form).
macro_rules! ec2_kind {
    (
        $kind:ty,
        $op:literal: $describe:ident, filter $filter:literal, listed $list:ident, by id $ids:ident;
        $($steps:tt)*
    ) => {
        ec2_kind! {
            $kind,
            $op: $describe, by id $ids;
            async fn tags_now(s: &Ec2, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
                let out = s
                    .client
                    .$describe()
                    .filters(one($filter, op.id()))
                    .send()
                    .await
                    .map_err(sdk_err(ERRORS, &op.resource(), $op))?;
                Ok(out.$list().first().map(|v| tags_of(v.tags())))
            }
            $($steps)*
        }
    };
    ($kind:ty, $op:literal: $describe:ident, by id $ids:ident; $($steps:tt)*) => {
        impl AwsKind for $kind {
            type Service = Ec2;

            async fn retag(
                s: &Ec2,
                op: &Op<'_>,
                set: &BTreeMap<String, String>,
                remove: &BTreeSet<String>,
            ) -> Result<(), AwsError> {
                ec2_write::retag(&s.client, op, set, remove).await
            }

            async fn not_found(s: &Ec2, address: &Address, id: &str) -> Option<AwsError> {
                let c = &s.client;
                super::service::refused!(ERRORS, &address.to_string(), $op, c.$describe().$ids(id))
            }

            $($steps)*
        }
    };
}

ec2_kind! {
    crate::kinds::vpc::Vpc,
    "DescribeVpcs": describe_vpcs, filter "vpc-id", listed vpcs, by id vpc_ids;

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

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        ec2_write::delete_vpc(&s.client, op).await
    }
}

ec2_kind! {
    crate::kinds::subnet::Subnet,
    "DescribeSubnets": describe_subnets, filter "subnet-id", listed subnets, by id subnet_ids;

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

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        ec2_write::delete_subnet(&s.client, op).await
    }
}

ec2_kind! {
    crate::kinds::internet_gateway::InternetGateway,
    "DescribeInternetGateways": describe_internet_gateways,
    filter "internet-gateway-id", listed internet_gateways, by id internet_gateway_ids;

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
}

ec2_kind! {
    crate::kinds::elastic_ip::ElasticIp,
    "DescribeAddresses": describe_addresses,
    filter "allocation-id", listed addresses, by id allocation_ids;

    async fn create(s: &Ec2, op: &Op<'_>) -> Result<String, AwsError> {
        ec2_write::create_eip(&s.client, op).await
    }

    /// Every attribute is immutable (a change is a replacement): nothing to do in place.
    async fn update(_s: &Ec2, _op: &Op<'_>) -> Result<(), AwsError> {
        Ok(())
    }

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        ec2_write::release_eip(&s.client, op).await
    }
}

ec2_kind! {
    crate::kinds::nat_gateway::NatGateway,
    "DescribeNatGateways": describe_nat_gateways, by id nat_gateway_ids;

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

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let r = ec2_write::delete_nat(&s.client, op).await;
        let timeout = ec2_write::dependency_timeout(10);
        ec2_write::finish_delete(&s.client, op, r, None, timeout).await
    }
}

ec2_kind! {
    crate::kinds::route_table::RouteTable,
    "DescribeRouteTables": describe_route_tables,
    filter "route-table-id", listed route_tables, by id route_table_ids;

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

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let r = ec2_write::delete_route_table(&s.client, op).await;
        let timeout = ec2_write::dependency_timeout(10);
        ec2_write::finish_delete(&s.client, op, r, None, timeout).await
    }
}

ec2_kind! {
    crate::kinds::security_group::SecurityGroup,
    "DescribeSecurityGroups": describe_security_groups,
    filter "group-id", listed security_groups, by id group_ids;

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

    async fn delete(s: &Ec2, op: &Op<'_>) -> Result<(), AwsError> {
        let Attrs::SecurityGroup(a) = op.before()? else {
            return Err(mismatch(op));
        };
        let timeout = ec2_write::dependency_timeout(15);
        let r = ec2_write::delete_security_group(&s.client, op, a, timeout).await;
        let holder = Some(("group-id", op.id().to_owned()));
        ec2_write::finish_delete(&s.client, op, r, holder, timeout).await
    }
}
