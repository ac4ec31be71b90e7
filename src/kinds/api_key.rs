//! The `ApiKey` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN, Terraform, TfKey};

pub struct ApiKey;

impl KindDef for ApiKey {
    const DESCRIPTION: Description = Description {
        segment: "api_key",
        names: &[(NameKind::ApiKey, "name")],
        lookup: "GetApiKey",
        terraform: Some(Terraform {
            tf_type: "aws_api_gateway_api_key",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: false,
            },
        }),
        ..PLAIN
    };
}
