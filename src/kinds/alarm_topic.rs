//! The `AlarmTopic` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN};

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
        ..PLAIN
    };
}
