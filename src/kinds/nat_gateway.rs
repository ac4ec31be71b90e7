//! The `NatGateway` kind: what provision knows of it, whatever the service that holds it.

use super::{Charge, Description, KindDef, PLAIN, PausedForm, Price, Quantity, Terraform, TfKey};

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
        price: Price::Charges(&[
            Charge {
                item: "NAT gateway",
                rate: "nat_gateway.hourly",
                unit: "hour",
                quantity: Quantity::Hours,
            },
            Charge {
                item: "NAT gateway data processed (assumed)",
                rate: "nat_gateway.gb_processed",
                unit: "GB",
                quantity: Quantity::Assumed("nat_gb_per_month"),
            },
        ]),
        // A pause deletes it and keeps its Elastic IP (that kind's form is `Identity`).
        paused: PausedForm::Removed,
        ..PLAIN
    };
}
