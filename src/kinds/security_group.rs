//! The `SecurityGroup` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN, Terraform, TfKey};

pub struct SecurityGroup;

impl KindDef for SecurityGroup {
    const DESCRIPTION: Description = Description {
        segment: "security_group",
        named: true,
        // AWS cannot rename a group or change its description.
        immutable: &["vpc", "name", "description"],
        names: &[(NameKind::SecurityGroup, "name")],
        id_prefix: Some("sg-"),
        lookup: "DescribeSecurityGroups",
        terraform: Some(Terraform {
            tf_type: "aws_security_group",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: false,
            },
        }),
        ..PLAIN
    };
}
