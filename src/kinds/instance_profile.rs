//! The `InstanceProfile` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN, Terraform, TfKey};

pub struct InstanceProfile;

impl KindDef for InstanceProfile {
    const DESCRIPTION: Description = Description {
        segment: "instance_profile",
        id_is_name: true,
        immutable: &["name"],
        names: &[(NameKind::InstanceProfile, "name")],
        lookup: "ListInstanceProfileTags",
        terraform: Some(Terraform {
            tf_type: "aws_iam_instance_profile",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: true,
            },
        }),
        ..PLAIN
    };
}
