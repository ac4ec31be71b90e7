//! The `ApiKey` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, NameKind, PLAIN};

pub struct ApiKey;

impl KindDef for ApiKey {
    const DESCRIPTION: Description = Description {
        segment: "api_key",
        names: &[(NameKind::ApiKey, "name")],
        lookup: "GetApiKey",
        ..PLAIN
    };
}
