//! The `Subnet` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN};

pub struct Subnet;

impl KindDef for Subnet {
    const DESCRIPTION: Description = Description {
        segment: "subnet",
        named: true,
        immutable: &["vpc", "cidr", "availability_zone"],
        id_prefix: Some("subnet-"),
        lookup: "DescribeSubnets",
        ..PLAIN
    };
}
