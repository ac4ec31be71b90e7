//! The `SecurityGroup` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN};

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
        ..PLAIN
    };
}
