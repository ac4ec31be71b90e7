//! RDS: the backend's DB subnet group and DB instance.
//!
//! Physical ids are names: the subnet group's name and the instance's identifier, so references
//! resolve by name (RDS addresses both by name). Both are tagged at creation time, so a crash
//! right after a create leaves a resource the next read adopts. The master password is either
//! managed by RDS (`ManageMasterUserPassword`) or read from an environment variable at apply
//! time; its value is only ever handed to the SDK (whose request types redact it when printed),
//! never to an error, a log line, a tracing field or the state.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder;
use aws_sdk_rds::types::{DbInstance, DbSubnetGroup, Tag};

use super::errors::Code::Is;
use super::errors::ErrorClass::{self, Busy};
use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids};
use super::kind::{AwsKind, mismatch};
use super::service::ReadPass;
use super::tagging::TagIndex;
use super::wait::{self, Poll};
use super::{AwsError, Op, Resolver, done_if, sdk_err};
use crate::model::engine_version;
use crate::model::*;
use crate::plan::offerings::{Offered, Offering, Request};

/// This service's error table, which classifies what it answers (`errors::classify`).
pub(super) const ERRORS: ErrorTable = <Rds as super::Service>::ERRORS;

/// Creating a Multi-AZ instance or growing its storage can take most of an hour on AWS.
const INSTANCE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// Instance states that will not become `available` without someone acting.
const STUCK: &[&str] = &[
    "failed",
    "incompatible-network",
    "incompatible-option-group",
    "incompatible-parameters",
    "incompatible-restore",
    "inaccessible-encryption-credentials",
    "restore-error",
    "storage-full",
];

pub(super) fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

fn rds_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Raw results of this service's read pass, before ids become references.
#[derive(Debug, Default)]
pub struct Raw {
    /// Subnet groups carrying this environment's tags, with those tags.
    groups: Vec<(DbSubnetGroup, Tags)>,
    instances: Vec<DbInstance>,
}

async fn read(
    client: &aws_sdk_rds::Client,
    claims: &Claims,
    index: &TagIndex,
) -> Result<Raw, AwsError> {
    let what = format!("databases of {}", claims.owner);
    let instances = instances(client, claims, &what).await?;
    let groups = match instance_groups(claims, index, &instances).await? {
        Some(groups) => groups,
        None => subnet_groups(client, claims, index, &what).await?,
    };
    Ok(Raw { groups, instances })
}

/// The instances this environment keeps. RDS has no server-side tag filter: read all, keep
/// ours by the tags each carries.
async fn instances(
    client: &aws_sdk_rds::Client,
    claims: &Claims,
    what: &str,
) -> Result<Vec<DbInstance>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client.describe_db_instances().into_paginator().send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(sdk_err(ERRORS, what, "DescribeDBInstances"))?;
        out.extend(
            p.db_instances()
                .iter()
                .filter(|i| {
                    let id = i.db_instance_identifier().unwrap_or_default();
                    claims.keeps(id, Kind::DbInstance, &tags_of(i.tag_list()))
                })
                .cloned(),
        );
    }
    Ok(out)
}

/// The subnet groups as the instances show them (`DBInstance.DBSubnetGroup`: "the name,
/// description, and subnets in the subnet group", with its VPC,
/// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html), with the tags
/// the pass's listing holds (`rds:subgrp`), when they are every group the read must find
/// (`tagging::carried_and_listed`); `None` when `DescribeDBSubnetGroups` must look. No instance shows
/// none, and asks no listing (an empty account makes none).
async fn instance_groups(
    claims: &Claims,
    index: &TagIndex,
    instances: &[DbInstance],
) -> Result<Option<Vec<(DbSubnetGroup, Tags)>>, AwsError> {
    if instances.is_empty() {
        return Ok(None);
    }
    let listed: BTreeMap<String, Tags> = index
        .of_type("rds", "subgrp:")
        .await?
        .into_iter()
        .map(|l| (l.id, l.tags))
        .collect();
    let shown: BTreeMap<String, DbSubnetGroup> = instances
        .iter()
        .filter_map(|i| i.db_subnet_group())
        .filter_map(|g| Some((g.db_subnet_group_name()?.to_owned(), g.clone())))
        .collect();
    let mut known = claims.known_names(Kind::DbSubnetGroup);
    known.extend(listed.keys().cloned());
    if !super::tagging::carried_and_listed(&known, &shown.keys().cloned().collect(), &listed) {
        return Ok(None);
    }
    Ok(Some(
        shown
            .into_iter()
            .filter_map(|(name, g)| {
                let tags = listed.get(&name)?.clone();
                claims
                    .keeps(&name, Kind::DbSubnetGroup, &tags)
                    .then_some((g, tags))
            })
            .collect(),
    ))
}

/// Every subnet group of the account, kept when ours by its tags or recorded name.
async fn subnet_groups(
    client: &aws_sdk_rds::Client,
    claims: &Claims,
    index: &TagIndex,
    what: &str,
) -> Result<Vec<(DbSubnetGroup, Tags)>, AwsError> {
    let mut all = Vec::new();
    let mut pages = client.describe_db_subnet_groups().into_paginator().send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(sdk_err(ERRORS, what, "DescribeDBSubnetGroups"))?;
        all.extend(p.db_subnet_groups().iter().cloned());
    }
    // DBSubnetGroup carries no TagList: the pass's index has the tags of this environment's
    // groups; any other group's take one ListTagsForResource each.
    let arns: Vec<String> = all
        .iter()
        .map(|g| g.db_subnet_group_arn().unwrap_or_default().to_owned())
        .collect();
    let read = index
        .each(arns, |arn| {
            let (client, what) = (client.clone(), what.to_owned());
            async move { group_tags(&client, &what, &arn).await }
        })
        .await?;
    let mut tags: BTreeMap<usize, Tags> = BTreeMap::new();
    for (i, t) in read.into_iter().enumerate() {
        // Deleted between the Describe and now: not there.
        if let Some(t) = super::unless_gone(t)? {
            tags.insert(i, t);
        }
    }
    Ok(all
        .into_iter()
        .enumerate()
        .filter_map(|(i, g)| {
            let t = tags.remove(&i)?;
            let name = g.db_subnet_group_name().unwrap_or_default();
            claims
                .keeps(name, Kind::DbSubnetGroup, &t)
                .then_some((g, t))
        })
        .collect())
}

async fn group_tags(client: &aws_sdk_rds::Client, what: &str, arn: &str) -> Result<Tags, AwsError> {
    let out = client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(sdk_err(ERRORS, what, "ListTagsForResource"))?;
    Ok(tags_of(out.tag_list()))
}

fn storage_type(s: Option<&str>) -> StorageType {
    match s.map(str::to_ascii_lowercase).as_deref() {
        Some("standard") => StorageType::Standard,
        Some("gp3") => StorageType::Gp3,
        Some("io1") => StorageType::Io1,
        Some("io2") => StorageType::Io2,
        // gp2 is RDS's default when none was given.
        _ => StorageType::Gp2,
    }
}

fn count(n: Option<i32>) -> u32 {
    n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

/// Values AWS accepted but holds for the maintenance window, by the planner's field names, as
/// JSON values of the attributes' own types.
fn pending_of(i: &DbInstance) -> BTreeMap<String, serde_json::Value> {
    use serde_json::Value;
    let mut out = BTreeMap::new();
    let Some(p) = i.pending_modified_values() else {
        return out;
    };
    if let Some(v) = p.db_instance_class() {
        out.insert("instance_class".into(), Value::from(v));
    }
    if let Some(v) = p.allocated_storage() {
        out.insert("allocated_storage_gb".into(), Value::from(count(Some(v))));
    }
    if let Some(v) = p.backup_retention_period() {
        out.insert("backup_retention_days".into(), Value::from(count(Some(v))));
    }
    if let Some(v) = p.engine_version() {
        out.insert("engine_version".into(), Value::from(v));
    }
    if let Some(v) = p.multi_az() {
        out.insert("multi_az".into(), Value::from(v));
    }
    if let Some(v) = p.storage_type() {
        out.insert(
            "storage_type".into(),
            Value::from(storage_type(Some(v)).as_str()),
        );
    }
    out
}

impl ReadPass for Raw {
    fn tagged(&self) -> Vec<(String, Tags)> {
        let mut out: Vec<(String, Tags)> = self
            .groups
            .iter()
            .map(|(g, t)| {
                (
                    g.db_subnet_group_name().unwrap_or_default().to_owned(),
                    t.clone(),
                )
            })
            .collect();
        out.extend(self.instances.iter().map(|i| {
            (
                i.db_instance_identifier().unwrap_or_default().to_owned(),
                tags_of(i.tag_list()),
            )
        }));
        out
    }

    fn normalise(self: Box<Self>, claims: &Claims, ids: &Ids) -> Found {
        let mut resources = Found::default();
        for (g, tags) in self.groups {
            let name = g.db_subnet_group_name().unwrap_or_default();
            let Some(address) = claims.address(name, Kind::DbSubnetGroup, &tags) else {
                continue;
            };
            let attrs = Attrs::DbSubnetGroup(DbSubnetGroupAttrs {
                name: g.db_subnet_group_name().unwrap_or_default().to_owned(),
                description: g
                    .db_subnet_group_description()
                    .unwrap_or_default()
                    .to_owned(),
                vpc: ids.to_ref(g.vpc_id().unwrap_or_default()),
                subnets: g
                    .subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier())
                    .map(|s| ids.to_ref(s))
                    .collect(),
            });
            resources.insert(
                address,
                LiveResource {
                    id: g.db_subnet_group_name().unwrap_or_default().to_owned(),
                    attrs,
                    tags,
                    pending: BTreeMap::new(),
                },
            );
        }
        for i in self.instances {
            let tags = tags_of(i.tag_list());
            let identifier = i.db_instance_identifier().unwrap_or_default().to_owned();
            let Some(address) = claims.address(&identifier, Kind::DbInstance, &tags) else {
                continue;
            };
            let attrs = Attrs::DbInstance(DbInstanceAttrs {
                identifier: identifier.clone(),
                engine: i.engine().unwrap_or_default().to_owned(),
                engine_version: i.engine_version().unwrap_or_default().to_owned(),
                instance_class: i.db_instance_class().unwrap_or_default().to_owned(),
                storage_type: storage_type(i.storage_type()),
                allocated_storage_gb: count(i.allocated_storage()),
                backup_retention_days: count(i.backup_retention_period()),
                multi_az: i.multi_az().unwrap_or(false),
                publicly_accessible: i.publicly_accessible().unwrap_or(false),
                deletion_protection: i.deletion_protection().unwrap_or(false),
                db_name: i.db_name().unwrap_or_default().to_owned(),
                master_username: i.master_username().unwrap_or_default().to_owned(),
                // The password itself is unreadable; the planner takes any variable name as
                // matching, so only "managed or not" is compared.
                master_password: if i.master_user_secret().is_some() {
                    MasterPassword::Managed
                } else {
                    MasterPassword::EnvVar(String::new())
                },
                subnet_group: ids.to_ref(
                    i.db_subnet_group()
                        .and_then(|g| g.db_subnet_group_name())
                        .unwrap_or_default(),
                ),
                security_groups: i
                    .vpc_security_groups()
                    .iter()
                    .filter_map(|g| g.vpc_security_group_id())
                    .map(|g| ids.to_ref(g))
                    .collect(),
            });
            let pending = pending_of(&i);
            resources
                .exports
                .insert(address.clone(), instance_exports(&i));
            resources.insert(
                address,
                LiveResource {
                    id: identifier,
                    attrs,
                    tags,
                    pending,
                },
            );
        }
        resources
    }
}

/// What settings may read of an instance (`model::template::exposed`): where it answers, and
/// the ARN of the secret holding its managed password (never the password).
pub(super) fn instance_exports(i: &DbInstance) -> BTreeMap<String, String> {
    let endpoint = i.endpoint();
    [
        (
            "endpoint",
            endpoint.and_then(|e| e.address()).map(str::to_owned),
        ),
        (
            "port",
            endpoint.and_then(|e| e.port()).map(|p| p.to_string()),
        ),
        ("db_name", i.db_name().map(str::to_owned)),
        (
            "master_secret_arn",
            i.master_user_secret()
                .and_then(|s| s.secret_arn())
                .map(str::to_owned),
        ),
        ("id", i.db_instance_identifier().map(str::to_owned)),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_owned(), v.filter(|v| !v.is_empty())?)))
    .collect()
}

/// The master password from its environment variable. Errors name the variable, never a value.
fn password_from_env(op: &Op<'_>, var: &str) -> Result<String, AwsError> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        Ok(_) => Err(op.invalid(&format!(
            "the master password variable {var} is empty; set it to the password (the spec's master_password_env names it); nothing was sent to AWS for this instance"
        ))),
        Err(_) => Err(op.invalid(&format!(
            "the master password variable {var} is not set; set it to the password (the spec's master_password_env names it); nothing was sent to AWS for this instance"
        ))),
    }
}

fn ids_of(r: &Resolver<'_>, refs: &BTreeSet<Ref>) -> Result<BTreeSet<String>, AwsError> {
    refs.iter().map(|x| r.id(x)).collect()
}

/// The instance as RDS describes it now; `None` once it is gone.
pub(super) async fn describe(
    client: &aws_sdk_rds::Client,
    res: &str,
    identifier: &str,
) -> Result<Option<DbInstance>, AwsError> {
    let r = client
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "DescribeDBInstances"));
    match r {
        Ok(out) => Ok(out.db_instances().first().cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The tags of the subnet group `id` as AWS has it now; `None` when it is gone.
async fn subnet_group_tags(
    client: &aws_sdk_rds::Client,
    id: &str,
    res: &str,
) -> Result<Option<Tags>, AwsError> {
    let r = client
        .describe_db_subnet_groups()
        .db_subnet_group_name(id)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "DescribeDBSubnetGroups"));
    let arn = match r {
        Ok(out) => out
            .db_subnet_groups()
            .first()
            .and_then(|g| g.db_subnet_group_arn())
            .map(str::to_owned),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e),
    };
    let Some(arn) = arn else { return Ok(None) };
    let r = client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "ListTagsForResource"));
    match r {
        Ok(out) => Ok(Some(tags_of(out.tag_list()))),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Readings of a done state in a row that end a wait: right after a change, DescribeDBInstances
/// can still say `available` before it says `modifying`. The Terraform provider's waiter asks for 3
/// (`ContinuousTargetOccurence`). Once a state that is not done has been read, the change is
/// visibly under way and the first done reading after it is the real one.
const SETTLED_READINGS: u32 = 3;

/// The state machine of waiting for an instance to be usable, one reading at a time. Pure.
#[derive(Debug, Default)]
pub(super) struct Settling {
    /// Done readings in a row so far.
    streak: u32,
    /// The change just made must show as applied: nothing left in `PendingModifiedValues`.
    needs_applied: bool,
    /// A status that is not done was read: the change is under way, so the next done reading
    /// is not a stale one and ends the wait by itself.
    under_way: bool,
}

/// What one reading says.
#[derive(Debug, PartialEq, Eq)]
enum Reading {
    Done,
    Pending(String),
    /// Done, but not yet enough times in a row.
    Confirming(String),
    /// A state that will not end without someone acting.
    Stuck(String),
}

impl Settling {
    fn after_modify() -> Self {
        Settling {
            streak: 0,
            needs_applied: true,
            under_way: false,
        }
    }

    /// One DescribeDBInstances answer: the status, and whether changes are still pending.
    fn observe(&mut self, status: &str, pending: bool) -> Reading {
        if STUCK.contains(&status) {
            return Reading::Stuck(status.to_owned());
        }
        // `storage-optimization` follows a storage change and can last more than a day while
        // the instance serves normally; AWS accepts other modifications meanwhile, so it is done
        // (as the Terraform provider's waiter takes it).
        let usable = matches!(status, "available" | "storage-optimization");
        if !usable || (self.needs_applied && pending) {
            self.streak = 0;
            self.under_way |= !usable;
            let what = if usable {
                "changes still pending"
            } else {
                status
            };
            return Reading::Pending(what.to_owned());
        }
        self.streak += 1;
        if self.streak >= SETTLED_READINGS || self.under_way {
            Reading::Done
        } else {
            Reading::Confirming(format!("{status} ({}/{SETTLED_READINGS})", self.streak))
        }
    }
}

/// Whether a reading shows modifications RDS has accepted but not applied.
fn has_pending(i: &DbInstance) -> bool {
    !pending_of(i).is_empty()
}

pub(super) async fn wait_available(
    client: &aws_sdk_rds::Client,
    res: &str,
    identifier: &str,
    settling: Settling,
) -> Result<(), AwsError> {
    let settling = std::sync::Mutex::new(settling);
    // Right after a create, RDS may not list the instance yet: not found is "not yet".
    wait::until(res, "DB instance available", INSTANCE_TIMEOUT, || {
        let step = describe(client, res, identifier);
        let settling = &settling;
        async move {
            let Some(i) = step.await? else {
                return Ok(Poll::Pending("not visible yet".into()));
            };
            let status = i.db_instance_status().unwrap_or("unknown");
            let reading = settling
                .lock()
                .expect("only this wait uses it")
                .observe(status, has_pending(&i));
            match reading {
                Reading::Done => Ok(Poll::Done),
                Reading::Pending(s) => Ok(Poll::Pending(s)),
                Reading::Confirming(s) => Ok(Poll::Confirming(s)),
                Reading::Stuck(status) => Err(AwsError::Invalid {
                    resource: res.to_owned(),
                    message: format!("DB instance {identifier} is `{status}` and will not become available without intervention"),
                }),
            }
        }
    })
    .await
}

async fn wait_deleted(
    client: &aws_sdk_rds::Client,
    res: &str,
    identifier: &str,
) -> Result<(), AwsError> {
    wait::until(res, "DB instance deleted", INSTANCE_TIMEOUT, || async {
        match describe(client, res, identifier).await? {
            None => Ok(Poll::Done),
            Some(i) => Ok(Poll::Pending(
                i.db_instance_status().unwrap_or("unknown").to_owned(),
            )),
        }
    })
    .await
}

/// Whether a field is part of this change: it differs between live and desired (references
/// compared by physical id), and the planner listed it (a value AWS holds pending already
/// counts as reached there, and is not sent again).
fn changed<T: PartialEq>(op: &Op<'_>, field: &str, before: T, after: T) -> bool {
    let listed = op.change.fields.is_empty() || op.change.touches(field);
    before != after && listed
}

async fn update_subnet_group(
    client: &aws_sdk_rds::Client,
    op: &Op<'_>,
    b: &DbSubnetGroupAttrs,
    a: &DbSubnetGroupAttrs,
) -> Result<(), AwsError> {
    let res = op.resource();
    let subnets = ids_of(&op.ids, &a.subnets)?;
    let was = ids_of(&op.old, &b.subnets)?;
    if !changed(op, "subnets", &was, &subnets)
        && !changed(op, "description", &b.description, &a.description)
    {
        return Ok(());
    }
    client
        .modify_db_subnet_group()
        .db_subnet_group_name(op.id())
        .db_subnet_group_description(&a.description)
        .set_subnet_ids(Some(subnets.into_iter().collect()))
        .send()
        .await
        .map_err(sdk_err(ERRORS, &res, "ModifyDBSubnetGroup"))?;
    Ok(())
}

/// A switch between an RDS-managed password and one from the environment.
fn password_change(
    op: &Op<'_>,
    b: &DbInstanceAttrs,
    a: &DbInstanceAttrs,
    req: ModifyDBInstanceFluentBuilder,
) -> Result<(ModifyDBInstanceFluentBuilder, bool), AwsError> {
    Ok(match (&b.master_password, &a.master_password) {
        (MasterPassword::EnvVar(_), MasterPassword::Managed) => {
            (req.manage_master_user_password(true), true)
        }
        (MasterPassword::Managed, MasterPassword::EnvVar(var)) => {
            let password = password_from_env(op, var)?;
            let req = req
                .manage_master_user_password(false)
                .master_user_password(password);
            (req, true)
        }
        // A different variable name holds the same password as far as AWS knows.
        _ => (req, false),
    })
}

/// One ModifyDBInstance with every field this change lists; `None` when there is none.
fn modification(
    client: &aws_sdk_rds::Client,
    op: &Op<'_>,
    b: &DbInstanceAttrs,
    a: &DbInstanceAttrs,
) -> Result<Option<ModifyDBInstanceFluentBuilder>, AwsError> {
    let mut req = client
        .modify_db_instance()
        .db_instance_identifier(op.id())
        .apply_immediately(op.change.lifecycle.apply_immediately);
    let mut any = false;
    if changed(op, "instance_class", &b.instance_class, &a.instance_class) {
        req = req.db_instance_class(&a.instance_class);
        any = true;
    }
    if changed(op, "storage_type", b.storage_type, a.storage_type) {
        req = req.storage_type(a.storage_type.as_str());
        any = true;
    }
    // The planner refuses a shrink; storage only grows.
    if changed(
        op,
        "allocated_storage_gb",
        b.allocated_storage_gb,
        a.allocated_storage_gb,
    ) {
        req = req.allocated_storage(a.allocated_storage_gb as i32);
        any = true;
    }
    if changed(
        op,
        "backup_retention_days",
        b.backup_retention_days,
        a.backup_retention_days,
    ) {
        req = req.backup_retention_period(a.backup_retention_days as i32);
        any = true;
    }
    if changed(op, "multi_az", b.multi_az, a.multi_az) {
        req = req.multi_az(a.multi_az);
        any = true;
    }
    // Never a version lower than the live one: automatic minor upgrades move it forward, and
    // RDS refuses to go back ("Cannot upgrade postgres from 16.11 to 16.4"). A major alone
    // ("16") under a live 16.x is no change either (the planner compares them so too).
    if changed(op, "engine_version", &b.engine_version, &a.engine_version)
        && engine_version::is_newer(&a.engine_version, &b.engine_version)
    {
        req = req
            .engine_version(&a.engine_version)
            .allow_major_version_upgrade(
                engine_version::major(&b.engine_version)
                    != engine_version::major(&a.engine_version),
            );
        any = true;
    }
    if changed(
        op,
        "publicly_accessible",
        b.publicly_accessible,
        a.publicly_accessible,
    ) {
        req = req.publicly_accessible(a.publicly_accessible);
        any = true;
    }
    if changed(
        op,
        "deletion_protection",
        b.deletion_protection,
        a.deletion_protection,
    ) {
        req = req.deletion_protection(a.deletion_protection);
        any = true;
    }
    let group = op.ids.id(&a.subnet_group)?;
    if changed(
        op,
        "subnet_group",
        op.old.id(&b.subnet_group)?,
        group.clone(),
    ) {
        req = req.db_subnet_group_name(group);
        any = true;
    }
    let groups = ids_of(&op.ids, &a.security_groups)?;
    if changed(
        op,
        "security_groups",
        ids_of(&op.old, &b.security_groups)?,
        groups.clone(),
    ) {
        req = req.set_vpc_security_group_ids(Some(groups.into_iter().collect()));
        any = true;
    }
    let (req, password) = password_change(op, b, a, req)?;
    any |= password;
    Ok(any.then_some(req))
}

async fn update_instance(
    client: &aws_sdk_rds::Client,
    op: &Op<'_>,
    b: &DbInstanceAttrs,
    a: &DbInstanceAttrs,
) -> Result<(), AwsError> {
    let res = op.resource();
    let now = op.change.lifecycle.apply_immediately;
    let Some(req) = modification(client, op, b, a)? else {
        return Ok(());
    };
    let r = req
        .clone()
        .send()
        .await
        .map_err(sdk_err(ERRORS, &res, "ModifyDBInstance"));
    match r {
        // Busy (backing up, still modifying): wait for it, then try once more.
        Err(e) if e.class() == Busy => {
            wait_available(client, &res, op.id(), Settling::default()).await?;
            req.send()
                .await
                .map_err(sdk_err(ERRORS, &res, "ModifyDBInstance"))?;
        }
        other => {
            other?;
        }
    }
    if now {
        wait_available(client, &res, op.id(), Settling::after_modify()).await?;
    }
    Ok(())
}

/// Sets and removes tags on the RDS resource `arn`.
async fn retag_arn(
    client: &aws_sdk_rds::Client,
    op: &Op<'_>,
    arn: Option<String>,
    set: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let res = op.resource();
    let arn = arn.ok_or_else(|| op.invalid(&format!("{} was not found to tag", op.id())))?;
    if !set.is_empty() {
        client
            .add_tags_to_resource()
            .resource_name(&arn)
            .set_tags(Some(rds_tags(set)))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "AddTagsToResource"))?;
    }
    if !remove.is_empty() {
        client
            .remove_tags_from_resource()
            .resource_name(&arn)
            .set_tag_keys(Some(remove.iter().cloned().collect()))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "RemoveTagsFromResource"))?;
    }
    Ok(())
}

pub use crate::plan::checks::final_snapshot_id;

async fn delete_instance(
    client: &aws_sdk_rds::Client,
    op: &Op<'_>,
    b: &DbInstanceAttrs,
) -> Result<(), AwsError> {
    let res = op.resource();
    let identifier = op.id();
    let confirmed = op.ctx.confirmed_destroy;
    if b.deletion_protection && !confirmed {
        return Err(op.invalid(&format!(
            "DB instance {identifier} has deletion protection: deleting it needs the environment's explicit confirmation (destroy --env {env} --confirm {env}); nothing was deleted",
            env = op.ctx.env
        )));
    }
    if b.deletion_protection {
        let r = client
            .modify_db_instance()
            .db_instance_identifier(identifier)
            .deletion_protection(false)
            .apply_immediately(true)
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_err(ERRORS, &res, "ModifyDBInstance"));
        if let Err(e) = r {
            if e.is_not_found() {
                return Ok(());
            }
            return Err(e);
        }
    }
    // The plan's checks named the final snapshot (always for a replacement, and for a
    // protected or confirmed delete); a replacement never goes without one.
    let snapshot = op.change.final_snapshot.clone().or_else(|| {
        (op.change.action == crate::plan::Action::Replace)
            .then(|| final_snapshot_id(identifier, &op.ctx.env, time::OffsetDateTime::now_utc()))
    });
    let mut req = client
        .delete_db_instance()
        .db_instance_identifier(identifier);
    req = match &snapshot {
        Some(s) => req.final_db_snapshot_identifier(s),
        None => req.skip_final_snapshot(true),
    };
    let r = req
        .send()
        .await
        .map(|_| ())
        .map_err(sdk_err(ERRORS, &res, "DeleteDBInstance"));
    match r {
        Ok(()) => {
            if let Some(s) = &snapshot {
                tracing::info!(resource = %res, snapshot = %s, "final snapshot requested");
            }
        }
        Err(e) if e.is_not_found() => return Ok(()),
        // Already being deleted (an earlier run): wait for it like for ours.
        Err(e) if e.class() == Busy => {
            let deleting = describe(client, &res, identifier)
                .await?
                .is_none_or(|i| i.db_instance_status() == Some("deleting"));
            if !deleting {
                return Err(e);
            }
        }
        Err(e) => return Err(e),
    }
    wait_deleted(client, &res, identifier).await
}

/// What RDS offers for one database request (`plan::offerings`): the available versions that
/// match the spec's, and the orderable options of the class for the version it would run. Two
/// reads; a version RDS does not offer ends it after the first.
async fn offered(client: &aws_sdk_rds::Client, r: &Request) -> Result<Offered, AwsError> {
    let res = r.address.to_string();
    let versions: Vec<String> = client
        .describe_db_engine_versions()
        .engine(&r.engine)
        .engine_version(&r.version)
        .send()
        .await
        .map_err(sdk_err(ERRORS, &res, "DescribeDBEngineVersions"))?
        .db_engine_versions()
        .iter()
        .filter_map(|v| v.engine_version().map(str::to_owned))
        .collect();
    let Some(target) = r.target(&versions) else {
        return Ok(Offered {
            versions,
            ..Offered::default()
        });
    };
    let mut offerings = Vec::new();
    let mut pages = client
        .describe_orderable_db_instance_options()
        .engine(&r.engine)
        .engine_version(&target)
        .db_instance_class(&r.class)
        .vpc(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk_err(ERRORS, &res, "DescribeOrderableDBInstanceOptions"))?;
        offerings.extend(
            page.orderable_db_instance_options()
                .iter()
                .map(|o| Offering {
                    storage_type: o.storage_type().unwrap_or("gp2").to_owned(),
                    min_gb: count(o.min_storage_size()),
                    max_gb: count(o.max_storage_size()),
                    multi_az: o.multi_az_capable().unwrap_or(false),
                }),
        );
    }
    Ok(Offered {
        versions,
        target: Some(target),
        offerings,
    })
}

impl super::Aws {
    /// What RDS offers for each request, in request order (an environment has one database).
    pub async fn db_offered(&self, requests: &[Request]) -> Result<Vec<Offered>, AwsError> {
        let mut out = Vec::with_capacity(requests.len());
        for r in requests {
            out.push(offered(&self.rds, r).await?);
        }
        Ok(out)
    }
}

/// RDS as a `Service`.
pub struct Rds {
    client: aws_sdk_rds::Client,
}

impl super::Service for Rds {
    type Client = aws_sdk_rds::Client;
    type Raw = Raw;
    const ERRORS: ErrorTable = &[
        // Backing up, modifying, being deleted: not now.
        (None, Is("InvalidDBInstanceState"), Busy),
    ];

    fn new(aws: &super::Aws) -> Self {
        Rds {
            client: aws.rds.clone(),
        }
    }

    async fn read(&self, claims: &Claims, tags: &TagIndex) -> Result<Raw, AwsError> {
        read(&self.client, claims, tags).await
    }
}

impl AwsKind for crate::kinds::db_subnet_group::DbSubnetGroup {
    type Service = Rds;

    async fn tags_now(s: &Rds, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        subnet_group_tags(&s.client, op.id(), &op.resource()).await
    }

    async fn create(s: &Rds, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::DbSubnetGroup(a) = op.after()? else {
            return Err(mismatch(op));
        };
        let (client, res) = (&s.client, op.resource());
        let subnets = ids_of(&op.ids, &a.subnets)?;
        wait::through_not_found(|| async {
            client
                .create_db_subnet_group()
                .db_subnet_group_name(&a.name)
                .db_subnet_group_description(&a.description)
                .set_subnet_ids(Some(subnets.iter().cloned().collect()))
                .set_tags(Some(rds_tags(&op.tags())))
                .send()
                .await
                .map_err(sdk_err(ERRORS, &res, "CreateDBSubnetGroup"))
        })
        .await?;
        Ok(a.name.clone())
    }

    async fn update(s: &Rds, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::DbSubnetGroup(b), Attrs::DbSubnetGroup(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        update_subnet_group(&s.client, op, b, a).await
    }

    async fn retag(
        s: &Rds,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let arn = s
            .client
            .describe_db_subnet_groups()
            .db_subnet_group_name(op.id())
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DescribeDBSubnetGroups"))?
            .db_subnet_groups()
            .first()
            .and_then(|g| g.db_subnet_group_arn())
            .map(str::to_owned);
        retag_arn(&s.client, op, arn, set, remove).await
    }

    async fn delete(s: &Rds, op: &Op<'_>) -> Result<(), AwsError> {
        let r = s
            .client
            .delete_db_subnet_group()
            .db_subnet_group_name(op.id())
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_err(ERRORS, &op.resource(), "DeleteDBSubnetGroup"));
        done_if(r, &[ErrorClass::Gone])
    }

    async fn not_found(s: &Rds, address: &Address, id: &str) -> Option<AwsError> {
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "DescribeDBSubnetGroups",
            s.client
                .describe_db_subnet_groups()
                .db_subnet_group_name(id)
        )
    }
}

impl AwsKind for crate::kinds::db_instance::DbInstance {
    type Service = Rds;

    async fn tags_now(s: &Rds, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        Ok(describe(&s.client, &op.resource(), op.id())
            .await?
            .map(|i| tags_of(i.tag_list())))
    }

    async fn create(s: &Rds, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::DbInstance(a) = op.after()? else {
            return Err(mismatch(op));
        };
        let (client, res) = (&s.client, op.resource());
        // Everything that can fail without AWS fails before the first call.
        let password = match &a.master_password {
            MasterPassword::Managed => None,
            MasterPassword::EnvVar(var) => Some(password_from_env(op, var)?),
        };
        let group = op.ids.id(&a.subnet_group)?;
        let groups = ids_of(&op.ids, &a.security_groups)?;
        wait::through_not_found(|| async {
            let mut req = client
                .create_db_instance()
                .db_instance_identifier(&a.identifier)
                .engine(&a.engine)
                .engine_version(&a.engine_version)
                .db_instance_class(&a.instance_class)
                .storage_type(a.storage_type.as_str())
                .allocated_storage(a.allocated_storage_gb as i32)
                .backup_retention_period(a.backup_retention_days as i32)
                .multi_az(a.multi_az)
                .publicly_accessible(a.publicly_accessible)
                .deletion_protection(a.deletion_protection)
                .db_subnet_group_name(&group)
                .set_vpc_security_group_ids(Some(groups.iter().cloned().collect()))
                .db_name(&a.db_name)
                .master_username(&a.master_username)
                .set_tags(Some(rds_tags(&op.tags())));
            req = match &password {
                None => req.manage_master_user_password(true),
                Some(p) => req.master_user_password(p),
            };
            req.send()
                .await
                .map_err(sdk_err(ERRORS, &res, "CreateDBInstance"))
        })
        .await?;
        wait_available(client, &res, &a.identifier, Settling::default())
            .await
            .map_err(AwsError::partial(&a.identifier))?;
        Ok(a.identifier.clone())
    }

    async fn update(s: &Rds, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::DbInstance(b), Attrs::DbInstance(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        update_instance(&s.client, op, b, a).await
    }

    async fn retag(
        s: &Rds,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let arn = describe(&s.client, &op.resource(), op.id())
            .await?
            .and_then(|i| i.db_instance_arn().map(str::to_owned));
        retag_arn(&s.client, op, arn, set, remove).await
    }

    async fn delete(s: &Rds, op: &Op<'_>) -> Result<(), AwsError> {
        let Attrs::DbInstance(b) = op.before()? else {
            return Err(mismatch(op));
        };
        delete_instance(&s.client, op, b).await
    }

    async fn not_found(s: &Rds, address: &Address, id: &str) -> Option<AwsError> {
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "DescribeDBInstances",
            s.client.describe_db_instances().db_instance_identifier(id)
        )
    }

    async fn exports(
        s: &Rds,
        address: &Address,
        id: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let found = s
            .client
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .map_err(sdk_err(ERRORS, &address.to_string(), "DescribeDBInstances"))?;
        Ok(found
            .db_instances()
            .first()
            .map(instance_exports)
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::tagging::carried_and_listed;

    #[test]
    fn a_wait_ends_after_three_usable_readings_in_a_row() {
        let mut s = Settling::default();
        assert_eq!(
            s.observe("available", false),
            Reading::Confirming("available (1/3)".into())
        );
        assert!(matches!(
            s.observe("available", false),
            Reading::Confirming(_)
        ));
        assert_eq!(s.observe("available", false), Reading::Done);
    }

    #[test]
    fn once_the_change_shows_the_first_done_reading_ends_the_wait() {
        // `creating` or `modifying` read: what follows is the change done, not a stale answer.
        let mut s = Settling::default();
        assert_eq!(
            s.observe("creating", false),
            Reading::Pending("creating".into())
        );
        assert_eq!(s.observe("available", false), Reading::Done);
    }

    #[test]
    fn storage_optimization_counts_as_done_and_stuck_states_fail() {
        let mut s = Settling::default();
        for _ in 0..2 {
            assert!(matches!(
                s.observe("storage-optimization", false),
                Reading::Confirming(_)
            ));
        }
        assert_eq!(s.observe("available", false), Reading::Done);
        let mut s = Settling::default();
        assert_eq!(
            s.observe("storage-full", false),
            Reading::Stuck("storage-full".into())
        );
    }

    #[test]
    fn after_a_modification_stale_available_readings_with_pending_changes_do_not_count() {
        let mut s = Settling::after_modify();
        for _ in 0..5 {
            assert_eq!(
                s.observe("available", true),
                Reading::Pending("changes still pending".into())
            );
        }
        assert!(matches!(s.observe("modifying", false), Reading::Pending(_)));
        assert_eq!(s.observe("storage-optimization", false), Reading::Done);
        // A create does not look at pending values.
        let mut s = Settling::default();
        s.observe("available", true);
        s.observe("available", true);
        assert_eq!(s.observe("available", true), Reading::Done);
    }

    #[test]
    fn final_snapshot_ids_are_valid() {
        let at = time::Date::from_calendar_date(2024, time::Month::January, 2)
            .unwrap()
            .with_hms(3, 4, 5)
            .unwrap()
            .assume_utc();
        assert_eq!(
            final_snapshot_id("agentpass-production", "production", at),
            "agentpass-production-final-production-20240102030405"
        );
        assert_eq!(
            final_snapshot_id("9db--x-", "pro_d", at),
            "db-9db-x-final-pro-d-20240102030405"
        );
        let long = "a".repeat(300);
        let id = final_snapshot_id(&long, "staging", at);
        assert!(id.len() <= 255 && id.ends_with("-final-staging-20240102030405"));
    }

    #[test]
    fn subnet_groups_are_described_unless_the_instances_show_every_known_one() {
        let set = |names: &[&str]| -> BTreeSet<String> {
            names.iter().map(|n| (*n).to_owned()).collect()
        };
        let listed = |names: &[&str]| -> BTreeMap<String, Tags> {
            names
                .iter()
                .map(|n| ((*n).to_owned(), Tags::new()))
                .collect()
        };
        let g = "p-staging-subnets";
        // Converged: the instance's group, its tags listed.
        assert!(carried_and_listed(&set(&[g]), &set(&[g]), &listed(&[g])));
        // Tags not listed (lost, or not yet): described.
        assert!(!carried_and_listed(&set(&[g]), &set(&[g]), &listed(&[])));
        // Before the database exists, or after it was deleted: described.
        assert!(!carried_and_listed(&set(&[g]), &set(&[]), &listed(&[g])));
        // A group no instance uses beside it (a leftover the listing holds): described.
        let old = "p-staging-old";
        assert!(!carried_and_listed(
            &set(&[g, old]),
            &set(&[g]),
            &listed(&[g, old])
        ));
        // Nothing known: described.
        assert!(!carried_and_listed(&set(&[]), &set(&[g]), &listed(&[g])));
    }
}
