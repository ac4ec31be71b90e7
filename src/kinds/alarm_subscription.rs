//! The `AlarmSubscription` kind: what provision knows of it, whatever the service that holds it.

use super::{Charge, Description, KindDef, PLAIN, Price, Quantity, Terraform, TfKey};

pub struct AlarmSubscription;

// A subscription cannot be changed in place: another endpoint is another subscription.
impl KindDef for AlarmSubscription {
    const DESCRIPTION: Description = Description {
        segment: "alarm_subscription",
        named: true,
        immutable: &["topic", "protocol", "endpoint"],
        // A subscription answers with its topic's tags.
        borrows_tags: true,
        lookup: "GetSubscriptionAttributes",
        terraform: Some(Terraform {
            tf_type: "aws_sns_topic_subscription",
            key: TfKey::Attribute {
                attr: "endpoint",
                id_is_name: false,
            },
        }),
        price: Price::Charges(&[Charge {
            item: "alarm e-mails (assumed)",
            rate: "sns.email_notification",
            unit: "e-mail",
            quantity: Quantity::Assumed("alarm_emails_per_month"),
        }]),
        ..PLAIN
    };
}
