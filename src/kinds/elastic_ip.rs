//! The `ElasticIp` kind: what provision knows of it, whatever the service that holds it.

use super::{Charge, Description, KindDef, PLAIN, PausedForm, Price, Quantity, Terraform, TfKey};

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
        price: Price::Charges(&[Charge {
            item: "public IPv4 address (Elastic IP)",
            rate: "public_ipv4.hourly",
            unit: "address-hour",
            quantity: Quantity::Hours,
        }]),
        paused: PausedForm::Identity,
        ..PLAIN
    };
}
