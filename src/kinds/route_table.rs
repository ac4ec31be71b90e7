//! The `RouteTable` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN, PausedForm, Terraform, TfKey};

pub struct RouteTable;

impl KindDef for RouteTable {
    const DESCRIPTION: Description = Description {
        segment: "route_table",
        named: true,
        immutable: &["vpc"],
        id_prefix: Some("rtb-"),
        lookup: "DescribeRouteTables",
        terraform: Some(Terraform {
            tf_type: "aws_route_table",
            key: TfKey::Subnets,
        }),
        paused: PausedForm::RoutesDropped,
        ..PLAIN
    };
}
