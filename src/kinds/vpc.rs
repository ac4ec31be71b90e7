//! The `Vpc` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN, Terraform, TfKey};

pub struct Vpc;

impl KindDef for Vpc {
    const DESCRIPTION: Description = Description {
        segment: "vpc",
        immutable: &["cidr"],
        id_prefix: Some("vpc-"),
        lookup: "DescribeVpcs",
        terraform: Some(Terraform {
            tf_type: "aws_vpc",
            key: TfKey::Attribute {
                attr: "cidr_block",
                id_is_name: false,
            },
        }),
        ..PLAIN
    };
}
