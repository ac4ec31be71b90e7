//! The `BeanstalkEnv` kind: what provision knows of it, whatever the service that holds it.

use super::{
    Description, KindDef, NameKind, Normalise, PLAIN, PausedForm, Price, Shown, Terraform, TfKey,
};

pub struct BeanstalkEnv;

impl KindDef for BeanstalkEnv {
    const DESCRIPTION: Description = Description {
        segment: "beanstalk",
        immutable: &[
            "name",
            "application",
            "tier",
            "cname_prefix",
            "settings.aws:ec2:vpc.VPCId",
            // "You can choose the type of load balancer ... only during environment creation"
            // (AWS Beanstalk guide, environments-cfg-alb); UpdateEnvironment refuses a change.
            "settings.aws:elasticbeanstalk:environment.LoadBalancerType",
        ],
        normalise: Normalise::DeclaredSettings,
        shown: Shown::DeclaredSettings,
        // Without a prefix AWS makes a unique one.
        names: &[
            (NameKind::BeanstalkEnv, "name"),
            (NameKind::CnamePrefix, "cname_prefix"),
        ],
        exposed: &["cname", "endpoint_url"],
        lookup: "DescribeEnvironments",
        terraform: Some(Terraform {
            tf_type: "aws_elastic_beanstalk_environment",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: false,
            },
        }),
        price: Price::Beanstalk,
        paused: PausedForm::ScaledToZero,
        ..PLAIN
    };
}
