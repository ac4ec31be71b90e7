//! The `Vpc` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN};

pub struct Vpc;

impl KindDef for Vpc {
    const DESCRIPTION: Description = Description {
        segment: "vpc",
        immutable: &["cidr"],
        id_prefix: Some("vpc-"),
        lookup: "DescribeVpcs",
        ..PLAIN
    };
}
