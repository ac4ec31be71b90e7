//! IAM: the Beanstalk environments' roles (with their managed and inline policies) and the
//! instance profile that hands the instance role to EC2.
//!
//! A role's and a profile's physical id is its name. IAM has no tag filter on its List calls:
//! a read pass lists the roles with their tags, policies and instance profiles in one
//! `GetAccountAuthorizationDetails`, keeps those whose name starts with the project's name
//! (every name provision gives does) and carries the environment, and lists the instance
//! profiles only when the roles do not show every profile it must find (`roles_show_all`).
//!
//! IAM is eventually consistent: a profile just given its role is not yet usable by EC2 (AWS:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency>).
//! Like the Terraform provider, a profile's create waits until `GetInstanceProfile` shows the
//! role (two minutes at most), and `AddRoleToInstanceProfile` is retried while the new role is
//! not visible yet.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{EntityType, InstanceProfile, Tag};

use super::bounded::{self, Limit};
use super::errors::Code::Is;
use super::errors::ErrorClass::{Busy, Exists, Gone};
use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids};
use super::kind::{AwsKind, mismatch};
use super::service::ReadPass;
use super::tagging::TagIndex;
use super::wait::{self, Poll};
use super::{AwsError, Op, sdk_err};
use crate::model::*;

/// This service's error table, which classifies what it answers (`errors::classify`).
pub(super) const ERRORS: ErrorTable = <Iam as super::Service>::ERRORS;

/// How long IAM may take to show a change everywhere (the Terraform provider's figure).
const PROPAGATION: Duration = Duration::from_secs(120);

fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// A policy document as JSON with sorted keys and no spaces: what the spec and a read compare.
/// IAM answers with documents URL-encoded (RFC 3986); text that is not JSON is kept as is.
pub fn canonical_policy(document: &str) -> String {
    let decoded = if document.trim_start().starts_with('{') {
        document.to_owned()
    } else {
        percent_decode(document)
    };
    serde_json::from_str::<serde_json::Value>(&decoded)
        .map(|v| v.to_string())
        .unwrap_or(decoded)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One role as read: its name, trust policy, tags and policies.
#[derive(Debug)]
struct RoleRead {
    name: String,
    trust: Option<String>,
    tags: Tags,
    managed: BTreeSet<String>,
    inline: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
pub struct Raw {
    roles: Vec<RoleRead>,
    profiles: Vec<(InstanceProfile, Tags)>,
}

/// The roles with their tags and policies in one listing, `GetAccountAuthorizationDetails`
/// filtered to roles ("Retrieves information about all IAM users, groups, roles, and policies
/// in your Amazon Web Services account, including their relationships to one another",
/// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html;
/// policies URL-encoded, as GetRolePolicy's): a page per 1,000 roles of the account instead of
/// ListRoleTags, ListAttachedRolePolicies, ListRolePolicies and GetRolePolicy per role. A role
/// listed without tags has its tags asked (ListRoleTags), so nothing rests on the listing
/// carrying them.
async fn read(client: &Client, claims: &Claims) -> Result<Raw, AwsError> {
    let what = format!("IAM roles of {}", claims.owner);
    let prefix = claims.owner.project.as_str();
    let mut details = Vec::new();
    let mut pages = client
        .get_account_authorization_details()
        .filter(EntityType::Role)
        .max_items(1000)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(sdk_err(ERRORS, &what, "GetAccountAuthorizationDetails"))?;
        details.extend(
            p.role_detail_list()
                .iter()
                .filter(|r| {
                    let name = r.role_name().unwrap_or_default();
                    name.starts_with(prefix) && this_env(claims, name, Kind::IamRole)
                })
                .cloned(),
        );
    }
    let mut roles = Vec::new();
    let mut shown: BTreeMap<String, (InstanceProfile, Tags)> = BTreeMap::new();
    for d in details {
        let name = d.role_name().unwrap_or_default().to_owned();
        let tags = if d.tags().is_empty() {
            match super::unless_gone(role_tags(client, &what, &name).await)? {
                Some(tags) => tags,
                None => continue,
            }
        } else {
            tags_of(d.tags())
        };
        if !claims.keeps(&name, Kind::IamRole, &tags) {
            continue;
        }
        for p in d.instance_profile_list() {
            let name = p.instance_profile_name();
            if name.starts_with(prefix) && this_env(claims, name, Kind::InstanceProfile) {
                shown.insert(name.to_owned(), (p.clone(), tags_of(p.tags())));
            }
        }
        let inline = d
            .role_policy_list()
            .iter()
            .map(|p| {
                let doc = p.policy_document().unwrap_or_default();
                (
                    p.policy_name().unwrap_or_default().to_owned(),
                    canonical_policy(doc),
                )
            })
            .collect();
        roles.push(RoleRead {
            name,
            trust: d.assume_role_policy_document().map(str::to_owned),
            tags,
            managed: d
                .attached_managed_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_owned))
                .collect(),
            inline,
        });
    }
    let known = claims.known_names(Kind::InstanceProfile);
    let profiles = if roles_show_all(&known, &shown) {
        let kept = shown.into_values().filter(|(p, tags)| {
            claims.keeps(p.instance_profile_name(), Kind::InstanceProfile, tags)
        });
        kept.collect()
    } else {
        let listed = shown
            .into_iter()
            .filter(|(_, (_, tags))| !tags.is_empty())
            .map(|(name, (_, tags))| (name, tags))
            .collect();
        read_profiles(client, claims, &what, &listed).await?
    };
    Ok(Raw { roles, profiles })
}

/// Whether the roles' listing shows every instance profile the read must find, so that
/// `ListInstanceProfiles` may be skipped: each profile state recorded or the spec names is
/// among the profiles this environment's roles hold (`RoleDetail.InstanceProfileList`, "A list
/// of instance profiles that contain this role",
/// https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleDetail.html), and every profile
/// shown there came with its tags. A profile holding no role (its role removed, or a create
/// stopped before `AddRoleToInstanceProfile`) is only in the account's listing; knowing no
/// profile at all (a read without state or spec), the listing finds what is there.
fn roles_show_all(
    known: &BTreeSet<String>,
    shown: &BTreeMap<String, (InstanceProfile, Tags)>,
) -> bool {
    !known.is_empty()
        && known.iter().all(|n| shown.contains_key(n))
        && shown.values().all(|(_, tags)| !tags.is_empty())
}

/// Whether a role or profile of the project may be this environment's, before reading its tags:
/// its name carries the environment (validation requires it of every role name, and a profile is
/// named after its role), or the state records it. Other environments' roles share the project
/// prefix; reading their tags and policies only to drop them cost a call or three each.
fn this_env(claims: &Claims, name: &str, kind: Kind) -> bool {
    names_env(name, &claims.owner.env) || claims.recorded_ids(kind).iter().any(|id| id == name)
}

/// The project's instance profiles of this environment (a profile holding no role is found only
/// here), with the tags the roles' listing gave them (`listed`); any other's are asked.
async fn read_profiles(
    client: &Client,
    claims: &Claims,
    what: &str,
    listed: &BTreeMap<String, Tags>,
) -> Result<Vec<(InstanceProfile, Tags)>, AwsError> {
    let prefix = claims.owner.project.as_str();
    let mut all = Vec::new();
    let mut pages = client.list_instance_profiles().into_paginator().send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(sdk_err(ERRORS, what, "ListInstanceProfiles"))?;
        all.extend(
            p.instance_profiles()
                .iter()
                .filter(|i| i.instance_profile_name().starts_with(prefix))
                .filter(|i| this_env(claims, i.instance_profile_name(), Kind::InstanceProfile))
                .cloned(),
        );
    }
    let names: Vec<String> = all
        .iter()
        .map(|p| p.instance_profile_name().to_owned())
        .filter(|n| !listed.contains_key(n))
        .collect();
    let read = bounded::map(&Limit::per_resource_reads(), names.clone(), |name| {
        let (client, what) = (client.clone(), what.to_owned());
        async move { profile_tags(&client, &what, &name).await }
    })
    .await;
    let mut asked: BTreeMap<String, Result<Tags, AwsError>> = names.into_iter().zip(read).collect();
    let tags = all.iter().map(|p| {
        let name = p.instance_profile_name();
        match listed.get(name) {
            Some(tags) => Ok(tags.clone()),
            None => asked.remove(name).unwrap_or_else(|| Ok(Tags::new())),
        }
    });
    let tags: Vec<Result<Tags, AwsError>> = tags.collect();
    let mut kept = Vec::new();
    for (profile, tags) in all.into_iter().zip(tags) {
        if let Some(tags) = super::unless_gone(tags)?
            && claims.keeps(
                profile.instance_profile_name(),
                Kind::InstanceProfile,
                &tags,
            )
        {
            kept.push((profile, tags));
        }
    }
    Ok(kept)
}

async fn role_tags(client: &Client, res: &str, name: &str) -> Result<Tags, AwsError> {
    let out = client
        .list_role_tags()
        .role_name(name)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "ListRoleTags"))?;
    Ok(tags_of(out.tags()))
}

async fn profile_tags(client: &Client, res: &str, name: &str) -> Result<Tags, AwsError> {
    let out = client
        .list_instance_profile_tags()
        .instance_profile_name(name)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "ListInstanceProfileTags"))?;
    Ok(tags_of(out.tags()))
}

type Policies = (BTreeSet<String>, BTreeMap<String, String>);

/// A role's attached managed policy ARNs and its inline policies (name -> canonical document).
async fn policies(client: &Client, res: &str, role: &str) -> Result<Policies, AwsError> {
    let attached = client
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "ListAttachedRolePolicies"))?;
    let managed = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect();
    let names = client
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "ListRolePolicies"))?;
    let mut inline = BTreeMap::new();
    for name in names.policy_names() {
        let doc = client
            .get_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .map_err(sdk_err(ERRORS, res, "GetRolePolicy"))?;
        inline.insert(name.clone(), canonical_policy(doc.policy_document()));
    }
    Ok((managed, inline))
}

impl ReadPass for Raw {
    fn tagged(&self) -> Vec<(String, Tags)> {
        let roles = self.roles.iter().map(|r| (r.name.clone(), r.tags.clone()));
        let profiles = self
            .profiles
            .iter()
            .map(|(p, t)| (p.instance_profile_name().to_owned(), t.clone()));
        roles.chain(profiles).collect()
    }

    fn normalise(self: Box<Self>, claims: &Claims, ids: &Ids) -> Found {
        let mut found = Found::default();
        for r in self.roles {
            let name = r.name;
            let Some(address) = claims.address(&name, Kind::IamRole, &r.tags) else {
                continue;
            };
            let trust = r.trust.as_deref().map(canonical_policy).unwrap_or_default();
            let attrs = Attrs::IamRole(IamRoleAttrs {
                name: name.clone(),
                trust_policy: trust,
                managed_policies: r.managed,
                inline_policies: r.inline,
            });
            found.insert(address, live(name, attrs, r.tags));
        }
        for (p, tags) in self.profiles {
            let name = p.instance_profile_name().to_owned();
            let Some(address) = claims.address(&name, Kind::InstanceProfile, &tags) else {
                continue;
            };
            // AWS allows one role per profile; none reads as an external empty id.
            let role = p.roles().first().map(|r| r.role_name()).unwrap_or_default();
            let attrs = Attrs::InstanceProfile(InstanceProfileAttrs {
                name: name.clone(),
                role: ids.to_ref(role),
            });
            found.insert(address, live(name, attrs, tags));
        }
        found
    }
}

fn live(id: String, attrs: Attrs, tags: Tags) -> LiveResource {
    LiveResource {
        id,
        attrs,
        tags,
        pending: BTreeMap::new(),
    }
}

/// Gives the profile its role, retrying while IAM does not show the new role yet, then waits
/// until `GetInstanceProfile` shows it: only then may an environment use the profile.
async fn add_role(client: &Client, res: &str, profile: &str, role: &str) -> Result<(), AwsError> {
    let deadline = std::time::Instant::now() + PROPAGATION;
    let mut delay = Duration::from_millis(250);
    loop {
        let r = client
            .add_role_to_instance_profile()
            .instance_profile_name(profile)
            .role_name(role)
            .send()
            .await
            .map_err(sdk_err(ERRORS, res, "AddRoleToInstanceProfile"));
        match r {
            Err(e) if e.is_not_found() && std::time::Instant::now() + delay < deadline => {
                tracing::debug!(error = %e, "role or profile not visible yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => {
                other?;
                break;
            }
        }
    }
    wait::until(
        res,
        "instance profile shows its role",
        PROPAGATION,
        || async {
            let out = client
                .get_instance_profile()
                .instance_profile_name(profile)
                .send()
                .await
                .map_err(sdk_err(ERRORS, res, "GetInstanceProfile"));
            match super::unless_gone(out)? {
                Some(o) if o.instance_profile().is_some_and(|p| has_role(p, role)) => {
                    Ok(Poll::Done)
                }
                _ => Ok(Poll::Pending("role not shown yet".into())),
            }
        },
    )
    .await
}

fn has_role(p: &InstanceProfile, role: &str) -> bool {
    p.roles().iter().any(|r| r.role_name() == role)
}

/// Attaches, detaches, puts and deletes policies so that the role has `after`'s.
async fn set_policies(
    client: &Client,
    res: &str,
    before: &IamRoleAttrs,
    after: &IamRoleAttrs,
) -> Result<(), AwsError> {
    let role = after.name.as_str();
    for arn in after.managed_policies.difference(&before.managed_policies) {
        client
            .attach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map_err(sdk_err(ERRORS, res, "AttachRolePolicy"))?;
    }
    for arn in before.managed_policies.difference(&after.managed_policies) {
        let r = client
            .detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map_err(sdk_err(ERRORS, res, "DetachRolePolicy"));
        super::unless_gone(r)?;
    }
    for (name, doc) in &after.inline_policies {
        if before.inline_policies.get(name) != Some(doc) {
            client
                .put_role_policy()
                .role_name(role)
                .policy_name(name)
                .policy_document(doc)
                .send()
                .await
                .map_err(sdk_err(ERRORS, res, "PutRolePolicy"))?;
        }
    }
    for name in before.inline_policies.keys() {
        if !after.inline_policies.contains_key(name) {
            let r = client
                .delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await
                .map_err(sdk_err(ERRORS, res, "DeleteRolePolicy"));
            super::unless_gone(r)?;
        }
    }
    Ok(())
}

/// Takes every role out of the profile (AWS refuses to delete a profile that holds one).
async fn remove_roles(client: &Client, res: &str, profile: &str) -> Result<(), AwsError> {
    let out = client
        .get_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "GetInstanceProfile"));
    let Some(out) = super::unless_gone(out)? else {
        return Ok(());
    };
    let roles = out
        .instance_profile()
        .map(|p| p.roles().to_vec())
        .unwrap_or_default();
    for role in roles {
        let r = client
            .remove_role_from_instance_profile()
            .instance_profile_name(profile)
            .role_name(role.role_name())
            .send()
            .await
            .map_err(sdk_err(ERRORS, res, "RemoveRoleFromInstanceProfile"));
        super::unless_gone(r)?;
    }
    Ok(())
}

/// Who holds a role name: the role, with its tags.
pub(super) async fn role_holder(
    client: &Client,
    res: &str,
    name: &str,
) -> Result<Vec<crate::plan::names::Holder>, AwsError> {
    let out = client.get_role().role_name(name).send().await;
    let Some(out) = super::unless_gone(out.map_err(sdk_err(ERRORS, res, "GetRole")))? else {
        return Ok(Vec::new());
    };
    let Some(role) = out.role() else {
        return Ok(Vec::new());
    };
    // GetRole returns the role's tags (ListRoles does not).
    Ok(vec![crate::plan::names::Holder::Resource {
        id: role.role_name().to_owned(),
        tags: tags_of(role.tags()),
        detail: None,
    }])
}

/// Who holds an instance profile name: the profile, with its tags.
pub(super) async fn profile_holder(
    client: &Client,
    res: &str,
    name: &str,
) -> Result<Vec<crate::plan::names::Holder>, AwsError> {
    let out = client
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await;
    let Some(out) = super::unless_gone(out.map_err(sdk_err(ERRORS, res, "GetInstanceProfile")))?
    else {
        return Ok(Vec::new());
    };
    Ok(out
        .instance_profile()
        .map(|p| crate::plan::names::Holder::Resource {
            id: p.instance_profile_name().to_owned(),
            tags: tags_of(p.tags()),
            detail: None,
        })
        .into_iter()
        .collect())
}

/// IAM as a `Service`.
pub struct Iam {
    client: Client,
}

impl super::Service for Iam {
    type Client = Client;
    type Raw = Raw;
    const ERRORS: ErrorTable = &[
        (None, Is("NoSuchEntity"), Gone),
        (None, Is("EntityAlreadyExists"), Exists),
        // Still attached or in use (before COMMON's `*Conflict*`, which means "exists").
        (None, Is("DeleteConflict"), Busy),
        (None, Is("ConcurrentModification"), Busy),
    ];

    fn new(aws: &super::Aws) -> Self {
        Iam {
            client: aws.iam.clone(),
        }
    }

    async fn read(&self, claims: &Claims, _tags: &TagIndex) -> Result<Raw, AwsError> {
        read(&self.client, claims).await
    }
}

/// Takes a role's policies off (IAM refuses to delete a role with policies: DeleteConflict),
/// whatever is attached now, not only what the plan knew; `None` when the role is gone.
async fn strip_policies(client: &Client, res: &str, id: &str) -> Result<Option<()>, AwsError> {
    let Some((managed, inline)) = super::unless_gone(policies(client, res, id).await)? else {
        return Ok(None);
    };
    let now = IamRoleAttrs {
        name: id.to_owned(),
        trust_policy: String::new(),
        managed_policies: managed,
        inline_policies: inline,
    };
    let none = IamRoleAttrs {
        managed_policies: BTreeSet::new(),
        inline_policies: BTreeMap::new(),
        ..now.clone()
    };
    set_policies(client, res, &now, &none).await.map(Some)
}

impl AwsKind for crate::kinds::iam_role::IamRole {
    type Service = Iam;

    async fn tags_now(s: &Iam, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        super::unless_gone(role_tags(&s.client, &op.resource(), op.id()).await)
    }

    async fn create(s: &Iam, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::IamRole(a) = op.after()? else {
            return Err(mismatch(op));
        };
        let res = op.resource();
        s.client
            .create_role()
            .role_name(&a.name)
            .assume_role_policy_document(&a.trust_policy)
            .set_tags(Some(tag_list(&op.tags())))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "CreateRole"))?;
        let empty = IamRoleAttrs {
            name: a.name.clone(),
            trust_policy: a.trust_policy.clone(),
            managed_policies: BTreeSet::new(),
            inline_policies: BTreeMap::new(),
        };
        set_policies(&s.client, &res, &empty, a)
            .await
            .map_err(AwsError::partial(&a.name))?;
        Ok(a.name.clone())
    }

    async fn update(s: &Iam, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::IamRole(b), Attrs::IamRole(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        let res = op.resource();
        if b.trust_policy != a.trust_policy {
            s.client
                .update_assume_role_policy()
                .role_name(op.id())
                .policy_document(&a.trust_policy)
                .send()
                .await
                .map_err(sdk_err(ERRORS, &res, "UpdateAssumeRolePolicy"))?;
        }
        set_policies(&s.client, &res, b, a).await
    }

    async fn retag(
        s: &Iam,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let (res, id) = (op.resource(), op.id());
        if !set.is_empty() {
            s.client
                .tag_role()
                .role_name(id)
                .set_tags(Some(tag_list(set)))
                .send()
                .await
                .map_err(sdk_err(ERRORS, &res, "TagRole"))?;
        }
        if !remove.is_empty() {
            s.client
                .untag_role()
                .role_name(id)
                .set_tag_keys(Some(remove.iter().cloned().collect()))
                .send()
                .await
                .map_err(sdk_err(ERRORS, &res, "UntagRole"))?;
        }
        Ok(())
    }

    async fn delete(s: &Iam, op: &Op<'_>) -> Result<(), AwsError> {
        let (res, id) = (op.resource(), op.id());
        if strip_policies(&s.client, &res, id).await?.is_none() {
            return Ok(());
        }
        let r = s
            .client
            .delete_role()
            .role_name(id)
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "DeleteRole"));
        super::unless_gone(r).map(drop)
    }

    /// The call `tags_now` reads with, so the error shown is the one that found nothing: it
    /// answers NoSuchEntity (404) for a name IAM does not hold
    /// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoleTags.html).
    async fn not_found(s: &Iam, address: &Address, id: &str) -> Option<AwsError> {
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "ListRoleTags",
            s.client.list_role_tags().role_name(id)
        )
    }
}

impl AwsKind for crate::kinds::instance_profile::InstanceProfile {
    type Service = Iam;

    async fn tags_now(s: &Iam, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        super::unless_gone(profile_tags(&s.client, &op.resource(), op.id()).await)
    }

    async fn create(s: &Iam, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::InstanceProfile(a) = op.after()? else {
            return Err(mismatch(op));
        };
        let res = op.resource();
        s.client
            .create_instance_profile()
            .instance_profile_name(&a.name)
            .set_tags(Some(tag_list(&op.tags())))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "CreateInstanceProfile"))?;
        let role = op.ids.id(&a.role)?;
        add_role(&s.client, &res, &a.name, &role)
            .await
            .map_err(AwsError::partial(&a.name))?;
        Ok(a.name.clone())
    }

    async fn update(s: &Iam, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::InstanceProfile(b), Attrs::InstanceProfile(a)) = (op.before()?, op.after()?)
        else {
            return Err(mismatch(op));
        };
        let res = op.resource();
        let (old, new) = (op.old.id(&b.role).unwrap_or_default(), op.ids.id(&a.role)?);
        if old != new {
            remove_roles(&s.client, &res, op.id()).await?;
            add_role(&s.client, &res, op.id(), &new).await?;
        }
        Ok(())
    }

    async fn retag(
        s: &Iam,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let (res, id) = (op.resource(), op.id());
        if !set.is_empty() {
            s.client
                .tag_instance_profile()
                .instance_profile_name(id)
                .set_tags(Some(tag_list(set)))
                .send()
                .await
                .map_err(sdk_err(ERRORS, &res, "TagInstanceProfile"))?;
        }
        if !remove.is_empty() {
            s.client
                .untag_instance_profile()
                .instance_profile_name(id)
                .set_tag_keys(Some(remove.iter().cloned().collect()))
                .send()
                .await
                .map_err(sdk_err(ERRORS, &res, "UntagInstanceProfile"))?;
        }
        Ok(())
    }

    async fn delete(s: &Iam, op: &Op<'_>) -> Result<(), AwsError> {
        let (res, id) = (op.resource(), op.id());
        remove_roles(&s.client, &res, id).await?;
        let r = s
            .client
            .delete_instance_profile()
            .instance_profile_name(id)
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "DeleteInstanceProfile"));
        super::unless_gone(r).map(drop)
    }

    /// The call `tags_now` reads with (NoSuchEntity for a name IAM does not hold).
    async fn not_found(s: &Iam, address: &Address, id: &str) -> Option<AwsError> {
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "ListInstanceProfileTags",
            s.client
                .list_instance_profile_tags()
                .instance_profile_name(id)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_carrying_the_environment_are_read() {
        let claims = Claims::new(
            Owner {
                project: "agentpass".into(),
                env: "staging".into(),
            },
            std::iter::empty(),
        );
        let read = |name| this_env(&claims, name, Kind::IamRole);
        assert!(read("agentpass-staging-backend-ec2"));
        assert!(read("agentpass-staging-backend-ec2-profile"));
        assert!(read("agentpass-x-staging"));
        assert!(!read("agentpass-production-backend-ec2"));
        assert!(!read("agentpass-stagingx-backend-ec2"));
        // A recorded name is read whatever it looks like.
        let role: Address = "backend.iam_role.instance".parse().unwrap();
        let recorded = Claims::new(claims.owner.clone(), [(&role, "agentpass-odd-name")]);
        assert!(this_env(&recorded, "agentpass-odd-name", Kind::IamRole));
    }

    #[test]
    fn policies_compare_as_canonical_json_whatever_the_encoding() {
        let written = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}"#;
        let encoded = "%7B%22Version%22%3A%20%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%7D%5D%7D";
        let canonical = r#"{"Statement":[{"Effect":"Allow"}],"Version":"2012-10-17"}"#;
        assert_eq!(canonical_policy(written), canonical);
        assert_eq!(canonical_policy(encoded), canonical);
    }

    #[test]
    fn instance_profiles_are_listed_unless_the_roles_show_every_known_one() {
        let shown = |names: &[(&str, bool)]| -> BTreeMap<String, (InstanceProfile, Tags)> {
            names
                .iter()
                .map(|(n, tagged)| {
                    let p = InstanceProfile::builder()
                        .path("/")
                        .instance_profile_name(*n)
                        .instance_profile_id("AIPA1")
                        .arn(format!("arn:aws:iam::1:instance-profile/{n}"))
                        .create_date(aws_sdk_iam::primitives::DateTime::from_secs(0))
                        .set_roles(Some(Vec::new()))
                        .build()
                        .unwrap();
                    let tags = if *tagged {
                        [("provision:env".to_owned(), "staging".to_owned())].into()
                    } else {
                        Tags::new()
                    };
                    ((*n).to_owned(), (p, tags))
                })
                .collect()
        };
        let known = |names: &[&str]| -> BTreeSet<String> {
            names.iter().map(|n| (*n).to_owned()).collect()
        };
        let (b, c) = (
            "p-staging-backend-ec2-profile",
            "p-staging-console-ec2-profile",
        );
        // Converged: both profiles hold their roles.
        assert!(roles_show_all(
            &known(&[b, c]),
            &shown(&[(b, true), (c, true)])
        ));
        // One holds no role (a create stopped before AddRoleToInstanceProfile): listed.
        assert!(!roles_show_all(&known(&[b, c]), &shown(&[(b, true)])));
        // A profile shown without its tags: listed, whose tags are then asked.
        assert!(!roles_show_all(
            &known(&[b, c]),
            &shown(&[(b, true), (c, false)])
        ));
        // No profile known (no state, no spec): the listing finds what is there.
        assert!(!roles_show_all(&known(&[]), &shown(&[(b, true)])));
        // A profile shown that is not known (renamed in the spec) is kept from the roles.
        assert!(roles_show_all(
            &known(&[b]),
            &shown(&[(b, true), (c, true)])
        ));
    }
}
