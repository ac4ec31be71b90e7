//! The `VpcLink` kind: what provision knows of it, whatever the service that holds it.

use super::{Charge, Description, KindDef, PLAIN, Price, Quantity, Terraform, TfKey};

pub struct VpcLink;

// A V2 link is immutable: "you can't change its subnets or security groups"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-vpc-links-v2.html).
// Two links may exist side by side: a link is known by the id AWS gives it, and CreateVpcLink
// (API Gateway V2 API reference) asks for a name it does not require to be unique.
impl KindDef for VpcLink {
    const DESCRIPTION: Description = Description {
        segment: "vpc_link",
        immutable: &["name", "subnets", "security_groups"],
        coexists: true,
        lookup: "GetVpcLink",
        terraform: Some(Terraform {
            tf_type: "aws_apigatewayv2_vpc_link",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: false,
            },
        }),
        // Shown at its price (none today) so the table says it was considered.
        price: Price::Charges(&[Charge {
            item: "VPC link (V2)",
            rate: "vpc_link.hourly",
            unit: "hour",
            quantity: Quantity::Hours,
        }]),
        ..PLAIN
    };
}
