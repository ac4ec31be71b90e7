//! What a setting may read of a resource apply has just made (`${backend.rds.endpoint}`): the
//! plan could not know it, so the executor reads it right before the change that sends it.

use std::collections::BTreeMap;

use super::service::{Service, ServiceId, dispatch};
use super::{Aws, AwsError};
use crate::model::Address;

impl Aws {
    /// The attributes of the resource at `address`, whose physical id is `id`.
    pub async fn exports_of(
        &self,
        address: &Address,
        id: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let service = ServiceId::of(address.kind);
        let mut out = dispatch!(service, S => S::new(self).exports(address, id).await)?;
        out.insert("id".into(), id.to_owned());
        Ok(out)
    }
}
