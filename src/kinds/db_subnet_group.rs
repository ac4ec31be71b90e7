//! The `DbSubnetGroup` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN, Terraform, TfKey};

pub struct DbSubnetGroup;

impl KindDef for DbSubnetGroup {
    const DESCRIPTION: Description = Description {
        segment: "db_subnet_group",
        id_is_name: true,
        immutable: &["name", "vpc"],
        names: &[(NameKind::DbSubnetGroup, "name")],
        lookup: "DescribeDBSubnetGroups",
        terraform: Some(Terraform {
            tf_type: "aws_db_subnet_group",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: true,
            },
        }),
        ..PLAIN
    };
}
