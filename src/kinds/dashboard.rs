//! The `Dashboard` kind: what provision knows of it, whatever the service that holds it.

use super::{Charge, Description, KindDef, NameKind, PLAIN, Price, Quantity, Terraform, TfKey};

pub struct Dashboard;

// A dashboard's id is its name, but dashboards take no tags: a recorded name is the only proof
// it is ours, so `id_is_name` stays false (with it, nothing could ever prove one ours) and the
// names check refuses to create over any dashboard not recorded.
impl KindDef for Dashboard {
    const DESCRIPTION: Description = Description {
        segment: "dashboard",
        immutable: &["name"],
        names: &[(NameKind::Dashboard, "name")],
        lookup: "GetDashboard",
        terraform: Some(Terraform {
            tf_type: "aws_cloudwatch_dashboard",
            key: TfKey::Attribute {
                attr: "dashboard_name",
                id_is_name: true,
            },
        }),
        price: Price::Charges(&[Charge {
            item: "CloudWatch dashboard",
            rate: "cloudwatch.dashboard_month",
            unit: "dashboard-month",
            quantity: Quantity::Month,
        }]),
        ..PLAIN
    };
}
