//! The `AlarmTopic` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN, Terraform, TfKey};

pub struct AlarmTopic;

// An SNS topic's id is its ARN; SNS cannot rename a topic.
impl KindDef for AlarmTopic {
    const DESCRIPTION: Description = Description {
        segment: "alarm_topic",
        immutable: &["name"],
        names: &[(NameKind::SnsTopic, "name")],
        // A topic is deleted once nothing notifies it any more.
        deleted_after: &[super::Kind::Alarm, super::Kind::AlarmSubscription],
        lookup: "GetTopicAttributes",
        terraform: Some(Terraform {
            tf_type: "aws_sns_topic",
            key: TfKey::Attribute {
                attr: "name",
                id_is_name: false,
            },
        }),
        // Free to keep (its few publishes are left out: see the price table's [sns]).
        ..PLAIN
    };
}
