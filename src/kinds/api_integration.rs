//! The `ApiIntegration` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN, Terraform, TfKey};

pub struct ApiIntegration;

impl KindDef for ApiIntegration {
    const DESCRIPTION: Description = Description {
        segment: "api_integration",
        immutable: &["api"],
        id_shape: Some(("REST_API_ID/RESOURCE_ID/ANY", 3)),
        // An integration has no tags: it answers with its REST API's.
        borrows_tags: true,
        owned_through: Some(super::Kind::RestApi),
        lookup: "GetRestApi",
        terraform: Some(Terraform {
            tf_type: "aws_api_gateway_integration",
            key: TfKey::Integration,
        }),
        ..PLAIN
    };
}
