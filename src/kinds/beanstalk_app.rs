//! The `BeanstalkApp` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN, Terraform, TfKey};

pub struct BeanstalkApp;

impl KindDef for BeanstalkApp {
    const DESCRIPTION: Description = Description {
        segment: "beanstalk_app",
        id_is_name: true,
        immutable: &["name"],
        names: &[(NameKind::BeanstalkApp, "name")],
        lookup: "DescribeApplications",
        terraform: Some(Terraform {
            tf_type: "aws_elastic_beanstalk_application",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: true,
            },
        }),
        ..PLAIN
    };
}
