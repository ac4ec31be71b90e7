//! The `RestApi` kind: what provision knows of it, whatever the service that holds it.

use super::{Charge, Description, KindDef, NameKind, PLAIN, Price, Quantity, Terraform, TfKey};

pub struct RestApi;

impl KindDef for RestApi {
    const DESCRIPTION: Description = Description {
        segment: "api",
        names: &[(NameKind::RestApi, "name")],
        lookup: "GetRestApi",
        terraform: Some(Terraform {
            tf_type: "aws_api_gateway_rest_api",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: false,
            },
        }),
        price: Price::Charges(&[Charge {
            item: "REST API requests (assumed)",
            rate: "api_gateway.rest_per_million",
            unit: "million requests",
            quantity: Quantity::Assumed("api_requests_millions"),
        }]),
        ..PLAIN
    };
}
