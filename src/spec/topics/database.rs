//! The database topic: an RDS instance and its DB subnet group.

use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::spec::desired::{Builder, addr, group, subnet, vpc};
use crate::spec::layer::S;
use crate::spec::resolve::{At, Pair};
use crate::spec::topics::network::{SubnetTier, subnet_refs, zones_of};
use crate::spec::topics::security_groups::group_refs;
use crate::spec::validate::{Cx, Refs};

// ---- TOML layer ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseLayer {
    pub identifier: Option<S<String>>,
    pub engine: Option<S<String>>,
    pub engine_version: Option<S<String>>,
    pub instance_class: Option<S<String>>,
    pub storage_type: Option<S<String>>,
    pub allocated_storage_gb: Option<S<i64>>,
    pub backup_retention_days: Option<S<i64>>,
    pub multi_az: Option<S<bool>>,
    pub deletion_protection: Option<S<bool>>,
    pub apply_immediately: Option<S<bool>>,
    pub allow_replace: Option<S<bool>>,
    pub db_name: Option<S<String>>,
    pub master_username: Option<S<String>>,
    /// Name of an environment variable holding the password; absent means RDS manages it.
    pub master_password_env: Option<S<String>>,
    pub subnets: Option<S<Vec<S<String>>>>,
    pub security_groups: Option<S<Vec<S<String>>>>,
}

// ---- validated spec --------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgres,
    Mysql,
    Mariadb,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Mariadb => "mariadb",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseSpec {
    pub identifier: String,
    pub engine: Engine,
    pub engine_version: String,
    pub instance_class: String,
    pub storage_type: StorageType,
    pub allocated_storage_gb: u32,
    pub backup_retention_days: u32,
    pub multi_az: bool,
    pub deletion_protection: bool,
    pub apply_immediately: bool,
    pub allow_replace: bool,
    pub db_name: String,
    pub master_username: String,
    pub master_password: MasterPassword,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
}

// ---- lowering --------------------------------------------------------------------------------

pub(in crate::spec) fn lower(
    cx: &mut Cx,
    p: &Pair<'_, DatabaseLayer>,
    refs: &Refs<'_>,
) -> DatabaseSpec {
    let identifier = lower_identifier(cx, p);
    let engine = lower_engine(cx, p);
    let version = p.req(&mut cx.d, "engine_version", |d| d.engine_version.as_ref());
    if !version
        .value
        .split('.')
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        cx.d.push(version.diag(format!(
            "`{}` is not an engine version (e.g. 16, or 16.11)",
            version.value
        )));
    }
    // Where they were written, for plan-time errors about what RDS offers (`plan::offerings`).
    cx.remember(&version);
    let class = p.req(&mut cx.d, "instance_class", |d| d.instance_class.as_ref());
    cx.remember(&class);
    if !class.value.starts_with("db.") || class.value.split('.').count() != 3 {
        cx.d.push(class.diag(format!(
            "`{}` is not a DB instance class (e.g. db.t3.micro)",
            class.value
        )));
    }
    let (storage_type, allocated_storage_gb) = lower_storage(cx, p, engine);
    let retention_at = p.req(&mut cx.d, "backup_retention_days", |d| {
        d.backup_retention_days.as_ref()
    });
    let backup_retention_days = cx.int(
        &retention_at,
        0,
        35,
        "days (AWS keeps automated backups 0-35 days; 0 turns them off)",
    );
    if let Some(at) = p.opt("multi_az", |d| d.multi_az.as_ref()) {
        cx.remember(&at);
    }
    let flag = |name: &str, get: fn(&DatabaseLayer) -> Option<&S<bool>>, default: bool| {
        p.opt(name, get).map_or(default, |v| v.value)
    };
    let db_name = lower_db_name(cx, p);
    let master_username = lower_master_username(cx, p);
    let master_password = lower_master_password(cx, p);
    let subnets = lower_subnets(cx, p, refs);
    let sg_at = p.req(&mut cx.d, "security_groups", |d| d.security_groups.as_ref());
    let security_groups = group_refs(cx, p, &sg_at, refs.groups);
    DatabaseSpec {
        identifier,
        engine,
        engine_version: version.value,
        instance_class: class.value,
        storage_type,
        allocated_storage_gb,
        backup_retention_days,
        multi_az: flag("multi_az", |d| d.multi_az.as_ref(), false),
        deletion_protection: flag(
            "deletion_protection",
            |d| d.deletion_protection.as_ref(),
            true,
        ),
        apply_immediately: flag("apply_immediately", |d| d.apply_immediately.as_ref(), false),
        allow_replace: flag("allow_replace", |d| d.allow_replace.as_ref(), false),
        db_name,
        master_username,
        master_password,
        subnets,
        security_groups,
    }
}

fn lower_identifier(cx: &mut Cx, p: &Pair<'_, DatabaseLayer>) -> String {
    let id_at = p.req(&mut cx.d, "identifier", |d| d.identifier.as_ref());
    let identifier = cx.template(&id_at);
    cx.remember(&id_at);
    cx.check_name(
        &At {
            value: identifier.clone(),
            ..id_at.clone()
        },
        1,
        63,
    );
    if identifier.ends_with('-') || identifier.contains("--") {
        cx.d.push(id_at.diag("DB identifiers cannot end with '-' or contain '--'"));
    }
    identifier
}

fn lower_engine(cx: &mut Cx, p: &Pair<'_, DatabaseLayer>) -> Engine {
    let engine_at = p.req(&mut cx.d, "engine", |d| d.engine.as_ref());
    cx.choice(
        &engine_at,
        &[
            ("postgres", Engine::Postgres),
            ("mysql", Engine::Mysql),
            ("mariadb", Engine::Mariadb),
        ],
    )
    .unwrap_or(Engine::Postgres)
}

/// The storage type, and a size within what the engine allows on it.
fn lower_storage(cx: &mut Cx, p: &Pair<'_, DatabaseLayer>, engine: Engine) -> (StorageType, u32) {
    let st_at = p.req(&mut cx.d, "storage_type", |d| d.storage_type.as_ref());
    let storage_type = cx
        .choice(
            &st_at,
            &[
                ("standard", StorageType::Standard),
                ("gp2", StorageType::Gp2),
                ("gp3", StorageType::Gp3),
                ("io1", StorageType::Io1),
                ("io2", StorageType::Io2),
            ],
        )
        .unwrap_or(StorageType::Gp3);
    let size_at = p.req(&mut cx.d, "allocated_storage_gb", |d| {
        d.allocated_storage_gb.as_ref()
    });
    cx.remember(&st_at);
    cx.remember(&size_at);
    let (lo, hi) = storage_limits(engine, storage_type);
    if (i64::from(lo)..=i64::from(hi)).contains(&size_at.value) {
        return (storage_type, size_at.value as u32);
    }
    let hint = if storage_type != StorageType::Standard && size_at.value < i64::from(lo) {
        format!(
            "; only magnetic storage (storage_type = \"standard\") goes down to {} GiB",
            storage_limits(engine, StorageType::Standard).0
        )
    } else {
        String::new()
    };
    cx.d.push(
        size_at
            .diag(format!(
                "{} GiB is outside {lo}-{hi} GiB, what {} allows on {} storage{hint}",
                size_at.value,
                engine.as_str(),
                storage_type.as_str()
            ))
            .with_related(
                st_at.origin.clone(),
                format!("storage_type = \"{}\"", storage_type.as_str()),
            ),
    );
    (storage_type, lo)
}

fn lower_db_name(cx: &mut Cx, p: &Pair<'_, DatabaseLayer>) -> String {
    let db_name = p.req(&mut cx.d, "db_name", |d| d.db_name.as_ref());
    if !db_name.value.starts_with(|c: char| c.is_ascii_alphabetic())
        || !db_name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || db_name.value.len() > 63
    {
        cx.d.push(
            db_name.diag("database names are 1-63 letters, digits and '_', starting with a letter"),
        );
    }
    db_name.value
}

fn lower_master_username(cx: &mut Cx, p: &Pair<'_, DatabaseLayer>) -> String {
    let user = p.req(&mut cx.d, "master_username", |d| d.master_username.as_ref());
    if !user.value.starts_with(|c: char| c.is_ascii_alphabetic())
        || !user
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || user.value.len() > 16
        || matches!(user.value.as_str(), "admin" | "postgres" | "rdsadmin")
    {
        cx.d.push(user.diag("master usernames are 1-16 letters, digits and '_', starting with a letter, and not a reserved word"));
    }
    user.value
}

fn lower_master_password(cx: &mut Cx, p: &Pair<'_, DatabaseLayer>) -> MasterPassword {
    let Some(at) = p.opt("master_password_env", |d| d.master_password_env.as_ref()) else {
        return MasterPassword::Managed;
    };
    let ok = at
        .value
        .starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && at
            .value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        cx.d.push(at.diag(format!(
            "`{}` is not an environment variable name (e.g. STAGING_DB_PASSWORD)",
            at.value
        )));
    }
    cx.remember(&at);
    MasterPassword::EnvVar(at.value)
}

/// A DB subnet group spans two zones, in private subnets only.
fn lower_subnets(cx: &mut Cx, p: &Pair<'_, DatabaseLayer>, refs: &Refs<'_>) -> Vec<String> {
    let subnets_at = p.req(&mut cx.d, "subnets", |d| d.subnets.as_ref());
    let subnets = subnet_refs(cx, p, &subnets_at, refs.network);
    if zones_of(refs.network, &subnets).len() < 2 {
        cx.d.push(
            subnets_at.diag("a DB subnet group needs subnets in at least 2 availability zones"),
        );
    }
    for s in &subnets {
        if refs
            .network
            .subnets
            .get(s)
            .is_some_and(|s| s.tier == SubnetTier::Public)
        {
            cx.d.push(subnets_at.diag(format!(
                "`{s}` is public: keep the database in private subnets"
            )));
        }
    }
    subnets
}

/// Allocated storage limits in GiB, from the RDS CreateDBInstance reference.
pub fn storage_limits(engine: Engine, storage: StorageType) -> (u32, u32) {
    match (engine, storage) {
        (Engine::Postgres | Engine::Mysql | Engine::Mariadb, StorageType::Standard) => (5, 3072),
        (
            Engine::Postgres | Engine::Mysql | Engine::Mariadb,
            StorageType::Gp2 | StorageType::Gp3,
        ) => (20, 65_536),
        (
            Engine::Postgres | Engine::Mysql | Engine::Mariadb,
            StorageType::Io1 | StorageType::Io2,
        ) => (100, 65_536),
    }
}

// ---- desired state ---------------------------------------------------------------------------

pub(in crate::spec) fn desire(b: &mut Builder<'_>, db: &DatabaseSpec) {
    let group_addr = addr(Stack::Backend, Kind::DbSubnetGroup);
    b.add(
        group_addr.clone(),
        Attrs::DbSubnetGroup(DbSubnetGroupAttrs {
            name: format!("{}-subnets", db.identifier),
            description: format!("{} database subnets ({})", b.spec.project, b.spec.env),
            vpc: vpc(),
            subnets: db.subnets.iter().map(|s| subnet(s)).collect(),
        }),
    );
    let r = b.add(
        addr(Stack::Backend, Kind::DbInstance),
        Attrs::DbInstance(DbInstanceAttrs {
            identifier: db.identifier.clone(),
            engine: db.engine.as_str().to_owned(),
            engine_version: db.engine_version.clone(),
            instance_class: db.instance_class.clone(),
            storage_type: db.storage_type,
            allocated_storage_gb: db.allocated_storage_gb,
            backup_retention_days: db.backup_retention_days,
            multi_az: db.multi_az,
            publicly_accessible: false,
            deletion_protection: db.deletion_protection,
            db_name: db.db_name.clone(),
            master_username: db.master_username.clone(),
            master_password: db.master_password.clone(),
            subnet_group: Ref::Managed(group_addr),
            security_groups: db.security_groups.iter().map(|g| group(g)).collect(),
        }),
    );
    r.lifecycle = Lifecycle {
        allow_replace: db.allow_replace,
        apply_immediately: db.apply_immediately,
        ..Lifecycle::default()
    };
}
