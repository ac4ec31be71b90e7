//! S3 object operations the state store needs: conditional writes, reads with ETags, listing,
//! and creating the state bucket (versioned) on first use.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    VersioningConfiguration,
};

use super::AwsError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub body: Vec<u8>,
    pub etag: String,
}

/// The precondition of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Only if no object exists (`If-None-Match: *`).
    Absent,
    /// Only if the object still has this ETag (`If-Match`).
    Matches(String),
    /// Unconditionally (immutable history entries with unique keys).
    None,
}

/// Whether a bucket can hold state, as `HeadBucket` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketAccess {
    Usable,
    Missing,
    /// 403: bucket names are global, and this one is most likely another account's.
    Forbidden,
}

/// A conditional write lost: someone else wrote first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict;

#[derive(Debug, Clone)]
pub struct S3Objects {
    client: aws_sdk_s3::Client,
    pub bucket: String,
    region: String,
}

impl S3Objects {
    pub fn new(
        client: aws_sdk_s3::Client,
        bucket: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        S3Objects {
            client,
            bucket: bucket.into(),
            region: region.into(),
        }
    }

    fn name(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    /// What `HeadBucket` says about the bucket. Its answer to a HEAD has no body, so the status
    /// is all there is: 403 means the (global) name is another account's bucket, or one these
    /// credentials may not read.
    pub async fn access(&self) -> Result<BucketAccess, AwsError> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(BucketAccess::Usable),
            Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
                Some(404) => Ok(BucketAccess::Missing),
                Some(403) => Ok(BucketAccess::Forbidden),
                _ => Err(AwsError::from_sdk(
                    super::errors::S3,
                    format!("s3://{}", self.bucket),
                    "HeadBucket",
                    e,
                )),
            },
        }
    }

    /// Creates the bucket with versioning if it does not exist. `LocationConstraint` must be
    /// present outside us-east-1 and absent in it. A bucket that is not ours is left alone and
    /// reported as [`BucketAccess::Forbidden`].
    pub async fn ensure_bucket(&self) -> Result<BucketAccess, AwsError> {
        let resource = format!("s3://{}", self.bucket);
        match self.access().await? {
            BucketAccess::Missing => {}
            found @ (BucketAccess::Usable | BucketAccess::Forbidden) => return Ok(found),
        }
        let mut create = self.client.create_bucket().bucket(&self.bucket);
        if self.region != "us-east-1" {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        if let Err(e) = create.send().await {
            let err = AwsError::from_sdk(super::errors::S3, resource.clone(), "CreateBucket", e);
            match err.code() {
                // Another run created it a moment ago: fine.
                Some("BucketAlreadyOwnedByYou") => {}
                // Another account took the name since the HeadBucket.
                Some("BucketAlreadyExists") => return Ok(BucketAccess::Forbidden),
                _ => return Err(err),
            }
        }
        self.client
            .put_bucket_versioning()
            .bucket(&self.bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                AwsError::from_sdk(super::errors::S3, resource, "PutBucketVersioning", e)
            })?;
        Ok(BucketAccess::Usable)
    }

    pub async fn get(&self, key: &str) -> Result<Option<Object>, AwsError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let etag = out.e_tag().unwrap_or_default().to_owned();
                let body = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| AwsError::Unreachable {
                        resource: self.name(key),
                        operation: "GetObject",
                        detail: e.to_string(),
                    })?;
                Ok(Some(Object {
                    body: body.into_bytes().to_vec(),
                    etag,
                }))
            }
            Err(e) => {
                let err = AwsError::from_sdk(super::errors::S3, self.name(key), "GetObject", e);
                if err.is_not_found() {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    pub async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        precondition: Precondition,
    ) -> Result<Result<String, Conflict>, AwsError> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body.clone()));
        req = match precondition {
            Precondition::Absent => req.if_none_match("*"),
            Precondition::Matches(etag) => req.if_match(etag),
            Precondition::None => req,
        };
        match req.send().await {
            Ok(out) => Ok(Ok(out.e_tag().unwrap_or_default().to_owned())),
            Err(e) => {
                let err = AwsError::from_sdk(super::errors::S3, self.name(key), "PutObject", e);
                match err.code() {
                    Some("PreconditionFailed" | "ConditionalRequestConflict") => {
                        // The SDK retries a write whose answer was lost (connection dropped, 5xx
                        // after the work was done), and the retry then fails its precondition on
                        // the object the first attempt wrote. Our very bytes there: it landed.
                        match self.get(key).await? {
                            Some(existing) if existing.body == body => Ok(Ok(existing.etag)),
                            _ => Ok(Err(Conflict)),
                        }
                    }
                    _ => Err(err),
                }
            }
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), AwsError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                AwsError::from_sdk(super::errors::S3, self.name(key), "DeleteObject", e)
            })?;
        Ok(())
    }

    /// The objects directly in a "directory" (a prefix ending in `/`, not below its next `/`)
    /// with their ETags, in one call: how a reader sees whether a lock or snapshot changed
    /// without reading them. No bucket yet reads as no objects.
    pub async fn etags(&self, dir: &str) -> Result<BTreeMap<String, String>, AwsError> {
        Ok(self.grouped(dir, "/").await?.0)
    }

    /// The objects under `prefix` whose keys hold no `delimiter` after it, with their ETags, and
    /// the common prefixes the others roll up into: a page per 1,000 of both together
    /// (ListObjectsV2: "Each rolled-up result counts as only one return against the MaxKeys
    /// value", https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html). No
    /// bucket yet reads as nothing.
    pub async fn grouped(
        &self,
        prefix: &str,
        delimiter: &str,
    ) -> Result<(BTreeMap<String, String>, Vec<String>), AwsError> {
        let (mut out, mut rolled) = (BTreeMap::new(), Vec::new());
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .delimiter(delimiter)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    let err = AwsError::from_sdk(
                        super::errors::S3,
                        self.name(prefix),
                        "ListObjectsV2",
                        e,
                    );
                    return if err.is_not_found() {
                        Ok((out, rolled))
                    } else {
                        Err(err)
                    };
                }
            };
            out.extend(page.contents().iter().filter_map(|o| {
                Some((
                    o.key()?.to_owned(),
                    o.e_tag().unwrap_or_default().to_owned(),
                ))
            }));
            rolled.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned)),
            );
        }
        Ok((out, rolled))
    }

    /// Keys under a prefix, sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, AwsError> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                AwsError::from_sdk(super::errors::S3, self.name(prefix), "ListObjectsV2", e)
            })?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        keys.sort();
        Ok(keys)
    }
}
