//! The `Subnet` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN, Terraform, TfKey};

pub struct Subnet;

impl KindDef for Subnet {
    const DESCRIPTION: Description = Description {
        segment: "subnet",
        named: true,
        immutable: &["vpc", "cidr", "availability_zone"],
        id_prefix: Some("subnet-"),
        lookup: "DescribeSubnets",
        terraform: Some(Terraform {
            tf_type: "aws_subnet",
            key: TfKey::Attribute {
                attr: "cidr_block",
                id_is_name: false,
            },
        }),
        ..PLAIN
    };
}
