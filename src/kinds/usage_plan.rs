//! The `UsagePlan` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN, Terraform, TfKey};

pub struct UsagePlan;

impl KindDef for UsagePlan {
    const DESCRIPTION: Description = Description {
        segment: "usage_plan",
        immutable: &["api"],
        names: &[(NameKind::UsagePlan, "name")],
        lookup: "GetUsagePlan",
        terraform: Some(Terraform {
            tf_type: "aws_api_gateway_usage_plan",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: false,
            },
        }),
        ..PLAIN
    };
}
