//! The `IamRole` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN};

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
        ..PLAIN
    };
}
