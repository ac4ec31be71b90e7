//! Each kind's AWS half, [`AwsKind`]: how a resource of it is created, changed, retagged,
//! deleted and read by id. It is implemented in its service's module (which keeps the client,
//! the error table and the batched read), and the dispatch from a `Kind` to it is generated
//! from the registry (`crate::kinds::with_kinds!`), so no service matches on kinds to find the
//! step to run and a new kind adds no arm here.

use std::collections::{BTreeMap, BTreeSet};

use super::service::Service;
use super::{Aws, AwsError, Op};
use crate::model::{Address, Kind, Tags};

/// A kind's steps in AWS. Every step gets its service (its client) and the whole step (`Op`).
pub(crate) trait AwsKind {
    /// The service that holds it, as its registry line says.
    type Service: Service;

    /// The tags of what AWS holds under the step's id now; `None` when it is gone.
    async fn tags_now(s: &Self::Service, op: &Op<'_>) -> Result<Option<Tags>, AwsError>;

    /// Creates the resource; returns its physical id.
    async fn create(s: &Self::Service, op: &Op<'_>) -> Result<String, AwsError>;

    /// Changes attributes in place (tags excepted: see `retag`).
    async fn update(s: &Self::Service, op: &Op<'_>) -> Result<(), AwsError>;

    async fn retag(
        s: &Self::Service,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError>;

    async fn delete(s: &Self::Service, op: &Op<'_>) -> Result<(), AwsError>;

    /// AWS's own answer for an id `tags_now` found nothing under: the error of a read by that
    /// id (`InvalidVpcID.NotFound`, `DBInstanceNotFound` …), from the call the kind's
    /// description names (`Description::lookup`); `None` where that read answers an empty list.
    async fn not_found(s: &Self::Service, address: &Address, id: &str) -> Option<AwsError>;

    /// What settings may read of a resource apply has just made (its description's
    /// `exposed`), read by id; nothing for most kinds.
    async fn exports(
        _s: &Self::Service,
        _address: &Address,
        _id: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        Ok(BTreeMap::new())
    }
}

/// Defines `by_kind!($kind, K => $body)`, which runs `$body` with the type `K` bound to the
/// kind's type (`crate::kinds::vpc::Vpc`), from the registry.
macro_rules! define_by_kind {
    ($($variant:ident => $module:ident, $service:ident;)*) => {
        macro_rules! by_kind {
            ($kind:expr, $K:ident => $body:expr) => {
                match $kind {
                    $(Kind::$variant => {
                        type $K = crate::kinds::$module::$variant;
                        $body
                    })*
                }
            };
        }
    };
}

crate::kinds::with_kinds!(define_by_kind);

/// The service that holds `K`, on `aws`'s clients.
fn service<K: AwsKind>(aws: &Aws) -> K::Service {
    <K::Service as Service>::new(aws)
}

impl Aws {
    /// Creates the resource; returns its physical id.
    pub async fn create(&self, op: &Op<'_>) -> Result<String, AwsError> {
        by_kind!(op.address.kind, K => K::create(&service::<K>(self), op).await)
    }

    /// Changes attributes in place (tags excepted: see [`Aws::retag`]).
    pub async fn update(&self, op: &Op<'_>) -> Result<(), AwsError> {
        by_kind!(op.address.kind, K => K::update(&service::<K>(self), op).await)
    }

    pub async fn retag(
        &self,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        by_kind!(op.address.kind, K => K::retag(&service::<K>(self), op, set, remove).await)
    }

    pub async fn delete(&self, op: &Op<'_>) -> Result<(), AwsError> {
        by_kind!(op.address.kind, K => K::delete(&service::<K>(self), op).await)
    }

    /// The tags of what AWS holds under the step's id now; `None` when it is gone.
    pub(crate) async fn tags_now(&self, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        by_kind!(op.address.kind, K => K::tags_now(&service::<K>(self), op).await)
    }

    /// AWS's own answer for an id `tags_at` found nothing under: the error of a read by that
    /// id, from the kind's `AwsKind::not_found`; `None` where the read answers an empty list
    /// instead (Beanstalk, CloudWatch alarms).
    pub async fn not_found(&self, address: &Address, id: &str) -> Option<AwsError> {
        by_kind!(address.kind, K => K::not_found(&service::<K>(self), address, id).await)
    }

    /// The attributes of the resource at `address`, whose physical id is `id`, that settings
    /// may read (its description's `exposed`), and the id.
    pub async fn exports_of(
        &self,
        address: &Address,
        id: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let mut out =
            by_kind!(address.kind, K => K::exports(&service::<K>(self), address, id).await)?;
        out.insert("id".into(), id.to_owned());
        Ok(out)
    }
}

/// A step whose attributes are another kind's than its address: the planner never makes one
/// (a kind change is a replacement), so this is a defect, reported instead of acted on.
pub(crate) fn mismatch(op: &Op<'_>) -> AwsError {
    op.invalid("has the attributes of another kind than its address")
}
