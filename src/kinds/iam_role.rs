//! The `IamRole` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN, Terraform, TfKey};

pub struct IamRole;

impl KindDef for IamRole {
    const DESCRIPTION: Description = Description {
        segment: "iam_role",
        named: true,
        id_is_name: true,
        // IAM cannot rename a role.
        immutable: &["name"],
        names: &[(NameKind::IamRole, "name")],
        lookup: "ListRoleTags",
        terraform: Some(Terraform {
            tf_type: "aws_iam_role",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: true,
            },
        }),
        ..PLAIN
    };
}
