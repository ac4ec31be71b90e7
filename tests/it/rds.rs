//! The backend's database against LocalStack (RDS served by moto through `provision_ext`): create,
//! converge, in-place and pending modifications, protected destroy with a final snapshot, and the
//! master password kept out of every output. Each test runs in its own LocalStack account. The
//! assertions only look at RDS resources, so they hold whether or not this build manages the
//! backend stack's other kinds (Beanstalk, API Gateway) yet.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::output::{all_changes, calls, calls_where};
use crate::support::{Account, assert_ok, edit, text};
use provision::aws::{ApplyCtx, Op, Resolver};
use provision::model::{
    Address, Attrs, DbInstanceAttrs, LiveState, MasterPassword, Ref, StorageType, TAG_ADDRESS,
    TAG_ENV, TAG_STACK,
};
use provision::plan::{Action, Change};

const GROUP: &str = "backend.db_subnet_group";
const DB: &str = "backend.rds";

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

/// How many RDS calls that change something the `--stats` table lists (the backend stack's other
/// kinds are some other module's business).
fn rds_mutating(out: &std::process::Output) -> u64 {
    calls_where(out, "RDS", |op| {
        !op.starts_with("Describe") && !op.starts_with("List")
    })
}

/// The planned action and changed fields of the database's two resources.
fn rds_plan(acct: &Account, d: &Path, env: &str) -> BTreeMap<String, (String, Vec<String>)> {
    let out = acct.provision(
        d,
        &[
            "--format", "json", "plan", "--env", env, "--stack", "backend",
        ],
    );
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut changes = all_changes(&plan);
    changes.retain(|address, _| [GROUP, DB].contains(&address.as_str()));
    changes
}

fn converged(acct: &Account, d: &Path, env: &str) {
    let plan = rds_plan(acct, d, env);
    let none = (String::from("no_op"), Vec::new());
    assert_eq!(
        plan,
        BTreeMap::from([(GROUP.to_owned(), none.clone()), (DB.to_owned(), none)])
    );
}

fn instance(live: &LiveState) -> &DbInstanceAttrs {
    match &live.resources[&addr(DB)].attrs {
        Attrs::DbInstance(a) => a,
        other => panic!("{DB} is {other:?}"),
    }
}

async fn manual_snapshots(aws: &provision::aws::Aws, instance: &str) -> Vec<String> {
    aws.rds
        .describe_db_snapshots()
        .db_instance_identifier(instance)
        .snapshot_type("manual")
        .send()
        .await
        .unwrap()
        .db_snapshots()
        .iter()
        .filter_map(|s| s.db_snapshot_identifier().map(str::to_owned))
        .collect()
}

async fn instance_exists(aws: &provision::aws::Aws, identifier: &str) -> bool {
    match aws
        .rds
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
    {
        Ok(out) => !out.db_instances().is_empty(),
        Err(e) => {
            assert!(
                e.as_service_error()
                    .is_some_and(|e| e.is_db_instance_not_found_fault()),
                "{e:?}"
            );
            false
        }
    }
}

/// The emulator's maintenance window (`POST /_provision/rds/maintenance`): instances with
/// automatic minor upgrades move to their major's newest minor, as AWS's do.
fn maintenance_window(acct: &Account) -> String {
    acct.http_post(
        "/_provision/rds/maintenance",
        &format!(r#"{{"account_id": "{}", "region": "us-east-2"}}"#, acct.id),
    )
}

/// A minor pinned in the spec falls behind once AWS upgrades the instance: the plan says so in
/// a note and sends nothing (RDS refuses "Cannot upgrade postgres from 16.11 to 16.9"); the
/// major alone matches whatever minor runs.
#[tokio::test(flavor = "multi_thread")]
async fn an_automatic_minor_upgrade_is_a_note_not_a_downgrade() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    edit(
        d,
        "base.toml",
        "engine_version = \"16\"",
        "engine_version = \"16.9\"",
    );
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    assert_ok(&acct.apply_stack(d, "staging", "backend"));
    converged(&acct, d, "staging");
    let moved = maintenance_window(&acct);
    assert!(moved.contains(r#""To": "16.11""#), "{moved}");

    converged(&acct, d, "staging");
    let (code, plan) = acct.json(d, &["plan", "--env", "staging", "--stack", "backend"]);
    assert!(matches!(code, Some(0 | 2)));
    let db = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == DB)
        .unwrap();
    let note = db["notes"][0].as_str().unwrap_or_default();
    assert!(
        note.contains("AWS runs 16.11, newer than the spec's 16.9"),
        "{db}"
    );
    let out = acct.plan(d, "staging", &["--stack", "backend"]);
    assert!(
        text(&out).contains("Notes\n  backend.rds: engine_version: AWS runs 16.11"),
        "{}",
        text(&out)
    );
    // Applying sends nothing to the database.
    let out = acct.apply_stack(d, "staging", "backend");
    assert_ok(&out);
    assert_eq!(rds_mutating(&out), 0, "{}", text(&out));

    edit(
        d,
        "base.toml",
        "engine_version = \"16.9\"",
        "engine_version = \"16\"",
    );
    converged(&acct, d, "staging");
    let out = acct.plan(d, "staging", &["--stack", "backend"]);
    assert!(!text(&out).contains("Notes"), "{}", text(&out));
}

/// A database RDS does not offer (a class, a retired version) is refused when planned, naming the
/// spec field and where it is written, before anything at all is created; a converged plan
/// makes none of those reads.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_rds_does_not_offer_is_refused_before_any_change() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    edit(
        d,
        "base.toml",
        "instance_class = \"db.t3.micro\"",
        "instance_class = \"db.t2.micro\"",
    );
    let out = acct.apply(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("nothing was changed"), "{t}");
    assert!(
        t.contains("backend.rds: backend.database.instance_class (specs/base.toml:"),
        "{t}"
    );
    assert!(t.contains("db.t2.micro cannot run postgres 16.11"), "{t}");
    let aws = acct.aws().await;
    let found = support::census::by_kind(&aws, "staging").await;
    assert!(found.values().all(|n| *n == 0), "{found:?}");

    edit(
        d,
        "base.toml",
        "instance_class = \"db.t2.micro\"",
        "instance_class = \"db.t3.micro\"",
    );
    edit(
        d,
        "base.toml",
        "engine_version = \"16\"",
        "engine_version = \"16.4\"",
    );
    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("backend.database.engine_version (specs/base.toml:"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("RDS offers no available postgres version `16.4`"));

    edit(
        d,
        "base.toml",
        "engine_version = \"16.4\"",
        "engine_version = \"16\"",
    );
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    let out = acct.apply_stack(d, "staging", "backend");
    assert_ok(&out);
    // The plan and the plan again under the lock: one lookup each.
    assert_eq!(
        calls(&out, "RDS", "DescribeDBEngineVersions"),
        2,
        "{}",
        text(&out)
    );
    assert_eq!(calls(&out, "RDS", "DescribeOrderableDBInstanceOptions"), 2);
    let out = acct.plan(d, "staging", &["--stack", "backend"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        calls(&out, "RDS", "DescribeDBEngineVersions"),
        0,
        "{}",
        text(&out)
    );
    assert_eq!(calls(&out, "RDS", "DescribeOrderableDBInstanceOptions"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_database_creates_converges_and_destroys() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    let out = acct.apply_stack(d, "staging", "backend");
    assert_ok(&out);
    assert_eq!(
        calls(&out, "RDS", "CreateDBSubnetGroup"),
        1,
        "{}",
        text(&out)
    );
    assert_eq!(calls(&out, "RDS", "CreateDBInstance"), 1, "{}", text(&out));

    // Read back through provision's own read pass: attributes as the planner compares them.
    let aws = acct.aws().await;
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let group = &live.resources[&addr(GROUP)];
    assert_eq!(group.id, "agentpass-staging-subnets");
    let Attrs::DbSubnetGroup(g) = &group.attrs else {
        panic!("{:?}", group.attrs)
    };
    assert_eq!(g.vpc, Ref::Managed(addr("shared.vpc")));
    assert_eq!(
        g.subnets,
        BTreeSet::from([
            Ref::Managed(addr("shared.subnet.private-a")),
            Ref::Managed(addr("shared.subnet.private-b")),
        ])
    );
    assert_eq!(live.resources[&addr(DB)].id, "agentpass-staging");
    let db = instance(&live);
    assert_eq!(
        (
            db.engine.as_str(),
            db.engine_version.as_str(),
            db.instance_class.as_str()
        ),
        ("postgres", "16.11", "db.t3.micro")
    );
    assert_eq!(
        (db.storage_type, db.allocated_storage_gb),
        (StorageType::Standard, 10)
    );
    assert_eq!(db.backup_retention_days, 3);
    assert!(!db.multi_az && !db.publicly_accessible && !db.deletion_protection);
    assert_eq!(
        (db.db_name.as_str(), db.master_username.as_str()),
        ("agentpass", "agentpass")
    );
    assert_eq!(db.master_password, MasterPassword::Managed);
    assert_eq!(db.subnet_group, Ref::Managed(addr(GROUP)));
    assert_eq!(
        db.security_groups,
        BTreeSet::from([Ref::Managed(addr("shared.security_group.rds"))])
    );
    for a in [GROUP, DB] {
        let tags = &live.resources[&addr(a)].tags;
        assert_eq!(tags.get(TAG_ENV).map(String::as_str), Some("staging"));
        assert_eq!(tags.get(TAG_STACK).map(String::as_str), Some("backend"));
        assert_eq!(tags.get(TAG_ADDRESS).map(String::as_str), Some(a));
        assert_eq!(tags.get("Project").map(String::as_str), Some("agentpass"));
    }

    // And straight from the SDK: the physical ids behind those references.
    let rds_sg = &live.resources[&addr("shared.security_group.rds")].id;
    let raw = aws
        .rds
        .describe_db_instances()
        .db_instance_identifier("agentpass-staging")
        .send()
        .await
        .unwrap();
    let raw = &raw.db_instances()[0];
    assert_eq!(raw.db_instance_status(), Some("available"));
    assert!(
        raw.master_user_secret().is_some(),
        "RDS manages the password"
    );
    assert_eq!(
        raw.vpc_security_groups()[0].vpc_security_group_id(),
        Some(rds_sg.as_str())
    );
    let subnets: BTreeSet<&str> = raw
        .db_subnet_group()
        .unwrap()
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier())
        .collect();
    let private: BTreeSet<&str> = ["shared.subnet.private-a", "shared.subnet.private-b"]
        .iter()
        .map(|a| live.resources[&addr(a)].id.as_str())
        .collect();
    assert_eq!(subnets, private);

    // Converged: nothing to do for the database, and a second apply changes nothing in RDS.
    converged(&acct, d, "staging");
    let again = acct.apply_stack(d, "staging", "backend");
    assert_ok(&again);
    assert_eq!(rds_mutating(&again), 0, "{}", text(&again));

    // A third private subnet for the database: the group is modified in place. Tags changed
    // behind provision's back are put right on both resources.
    edit(
        d,
        "staging.toml",
        "private-b.cidr = \"10.2.11.0/24\"",
        "private-b.cidr = \"10.2.11.0/24\"\nprivate-c = { tier = \"private\", availability_zone = \"us-east-2a\", cidr = \"10.2.12.0/24\" }",
    );
    edit(
        d,
        "staging.toml",
        "apply_immediately = true",
        "apply_immediately = true\nsubnets = [\"private-a\", \"private-b\", \"private-c\"]",
    );
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    let arn = raw.db_instance_arn().unwrap();
    aws.rds
        .remove_tags_from_resource()
        .resource_name(arn)
        .tag_keys("Project")
        .send()
        .await
        .unwrap();
    let group_arn = raw
        .db_subnet_group()
        .unwrap()
        .db_subnet_group_arn()
        .unwrap();
    aws.rds
        .add_tags_to_resource()
        .resource_name(group_arn)
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("Stray")
                .value("x")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let plan = rds_plan(&acct, d, "staging");
    assert_eq!(
        plan[GROUP],
        (
            "update".to_owned(),
            vec!["subnets".to_owned(), "tags.Stray".to_owned()]
        )
    );
    assert_eq!(
        plan[DB],
        ("update".to_owned(), vec!["tags.Project".to_owned()])
    );
    let out = acct.apply_stack(d, "staging", "backend");
    assert_ok(&out);
    for (op, n) in [
        ("ModifyDBSubnetGroup", 1),
        ("AddTagsToResource", 1),
        ("RemoveTagsFromResource", 1),
        ("ModifyDBInstance", 0),
        ("CreateDBInstance", 0),
        ("DeleteDBInstance", 0),
    ] {
        assert_eq!(calls(&out, "RDS", op), n, "{op}: {}", text(&out));
    }
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let Attrs::DbSubnetGroup(g) = &live.resources[&addr(GROUP)].attrs else {
        panic!()
    };
    assert_eq!(g.subnets.len(), 3);
    assert!(
        g.subnets
            .contains(&Ref::Managed(addr("shared.subnet.private-c")))
    );
    assert!(!live.resources[&addr(GROUP)].tags.contains_key("Stray"));
    assert_eq!(
        live.resources[&addr(DB)]
            .tags
            .get("Project")
            .map(String::as_str),
        Some("agentpass")
    );
    converged(&acct, d, "staging");

    // Staging is not protected: destroy needs no confirmation and leaves no final snapshot.
    let out = acct.destroy(d, "staging", &["--stack", "backend"]);
    assert_ok(&out);
    let live = aws.read(&support::owner("staging")).await.unwrap();
    assert!(!live.resources.contains_key(&addr(DB)));
    assert!(!live.resources.contains_key(&addr(GROUP)));
    assert!(!instance_exists(&aws, "agentpass-staging").await);
    assert!(
        manual_snapshots(&aws, "agentpass-staging").await.is_empty(),
        "an unprotected staging instance is deleted without a final snapshot"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn production_modifies_in_place_holds_pending_changes_and_destroys_only_when_confirmed() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "production", "shared"));
    assert_ok(&acct.apply_stack(d, "production", "backend"));
    let aws = acct.aws().await;
    let live = aws.read(&support::owner("production")).await.unwrap();
    let db = instance(&live);
    assert_eq!(
        (
            db.storage_type,
            db.allocated_storage_gb,
            db.backup_retention_days
        ),
        (StorageType::Gp3, 20, 7)
    );
    assert!(db.deletion_protection);

    // Storage 20 -> 21 GiB: RDS grows storage by 10 % or more, so the plan refuses it, naming
    // the spec field, before asking RDS anything about offers or changing anything.
    edit(
        d,
        "production.toml",
        "allocated_storage_gb = 20",
        "allocated_storage_gb = 21",
    );
    let out = acct.apply_stack(d, "production", "backend");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("backend.rds: backend.database.allocated_storage_gb (specs/production.toml:"),
        "{t}"
    );
    assert!(
        t.contains(
            "20 GiB -> 21 GiB grows by less than 10 %, which RDS refuses; ask for 22 GiB or more"
        ),
        "{t}"
    );
    assert!(t.contains("nothing was changed"), "{t}");
    edit(
        d,
        "production.toml",
        "allocated_storage_gb = 21",
        "allocated_storage_gb = 20",
    );
    converged(&acct, d, "production");

    // Backup days 7 -> 14: one ModifyDBInstance, in place (applied at once by RDS even without
    // ApplyImmediately, as AWS does for the retention period).
    edit(
        d,
        "production.toml",
        "backup_retention_days = 7",
        "backup_retention_days = 14",
    );
    let plan = rds_plan(&acct, d, "production");
    assert_eq!(
        plan[DB],
        (
            "update".to_owned(),
            vec!["backup_retention_days".to_owned()]
        )
    );
    assert_eq!(plan[GROUP].0, "no_op");
    let out = acct.apply_stack(d, "production", "backend");
    assert_ok(&out);
    let t = text(&out);
    assert_eq!(calls(&out, "RDS", "ModifyDBInstance"), 1, "{t}");
    assert_eq!(calls(&out, "RDS", "CreateDBInstance"), 0, "{t}");
    assert_eq!(calls(&out, "RDS", "DeleteDBInstance"), 0, "{t}");
    let live = aws.read(&support::owner("production")).await.unwrap();
    assert_eq!(instance(&live).backup_retention_days, 14);

    // Storage 20 -> 30 without apply_immediately: RDS holds it for the maintenance window.
    // That is converging: the next plan shows nothing and the next apply sends nothing.
    edit(
        d,
        "production.toml",
        "allocated_storage_gb = 20",
        "allocated_storage_gb = 30",
    );
    let out = acct.apply_stack(d, "production", "backend");
    assert_ok(&out);
    assert_eq!(calls(&out, "RDS", "ModifyDBInstance"), 1, "{}", text(&out));
    let raw = aws
        .rds
        .describe_db_instances()
        .db_instance_identifier("agentpass-production")
        .send()
        .await
        .unwrap();
    let raw = &raw.db_instances()[0];
    assert_eq!(raw.allocated_storage(), Some(20), "not applied yet");
    assert_eq!(
        raw.pending_modified_values()
            .and_then(|p| p.allocated_storage()),
        Some(30)
    );
    let live = aws.read(&support::owner("production")).await.unwrap();
    assert_eq!(instance(&live).allocated_storage_gb, 20);
    assert_eq!(
        live.resources[&addr(DB)].pending,
        BTreeMap::from([("allocated_storage_gb".to_owned(), serde_json::json!(30))])
    );
    converged(&acct, d, "production");
    let again = acct.apply_stack(d, "production", "backend");
    assert_ok(&again);
    assert_eq!(rds_mutating(&again), 0, "{}", text(&again));

    // The module itself refuses to delete a protected instance without the confirmation,
    // whoever asks (e.g. a replacement during apply).
    let live = aws.read(&support::owner("production")).await.unwrap();
    let r = &live.resources[&addr(DB)];
    let change = Change {
        address: addr(DB),
        action: Action::Delete,
        level: 0,
        depends_on: BTreeSet::new(),
        id: Some(r.id.clone()),
        before: Some(r.attrs.clone()),
        after: None,
        tags: None,
        fields: Vec::new(),
        reason: None,
        lifecycle: Default::default(),
        final_snapshot: None,
        notes: Vec::new(),
    };
    let ids = BTreeMap::new();
    let ctx = ApplyCtx {
        owner: support::owner("production"),
        claims: provision::aws::Claims::tags_only(support::owner("production")),
        env: "production".into(),
        confirmed_destroy: false,
    };
    let op = Op {
        address: &change.address,
        change: &change,
        old: Resolver { ids: &ids },
        ids: Resolver { ids: &ids },
        ctx: &ctx,
    };
    let err = aws.delete(&op).await.unwrap_err().to_string();
    assert!(
        err.contains("deletion protection") && err.contains("--confirm production"),
        "{err}"
    );
    assert!(instance_exists(&aws, "agentpass-production").await);

    // Without --confirm production, destroy deletes nothing at all.
    let out = acct.destroy(d, "production", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("--confirm production"),
        "{}",
        text(&out)
    );
    let after = aws.read(&support::owner("production")).await.unwrap();
    assert_eq!(
        after.resources.keys().collect::<Vec<_>>(),
        live.resources.keys().collect::<Vec<_>>()
    );
    assert!(instance_exists(&aws, "agentpass-production").await);

    // Confirmed: protection comes off, the instance goes, a final snapshot stays.
    let out = acct.destroy(
        d,
        "production",
        &["--stack", "backend", "--confirm", "production"],
    );
    assert_ok(&out);
    assert_eq!(calls(&out, "RDS", "ModifyDBInstance"), 1, "{}", text(&out));
    assert_eq!(calls(&out, "RDS", "DeleteDBInstance"), 1, "{}", text(&out));
    assert!(!instance_exists(&aws, "agentpass-production").await);
    let live = aws.read(&support::owner("production")).await.unwrap();
    assert!(!live.resources.contains_key(&addr(GROUP)));
    let snapshots = manual_snapshots(&aws, "agentpass-production").await;
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
    let stamp = snapshots[0]
        .strip_prefix("agentpass-production-final-production-")
        .unwrap_or_else(|| panic!("{snapshots:?}"));
    assert!(
        stamp.len() == 14 && stamp.chars().all(|c| c.is_ascii_digit()),
        "{snapshots:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn env_var_password_is_required_first_and_never_leaks() {
    const VAR: &str = "STAGING_DB_PASSWORD";
    let secret = format!("Pw{}", uuid::Uuid::new_v4().simple());
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    edit(
        d,
        "staging.toml",
        "apply_immediately = true",
        &format!("apply_immediately = true\nmaster_password_env = \"{VAR}\""),
    );
    // A password of its own has no Secrets Manager secret for the backend to read.
    for option in ["DB_USER", "DB_PASSWORD"] {
        let key = if option == "DB_USER" {
            "username"
        } else {
            "password"
        };
        edit(
            d,
            "base.toml",
            &format!("{option} = \"${{backend.rds.master_secret_arn}}:{key}\"\n"),
            "",
        );
    }
    assert_ok(&acct.apply_stack(d, "staging", "shared"));

    // Unset: the instance fails before its first AWS call, naming the variable.
    let args = [
        "apply",
        "--env",
        "staging",
        "--stack",
        "backend",
        "--auto-approve",
        "--stats",
    ];
    let out = acct.command(d, &args).env_remove(VAR).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("master password variable {VAR} is not set")),
        "{}",
        text(&out)
    );
    assert_eq!(calls(&out, "RDS", "CreateDBInstance"), 0, "{}", text(&out));
    let aws = acct.aws().await;
    assert!(!instance_exists(&aws, "agentpass-staging").await);
    // Empty counts as unset.
    let out = acct.command(d, &args).env(VAR, "").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("master password variable {VAR} is empty")),
        "{}",
        text(&out)
    );
    assert_eq!(calls(&out, "RDS", "CreateDBInstance"), 0, "{}", text(&out));

    // Set: created with it, traced at the finest level, and the value is nowhere.
    let mut outputs = Vec::new();
    let mut trace_args = vec!["-vvv"];
    trace_args.extend(args);
    let out = acct
        .command(d, &trace_args)
        .env(VAR, &secret)
        .output()
        .unwrap();
    assert_ok(&out);
    outputs.push(text(&out));
    let live = aws.read(&support::owner("staging")).await.unwrap();
    assert_eq!(
        instance(&live).master_password,
        MasterPassword::EnvVar(String::new())
    );
    let raw = aws
        .rds
        .describe_db_instances()
        .db_instance_identifier("agentpass-staging")
        .send()
        .await
        .unwrap();
    assert!(raw.db_instances()[0].master_user_secret().is_none());
    // Any variable name matches a password RDS does not manage: converged.
    converged(&acct, d, "staging");
    let plan = acct.plan(d, "staging", &["--stack", "backend"]);
    outputs.push(text(&plan));
    let state = acct.provision(
        d,
        &[
            "--format", "json", "state", "show", "--env", "staging", "--stack", "backend",
        ],
    );
    assert_ok(&state);
    assert!(text(&state).contains(VAR), "{}", text(&state));
    outputs.push(text(&state));
    // Every object in the state bucket: snapshots, history, lock.
    outputs.extend(acct.state_objects(&aws).await);
    for o in &outputs {
        assert!(!o.contains(&secret), "the password leaked into:\n{o}");
    }

    // Dropping the variable from the spec hands the password to RDS, in place.
    edit(
        d,
        "staging.toml",
        &format!("master_password_env = \"{VAR}\""),
        "",
    );
    let out = acct.command(d, &args).env_remove(VAR).output().unwrap();
    assert_ok(&out);
    assert_eq!(calls(&out, "RDS", "ModifyDBInstance"), 1, "{}", text(&out));
    assert_eq!(calls(&out, "RDS", "CreateDBInstance"), 0, "{}", text(&out));
    let live = aws.read(&support::owner("staging")).await.unwrap();
    assert_eq!(instance(&live).master_password, MasterPassword::Managed);
    converged(&acct, d, "staging");
}
