//! The `ElasticIp` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN, Terraform, TfKey};

pub struct ElasticIp;

impl KindDef for ElasticIp {
    const DESCRIPTION: Description = Description {
        segment: "eip",
        named: true,
        id_prefix: Some("eipalloc-"),
        lookup: "DescribeAddresses",
        terraform: Some(Terraform {
            tf_type: "aws_eip",
            key: TfKey::NatSubnet,
        }),
        ..PLAIN
    };
}
