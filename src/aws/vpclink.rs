//! API Gateway v2 VPC links: how the REST API reaches the backend's internal load balancer
//! (a private integration through a VPC link V2, see docs/architecture.md). The physical id is
//! the link id; tags are the link's own (`arn:aws:apigateway:{region}::/vpclinks/{id}`).
//!
//! A link is PENDING while AWS creates its network interfaces ("can take a few minutes") and
//! only an AVAILABLE link routes, so a create waits for AVAILABLE; a delete waits until the
//! link is gone, because its interfaces hold the subnets and security groups deleted next.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use aws_sdk_apigatewayv2::types::{VpcLink, VpcLinkStatus};

use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids};
use super::kind::AwsKind;
use super::service::ReadPass;
use super::tagging::TagIndex;
use super::wait::{self, Poll};
use super::{AwsError, Op};
use crate::model::{Address, Attrs, Kind, LiveResource, Ref, Tags, VpcLinkAttrs};

/// This service's error table, which classifies what it answers (`errors::classify`).
pub(super) const ERRORS: ErrorTable = <VpcLinks as super::Service>::ERRORS;

/// AWS: "a few minutes" to create or delete the interfaces; generous, as for NAT gateways.
const TIMEOUT: Duration = Duration::from_secs(15 * 60);

pub struct VpcLinks {
    client: aws_sdk_apigatewayv2::Client,
}

/// The links this environment keeps, with their tags.
pub struct Raw {
    links: Vec<(VpcLink, Tags)>,
}

fn tags_of(tags: Option<&HashMap<String, String>>) -> Tags {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn arn(client: &aws_sdk_apigatewayv2::Client, id: &str) -> String {
    let region = client.config().region().map_or("", |r| r.as_ref());
    format!("arn:aws:apigateway:{region}::/vpclinks/{id}")
}

/// References in a canonical order, so the spec's order and AWS's never differ by order alone.
fn sorted(mut refs: Vec<Ref>) -> Vec<Ref> {
    refs.sort_by_key(ToString::to_string);
    refs
}

impl ReadPass for Raw {
    fn tagged(&self) -> Vec<(String, Tags)> {
        self.links
            .iter()
            .map(|(l, t)| (l.vpc_link_id().unwrap_or_default().to_owned(), t.clone()))
            .collect()
    }

    fn normalise(self: Box<Self>, claims: &Claims, ids: &Ids) -> Found {
        let mut found = Found::default();
        for (l, tags) in self.links {
            let id = l.vpc_link_id().unwrap_or_default().to_owned();
            let attrs = Attrs::VpcLink(VpcLinkAttrs {
                name: l.name().unwrap_or_default().to_owned(),
                subnets: sorted(l.subnet_ids().iter().map(|s| ids.to_ref(s)).collect()),
                security_groups: sorted(
                    l.security_group_ids()
                        .iter()
                        .map(|g| ids.to_ref(g))
                        .collect(),
                ),
            });
            if let Some(address) = claims.address(&id, Kind::VpcLink, &tags) {
                let pending = BTreeMap::new();
                found.insert(
                    address,
                    LiveResource {
                        id,
                        attrs,
                        tags,
                        pending,
                    },
                );
            }
        }
        found
    }
}

/// Whether a link still counts: one being deleted (or failed and deleted) is on its way out.
fn alive(l: &VpcLink) -> bool {
    !matches!(
        l.vpc_link_status(),
        Some(VpcLinkStatus::Deleting | VpcLinkStatus::Failed)
    )
}

impl VpcLinks {
    async fn get(&self, what: &str, id: &str) -> Result<Option<VpcLink>, AwsError> {
        match self.client.get_vpc_link().vpc_link_id(id).send().await {
            Ok(o) => Ok(Some(
                VpcLink::builder()
                    .set_name(o.name().map(str::to_owned))
                    .set_vpc_link_id(o.vpc_link_id().map(str::to_owned))
                    .set_vpc_link_status(o.vpc_link_status().cloned())
                    .set_vpc_link_status_message(o.vpc_link_status_message().map(str::to_owned))
                    .set_subnet_ids(Some(o.subnet_ids().to_vec()))
                    .set_security_group_ids(Some(o.security_group_ids().to_vec()))
                    .set_tags(o.tags().cloned())
                    .build(),
            )),
            Err(e) => match AwsError::from_sdk(ERRORS, what, "GetVpcLink", e) {
                e if e.is_not_found() => Ok(None),
                e => Err(e),
            },
        }
    }

    /// Waits until the link is AVAILABLE; a FAILED link is an error with AWS's reason.
    async fn until_available(&self, what: &str, id: &str) -> Result<(), AwsError> {
        wait::until(what, "VPC link to become AVAILABLE", TIMEOUT, || async {
            let link = self.get(what, id).await?;
            let status = link.as_ref().and_then(|l| l.vpc_link_status().cloned());
            match status {
                Some(VpcLinkStatus::Available) => Ok(Poll::Done),
                Some(VpcLinkStatus::Pending) => Ok(Poll::Pending("PENDING".into())),
                other => Err(AwsError::Invalid {
                    resource: what.to_owned(),
                    message: format!(
                        "VPC link {id} is {} instead of becoming AVAILABLE: {}",
                        other.as_ref().map_or("gone", |s| s.as_str()),
                        link.as_ref()
                            .and_then(|l| l.vpc_link_status_message())
                            .unwrap_or("no reason given")
                    ),
                }),
            }
        })
        .await
    }
}

impl super::Service for VpcLinks {
    type Client = aws_sdk_apigatewayv2::Client;
    type Raw = Raw;
    const ERRORS: ErrorTable = &[];

    fn new(aws: &super::Aws) -> Self {
        VpcLinks {
            client: aws.apigatewayv2.clone(),
        }
    }

    async fn read(&self, claims: &Claims, _tags: &TagIndex) -> Result<Raw, AwsError> {
        let what = format!("VPC links of {}", claims.owner);
        let mut links = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .get_vpc_links()
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(ERRORS, &what, "GetVpcLinks", e))?;
            for l in page.items().iter().filter(|l| alive(l)) {
                let tags = tags_of(l.tags());
                if claims.keeps(l.vpc_link_id().unwrap_or_default(), Kind::VpcLink, &tags) {
                    links.push((l.clone(), tags));
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(Raw { links })
    }
}

impl AwsKind for crate::kinds::vpc_link::VpcLink {
    type Service = VpcLinks;

    async fn not_found(s: &VpcLinks, address: &Address, id: &str) -> Option<AwsError> {
        let res = address.to_string();
        super::service::refused!(
            ERRORS,
            &res,
            "GetVpcLink",
            s.client.get_vpc_link().vpc_link_id(id)
        )
    }

    async fn tags_now(s: &VpcLinks, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let link = s.get(&op.resource(), op.id()).await?;
        Ok(link.filter(alive).map(|l| tags_of(l.tags())))
    }

    async fn create(s: &VpcLinks, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::VpcLink(a) = op.after()? else {
            return Err(op.invalid("is not a VPC link"));
        };
        let res = op.resource();
        let ids = |refs: &[Ref]| {
            refs.iter()
                .map(|r| op.ids.id(r))
                .collect::<Result<Vec<_>, _>>()
        };
        let out = s
            .client
            .create_vpc_link()
            .name(&a.name)
            .set_subnet_ids(Some(ids(&a.subnets)?))
            .set_security_group_ids(Some(ids(&a.security_groups)?))
            .set_tags(Some(op.tags().into_iter().collect()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "CreateVpcLink", e))?;
        let id = out
            .vpc_link_id()
            .ok_or_else(|| op.invalid("CreateVpcLink answered without a link id"))?
            .to_owned();
        s.until_available(&res, &id)
            .await
            .map_err(AwsError::partial(&id))?;
        Ok(id)
    }

    /// Every attribute is immutable (a change is a replacement): nothing to do in place.
    async fn update(_s: &VpcLinks, _op: &Op<'_>) -> Result<(), AwsError> {
        Ok(())
    }

    async fn retag(
        s: &VpcLinks,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let (res, arn) = (op.resource(), arn(&s.client, op.id()));
        if !set.is_empty() {
            s.client
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(set.clone().into_iter().collect()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(ERRORS, &res, "TagResource", e))?;
        }
        if !remove.is_empty() {
            s.client
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove.iter().cloned().collect()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(ERRORS, &res, "UntagResource", e))?;
        }
        Ok(())
    }

    async fn delete(s: &VpcLinks, op: &Op<'_>) -> Result<(), AwsError> {
        let (res, id) = (op.resource(), op.id());
        match s.client.delete_vpc_link().vpc_link_id(id).send().await {
            Ok(_) => {}
            Err(e) => match AwsError::from_sdk(ERRORS, &res, "DeleteVpcLink", e) {
                e if e.is_not_found() => return Ok(()),
                e => return Err(e),
            },
        }
        wait::until(&res, "VPC link to be deleted", TIMEOUT, || async {
            Ok(match s.get(&res, id).await? {
                None => Poll::Done,
                Some(l) => Poll::Pending(
                    l.vpc_link_status()
                        .map_or("unknown", |s| s.as_str())
                        .to_owned(),
                ),
            })
        })
        .await
    }
}
