//! The `RestApi` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN, Terraform, TfKey};

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
        ..PLAIN
    };
}
