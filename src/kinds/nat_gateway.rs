//! The `NatGateway` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN, Terraform, TfKey};

pub struct NatGateway;

impl KindDef for NatGateway {
    const DESCRIPTION: Description = Description {
        segment: "nat_gateway",
        named: true,
        immutable: &["subnet", "elastic_ip"],
        id_prefix: Some("nat-"),
        lookup: "DescribeNatGateways",
        terraform: Some(Terraform {
            tf_type: "aws_nat_gateway",
            key: TfKey::SubnetCidr,
        }),
        ..PLAIN
    };
}
