//! The read pass's tags in bulk: one paged `GetResources` of the Resource Groups Tagging API,
//! filtered by the environment's ownership tags, instead of one tag read per resource.
//!
//! What AWS documents (API reference, GetResources,
//! https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html):
//! it returns the ARN and every tag of each resource that matches all `TagFilters` (a filter's
//! values are alternatives), of the `ResourceTypeFilters` given as `service[:resourceType]`; it
//! does not return untagged resources; a page may hold fewer results than allowed, so only an
//! empty `PaginationToken` ends the listing. IAM roles are not covered
//! (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html).
//!
//! The listing is believed for what it lists, never for what it leaves out: the API gives no
//! bound on how soon a resource just tagged is listed, so a service that finds a candidate the
//! index does not hold (a resource just created or tagged, one whose tags were lost, another
//! owner's) reads that one's tags itself, as before. A converged environment's resources are all
//! listed, so its read pass makes none of those calls. The index is made once per read pass and
//! only when a service asks (an empty account makes no call).

use std::collections::BTreeMap;

use aws_sdk_resourcegroupstagging::types::TagFilter;
use tokio::sync::OnceCell;

use super::AwsError;
use super::bounded::{self, Limit};
use super::errors::Code::Is;
use super::errors::ErrorClass::Throttled;
use super::errors::{ErrorTable, sdk_err};
use crate::model::{Owner, TAG_ENV, TAG_PROJECT, Tags};

/// The services whose tags provision reads through the index (`service[:resourceType]`).
/// EC2 answers with tags in its own Describe calls, but for Elastic IPs, whose Describe the read
/// pass skips when the NAT gateways show them (`ec2_read`); IAM is not covered.
pub const RESOURCE_TYPES: [&str; 9] = [
    "cloudwatch:alarm",
    // "The GetResources ... operations support all resource types" (supported-services page
    // above); an Elastic IP's ARN is `arn:PARTITION:ec2:REGION:ACCOUNT:elastic-ip/ALLOCATION_ID`
    // (Service Authorization Reference, "Resource types defined by Amazon EC2",
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
    "ec2:elastic-ip",
    "elasticbeanstalk:application",
    "elasticbeanstalk:environment",
    // A Beanstalk environment's load balancer, which carries the environment's tags: its ARN
    // names the alarms' `LoadBalancer` dimension (`cloudwatch::load_balancers`).
    "elasticloadbalancing:loadbalancer",
    "apigateway",
    "rds:db",
    "rds:subgrp",
    "sns",
];

/// The most `GetResources` allows per page ("a maximum of 100 items", API reference).
const PER_PAGE: i32 = 100;

/// GetResources' own errors (API reference, "Errors"): `ThrottledException` ("The request was
/// denied to limit the frequency of submitted requests", HTTP 400); the others
/// (`InvalidParameterException`, `PaginationTokenExpiredException`, `InternalServiceException`)
/// are refusals as every unknown code is.
pub const ERRORS: ErrorTable = &[(None, Is("ThrottledException"), Throttled)];

/// One resource the listing holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub arn: String,
    /// The ARN's resource part after the type's prefix: an allocation id, a group's name.
    pub id: String,
    pub tags: Tags,
}

/// ARN -> tags of what carries the environment's ownership tags, listed on first use.
#[derive(Debug)]
pub struct TagIndex {
    client: Option<aws_sdk_resourcegroupstagging::Client>,
    owner: Owner,
    listed: OnceCell<BTreeMap<String, Tags>>,
}

impl TagIndex {
    pub fn new(client: &aws_sdk_resourcegroupstagging::Client, owner: &Owner) -> Self {
        TagIndex {
            client: Some(client.clone()),
            owner: owner.clone(),
            listed: OnceCell::new(),
        }
    }

    /// An index holding `listed` without asking AWS (unit tests).
    #[cfg(test)]
    pub fn listing(owner: &Owner, listed: BTreeMap<String, Tags>) -> Self {
        TagIndex {
            client: None,
            owner: owner.clone(),
            listed: OnceCell::new_with(Some(listed)),
        }
    }

    /// The tags the listing holds for `arn`, `aws:` keys left out; `None` when it holds none.
    pub async fn get(&self, arn: &str) -> Result<Option<Tags>, AwsError> {
        let listed = self.listed.get_or_try_init(|| self.list()).await?;
        Ok(listed.get(arn).cloned())
    }

    /// The ARN of a listed resource whose tag `key` is `value`, if any.
    pub async fn find(&self, key: &str, value: &str) -> Result<Option<String>, AwsError> {
        let listed = self.listed.get_or_try_init(|| self.list()).await?;
        Ok(listed
            .iter()
            .find(|(_, tags)| tags.get(key).is_some_and(|v| v == value))
            .map(|(arn, _)| arn.clone()))
    }

    /// The listed resources of one service whose ARN's resource part starts with `prefix`
    /// (`("rds", "subgrp:")`), in ARN order.
    pub async fn of_type(&self, service: &str, prefix: &str) -> Result<Vec<Listed>, AwsError> {
        let listed = self.listed.get_or_try_init(|| self.list()).await?;
        Ok(listed
            .iter()
            .filter_map(|(arn, tags)| {
                let id = resource_of(arn, service)?.strip_prefix(prefix)?;
                Some(Listed {
                    arn: arn.clone(),
                    id: id.to_owned(),
                    tags: tags.clone(),
                })
            })
            .collect())
    }

    /// The tags of `arn`: the listing's, else `fetch`'s (one call for that resource).
    pub async fn or_read<F>(&self, arn: &str, fetch: F) -> Result<Tags, AwsError>
    where
        F: std::future::Future<Output = Result<Tags, AwsError>>,
    {
        match self.get(arn).await? {
            Some(tags) => Ok(tags),
            None => fetch.await,
        }
    }

    /// The tags of each ARN, in order: the listing's, and for those it does not hold, `fetch`'s
    /// (one call each, a few at a time as every per-resource read).
    pub async fn each<F, Fut>(
        &self,
        arns: Vec<String>,
        fetch: F,
    ) -> Result<Vec<Result<Tags, AwsError>>, AwsError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<Tags, AwsError>> + Send + 'static,
    {
        let mut out: Vec<Option<Result<Tags, AwsError>>> = Vec::with_capacity(arns.len());
        let mut missing = Vec::new();
        for arn in arns {
            match self.get(&arn).await? {
                Some(tags) => out.push(Some(Ok(tags))),
                None => {
                    missing.push((out.len(), arn));
                    out.push(None);
                }
            }
        }
        let (at, arns): (Vec<usize>, Vec<String>) = missing.into_iter().unzip();
        let read = bounded::map(&Limit::per_resource_reads(), arns, fetch).await;
        for (i, r) in at.into_iter().zip(read) {
            out[i] = Some(r);
        }
        Ok(out.into_iter().flatten().collect())
    }

    async fn list(&self) -> Result<BTreeMap<String, Tags>, AwsError> {
        let mut out = BTreeMap::new();
        let Some(client) = &self.client else {
            return Ok(out);
        };
        let what = format!("tags of {}", self.owner);
        let filter = |key: &str, value: &str| {
            TagFilter::builder()
                .key(key)
                .values(value.to_owned())
                .build()
        };
        let mut pages = client
            .get_resources()
            .tag_filters(filter(TAG_PROJECT, &self.owner.project))
            .tag_filters(filter(TAG_ENV, &self.owner.env))
            .set_resource_type_filters(Some(RESOURCE_TYPES.map(str::to_owned).to_vec()))
            .resources_per_page(PER_PAGE)
            .into_paginator()
            .send();
        while let Some(p) = pages.next().await {
            let p = p.map_err(sdk_err(ERRORS, &what, "GetResources"))?;
            for m in p.resource_tag_mapping_list() {
                let tags = m
                    .tags()
                    .iter()
                    .filter(|t| !t.key().starts_with("aws:"))
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect();
                if let Some(arn) = m.resource_arn() {
                    out.insert(arn.to_owned(), tags);
                }
            }
        }
        Ok(out)
    }
}

/// The resource part of an ARN of `service` (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`,
/// the resource itself possibly holding `:` or `/`), or `None` for another service's.
pub fn resource_of<'a>(arn: &'a str, service: &str) -> Option<&'a str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_, _partition, svc) = (parts.next()?, parts.next()?, parts.next()?);
    let (_region, _account, resource) = (parts.next()?, parts.next()?, parts.next()?);
    (arn_ == "arn" && svc == service).then_some(resource)
}

/// Whether the read may skip a listing because the parents' descriptions show every resource
/// it must find: each one it knows of (`known`: recorded in state, named by the spec or held by
/// the tag listing) is carried by a found parent (`carried`: the NAT gateways' Elastic IPs, the
/// database instances' subnet groups) and has its tags in the listing (`listed`). A resource no
/// parent carries (a paused environment's kept address, a group before or after its database,
/// a leftover) or whose tags the listing does not show (lost, or not listed yet) sends the read
/// to the listing as before; knowing none, the listing finds what is there.
pub fn carried_and_listed(
    known: &std::collections::BTreeSet<String>,
    carried: &std::collections::BTreeSet<String>,
    listed: &BTreeMap<String, Tags>,
) -> bool {
    !known.is_empty()
        && known
            .iter()
            .all(|id| carried.contains(id) && listed.contains_key(id))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn tags(address: &str) -> Tags {
        [("provision:address".to_owned(), address.to_owned())].into()
    }

    #[tokio::test]
    async fn listed_tags_are_taken_and_only_the_others_are_read_in_order() {
        let owner = Owner {
            project: "p".into(),
            env: "staging".into(),
        };
        let index = TagIndex::listing(&owner, [("arn:a".to_owned(), tags("shared.a"))].into());
        let asked = Arc::new(AtomicUsize::new(0));
        let read = index
            .each(
                vec!["arn:b".into(), "arn:a".into(), "arn:c".into()],
                |arn| {
                    let asked = Arc::clone(&asked);
                    async move {
                        asked.fetch_add(1, Ordering::SeqCst);
                        Ok(tags(&format!("read {arn}")))
                    }
                },
            )
            .await
            .unwrap();
        let read: Vec<Tags> = read.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            read,
            [tags("read arn:b"), tags("shared.a"), tags("read arn:c")]
        );
        assert_eq!(
            asked.load(Ordering::SeqCst),
            2,
            "arn:a came from the listing"
        );
    }

    #[tokio::test]
    async fn a_listed_resource_is_found_by_a_tag_and_nothing_else_is() {
        let owner = Owner {
            project: "p".into(),
            env: "staging".into(),
        };
        let lb = [(
            "elasticbeanstalk:environment-id".to_owned(),
            "e-1".to_owned(),
        )]
        .into();
        let index = TagIndex::listing(&owner, [("arn:lb".to_owned(), lb)].into());
        let key = "elasticbeanstalk:environment-id";
        assert_eq!(
            index.find(key, "e-1").await.unwrap().as_deref(),
            Some("arn:lb")
        );
        assert_eq!(index.find(key, "e-2").await.unwrap(), None);
        assert_eq!(index.get("arn:other").await.unwrap(), None);
    }

    #[tokio::test]
    async fn listed_resources_are_taken_by_service_and_type() {
        let owner = Owner {
            project: "p".into(),
            env: "staging".into(),
        };
        let index = TagIndex::listing(
            &owner,
            [
                (
                    "arn:aws:ec2:us-east-2:1:elastic-ip/eipalloc-1".to_owned(),
                    tags("shared.eip.a"),
                ),
                (
                    "arn:aws:rds:us-east-2:1:subgrp:p-staging-subnets".to_owned(),
                    tags("backend.db_subnet_group"),
                ),
                (
                    "arn:aws:rds:us-east-2:1:db:p-staging".to_owned(),
                    tags("backend.rds"),
                ),
                (
                    "arn:aws-cn:sns:cn-north-1:1:p-staging-alarms".to_owned(),
                    tags("shared.t"),
                ),
            ]
            .into(),
        );
        let ids = |l: Vec<Listed>| -> Vec<(String, Tags)> {
            l.into_iter().map(|l| (l.id, l.tags)).collect()
        };
        let got = ids(index.of_type("ec2", "elastic-ip/").await.unwrap());
        assert_eq!(got, [("eipalloc-1".to_owned(), tags("shared.eip.a"))]);
        let got = ids(index.of_type("rds", "subgrp:").await.unwrap());
        assert_eq!(
            got,
            [(
                "p-staging-subnets".to_owned(),
                tags("backend.db_subnet_group")
            )]
        );
        let got = index.of_type("sns", "").await.unwrap();
        assert_eq!(got[0].arn, "arn:aws-cn:sns:cn-north-1:1:p-staging-alarms");
        assert_eq!(got[0].id, "p-staging-alarms");
        assert!(index.of_type("apigateway", "").await.unwrap().is_empty());
        assert_eq!(resource_of("arn:aws:sns:r:1:t", "ec2"), None);
        assert_eq!(resource_of("not an arn", "sns"), None);
    }
}
