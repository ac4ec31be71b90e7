//! The `RestApi` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN};

pub struct RestApi;

impl KindDef for RestApi {
    const DESCRIPTION: Description = Description {
        segment: "api",
        names: &[(NameKind::RestApi, "name")],
        lookup: "GetRestApi",
        ..PLAIN
    };
}
