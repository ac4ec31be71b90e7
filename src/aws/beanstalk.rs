//! Elastic Beanstalk: applications and environments of the backend and console.
//!
//! Being written: until then every call reports that it is not available, and
//! [`super::supported`] keeps these kinds out of plans.

use std::collections::{BTreeMap, BTreeSet};

use super::ids::Ids;
use super::{AwsError, Op};
use crate::model::*;

/// Whether plans include this module's kinds.
pub const SUPPORTED: bool = false;

/// Raw results of this service's read pass, before ids become references.
#[derive(Debug, Default)]
pub struct Raw {}

pub async fn read(_client: &aws_sdk_elasticbeanstalk::Client, _env: &str) -> Result<Raw, AwsError> {
    Ok(Raw::default())
}

impl Raw {
    /// (physical id, tags) of everything read, for the id map.
    pub fn tagged(&self) -> Vec<(String, Tags)> {
        Vec::new()
    }

    pub fn normalise(self, _env: &str, _ids: &Ids) -> BTreeMap<Address, LiveResource> {
        BTreeMap::new()
    }
}

fn unavailable(op: &Op<'_>) -> AwsError {
    op.invalid("this kind is not managed by this build yet")
}

pub async fn create(
    _client: &aws_sdk_elasticbeanstalk::Client,
    op: &Op<'_>,
) -> Result<String, AwsError> {
    Err(unavailable(op))
}

pub async fn update(
    _client: &aws_sdk_elasticbeanstalk::Client,
    op: &Op<'_>,
) -> Result<(), AwsError> {
    Err(unavailable(op))
}

pub async fn retag(
    _client: &aws_sdk_elasticbeanstalk::Client,
    op: &Op<'_>,
    _set: &BTreeMap<String, String>,
    _remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    Err(unavailable(op))
}

pub async fn delete(
    _client: &aws_sdk_elasticbeanstalk::Client,
    op: &Op<'_>,
) -> Result<(), AwsError> {
    Err(unavailable(op))
}
