//! The `Alarm` kind: what provision knows of it, whatever the service that holds it.

use super::{Charge, Description, KindDef, NameKind, PLAIN, Price, Quantity, Terraform, TfKey};

pub struct Alarm;

// An alarm's id is its name (PutMetricAlarm creates and updates by name).
impl KindDef for Alarm {
    const DESCRIPTION: Description = Description {
        segment: "alarm",
        named: true,
        id_is_name: true,
        immutable: &["name"],
        names: &[(NameKind::Alarm, "name")],
        lookup: "DescribeAlarms",
        terraform: Some(Terraform {
            tf_type: "aws_cloudwatch_metric_alarm",
            key: TfKey::Attribute {
                attr: "alarm_name",
                id_is_name: true,
            },
        }),
        price: Price::Charges(&[Charge {
            item: "CloudWatch alarm (standard resolution)",
            rate: "cloudwatch.alarm_month",
            unit: "alarm-month",
            quantity: Quantity::Month,
        }]),
        ..PLAIN
    };
}
