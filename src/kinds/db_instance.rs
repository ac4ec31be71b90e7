//! The `DbInstance` kind: what provision knows of it, whatever the service that holds it.

use super::{
    Description, KindDef, NameKind, Normalise, PLAIN, PausedForm, Price, Terraform, TfKey,
};

pub struct DbInstance;

impl KindDef for DbInstance {
    const DESCRIPTION: Description = Description {
        segment: "rds",
        id_is_name: true,
        immutable: &["identifier", "engine", "db_name", "master_username"],
        holds_data: true,
        normalise: Normalise::Database,
        names: &[(NameKind::DbInstance, "identifier")],
        // `endpoint` is the hostname alone (Terraform calls it `address`); `port` separately.
        exposed: &["endpoint", "port", "db_name", "master_secret_arn"],
        lookup: "DescribeDBInstances",
        terraform: Some(Terraform {
            tf_type: "aws_db_instance",
            key: TfKey::Identifier,
        }),
        price: Price::Database,
        paused: PausedForm::Stopped,
        ..PLAIN
    };
}
