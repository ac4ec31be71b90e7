//! The `InternetGateway` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN, Terraform, TfKey};

pub struct InternetGateway;

impl KindDef for InternetGateway {
    const DESCRIPTION: Description = Description {
        segment: "internet_gateway",
        immutable: &["vpc"],
        // AWS refuses to detach an internet gateway while public addresses are mapped
        // in the VPC: NAT gateways and elastic IPs go first.
        deleted_after: &[super::Kind::NatGateway, super::Kind::ElasticIp],
        id_prefix: Some("igw-"),
        lookup: "DescribeInternetGateways",
        terraform: Some(Terraform {
            tf_type: "aws_internet_gateway",
            key: TfKey::One,
        }),
        ..PLAIN
    };
}
