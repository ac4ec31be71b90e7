//! The `UsagePlan` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN};

pub struct UsagePlan;

impl KindDef for UsagePlan {
    const DESCRIPTION: Description = Description {
        segment: "usage_plan",
        immutable: &["api"],
        names: &[(NameKind::UsagePlan, "name")],
        lookup: "GetUsagePlan",
        ..PLAIN
    };
}
