//! `provision pause` and `provision resume`: stop what costs money in an environment without
//! losing what identifies it, and bring it back (docs/operations.md, "Pausing staging").
//!
//! Both hold every stack's lock for the whole run, so an overlapping pause, resume or apply
//! fails fast (exit 3 for these two). Pause records "pausing" before it changes anything, then
//! applies the paused form through the ordinary executor, stops the database and records
//! "paused": killed anywhere, a rerun completes it. Resume starts the database, clears the
//! record, applies the running form and checks that the plan is then empty. The NAT gateway's
//! Elastic IP stays allocated unless `--release-ip` (recorded before anything changes, so a
//! rerun plans the same form), and resume's NAT gateway takes it again.

use std::collections::{BTreeMap, BTreeSet};

use clap::Args;
use serde_json::json;

use super::super::output::{Render, pretty};
use super::super::{ApplyArgs, CliError, Global, Outcome, RunArgs, StateBackend, TargetArgs};
use super::{Run, confirm, execute};
use crate::aws::dbrun::RunChange;
use crate::engine::Observed;
use crate::engine::{Busy, Locks};
use crate::model::{Address, Stack};
use crate::pause::{ElasticIps, PauseRecord, PauseState, Paused, paused, record};
use crate::plan::Plan;
use crate::plan::checks;
use crate::plan::render::Style;
use crate::state;

/// Exit code of a pause or resume that found another run holding a lock: nothing was done,
/// try again later (a scheduled job need not alert).
pub const EXIT_BUSY: u8 = 3;

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Environment name: a file specs/NAME.toml.
    #[arg(long)]
    pub env: String,
    /// Where snapshots live: s3 (the spec's state bucket) or local (the `state/` folder here).
    #[arg(long, value_enum, default_value_t = StateBackend::S3)]
    pub state: StateBackend,
    /// Print AWS call counts by operation on stderr.
    #[arg(long)]
    pub stats: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Independent changes run concurrently, up to this many (at least 1).
    #[arg(long, default_value_t = 10, value_parser = super::super::parse_parallelism)]
    pub parallelism: usize,
    /// The environment's name again: required to pause production (or an environment whose
    /// database is protected).
    #[arg(long, value_name = "ENV")]
    pub confirm: Option<String>,
}

/// `pause`: the arguments it shares with `resume`, and what becomes of the Elastic IPs.
#[derive(Debug, Args)]
pub struct PauseCmd {
    #[command(flatten)]
    pub args: PauseArgs,
    /// Release the NAT gateway's Elastic IP as well (saves $0.005 an hour): the environment's
    /// outbound address, which third parties may allow-list, changes on resume. Without it the
    /// address stays allocated and tagged, and resume uses it again.
    #[arg(long)]
    pub release_ip: bool,
}

impl PauseArgs {
    /// The apply these commands run inside, always without a prompt of its own (they ask once,
    /// before anything changes).
    fn apply_args(&self) -> ApplyArgs {
        ApplyArgs {
            run: RunArgs {
                env: self.env.clone(),
                stack: None,
                state: self.state,
                stats: false,
            },
            target: TargetArgs::default(),
            auto_approve: true,
            parallelism: self.parallelism,
            confirm: self.confirm.clone(),
        }
    }
}

pub async fn pause(g: &Global, cmd: &PauseCmd) -> Result<Outcome, CliError> {
    let a = &cmd.args;
    let env = &a.env;
    let loaded = super::super::load(g, env)?;
    // Before any AWS call: production needs its name again, whatever --auto-approve says.
    let protected = checks::confirm::protected_env(env, loaded.spec.database.deletion_protection);
    let confirmed = checks::confirm::given(env, a.confirm.as_deref(), false)?;
    if protected && !confirmed {
        return Err(CliError::Refused(format!(
            "`{env}` is protected: pausing it stops its database and removes its NAT gateway; pass --confirm {env} to pause it (nothing was done)"
        )));
    }
    let mut s = Run::open(g, &a.apply_args().run).await?;
    s.confirmed = confirmed;
    s.paused = Some(true);
    let locks = lock_all(&mut s, "pause").await?;
    let result = pause_locked(a, cmd.release_ip, &mut s).await;
    locks.release().await;
    s.print_stats(&RunArgs {
        env: env.clone(),
        stack: None,
        state: a.state,
        stats: a.stats,
    });
    result
}

pub async fn resume(g: &Global, a: &PauseArgs) -> Result<Outcome, CliError> {
    let env = &a.env;
    super::super::load(g, env)?;
    let confirmed = checks::confirm::given(env, a.confirm.as_deref(), false)?;
    let mut s = Run::open(g, &a.apply_args().run).await?;
    s.confirmed = confirmed;
    s.paused = Some(false);
    let locks = lock_all(&mut s, "resume").await?;
    let result = resume_locked(a, &mut s).await;
    locks.release().await;
    s.print_stats(&RunArgs {
        env: env.clone(),
        stack: None,
        state: a.state,
        stats: a.stats,
    });
    result
}

/// Every stack's lock, or none: a held one is [`Busy`] (exit [`EXIT_BUSY`]).
async fn lock_all(s: &mut Run, command: &str) -> Result<Locks, CliError> {
    let store = s.store();
    store.ensure_ready().await?;
    let what = format!("{command} --env {}", s.env);
    let locks = Locks::acquire(&store, Stack::ALL, &s.env, &what, s.on_release_error())
        .await
        .map_err(|e| match e {
            state::StateError::Locked { .. } => CliError::Busy(Busy(s.lock_error(e).to_string())),
            other => s.lock_error(other),
        })?;
    s.held = Stack::ALL.into_iter().collect();
    Ok(locks)
}

/// The plan of the form the session is set to, shown, and confirmed unless `--auto-approve`.
async fn first_plan(a: &PauseArgs, s: &Run, command: &str, asks: bool) -> Result<Plan, CliError> {
    let observed = s.observe().await?;
    let plan = plan_of(s, &observed)?;
    s.check_names(&plan, &observed).await?;
    s.out.preview(&s.plan_view(&plan));
    if (plan.has_changes() || asks) && !a.auto_approve {
        confirm(s.out, &s.env, command)?;
    }
    Ok(plan)
}

fn plan_of(s: &Run, observed: &Observed) -> Result<Plan, CliError> {
    s.check_dependencies(observed)?;
    s.checked(s.diffed(observed)?, true)
}

/// The ordinary executor on the form the session is set to; its results stay off stdout.
async fn apply_form(a: &PauseArgs, s: &mut Run, command: &str) -> Result<(), CliError> {
    let out = s.out;
    s.out = out.quiet();
    let result = execute(&a.apply_args(), s, command, plan_of).await;
    s.out = out;
    result.map(|_| ())
}

async fn pause_locked(a: &PauseArgs, release_ip: bool, s: &mut Run) -> Result<Outcome, CliError> {
    let store = s.store();
    let existing = record::read(&store, &s.env).await?;
    let ips = record::elastic_ips_for(existing.as_ref().map(|(r, _)| r), release_ip);
    s.elastic_ips = Some(ips);
    let form = paused(&s.desired, ips);
    let mut statuses = Vec::new();
    for (address, identifier) in &form.databases {
        let status = s.aws.db_status(&address.to_string(), identifier).await?;
        statuses.push(status);
    }
    let db_to_stop = statuses.iter().any(|st| st.as_deref() != Some("stopped"));
    first_plan(a, s, "pause", db_to_stop).await?;
    // From here on every step is recorded or repeatable: "pausing" (and the address's fate)
    // first.
    let now = state::now_rfc3339();
    let (mut rec, write) = record::starting(existing.as_ref().map(|(r, _)| r), ips, &s.env, &now);
    let etag = match existing {
        Some((_, etag)) if !write => etag,
        existing => record::write(&store, &rec, existing.as_ref().map(|(_, e)| e.as_str())).await?,
    };
    apply_form(a, s, "pause").await?;
    let databases = stop_databases(s, &form, &mut rec).await?;
    rec.state = PauseState::Paused;
    record::write(&store, &rec, Some(&etag)).await?;
    let (remaining, ids) = check_converged(s).await?;
    s.out.show(&PauseView {
        env: &s.env,
        command: "pause",
        form: Some(&form),
        record: Some(&rec),
        databases: &databases,
        kept_ids: &ids,
        remaining,
    });
    Ok(if remaining == 0 {
        Outcome::Done
    } else {
        Outcome::Pending
    })
}

/// Stops each database of the paused form; stamps the record when one was stopped now.
async fn stop_databases(
    s: &Run,
    form: &Paused,
    rec: &mut PauseRecord,
) -> Result<Vec<(Address, String, RunChange)>, CliError> {
    let mut databases = Vec::new();
    for (address, identifier) in &form.databases {
        let res = address.to_string();
        let change = s.aws.stop_db(&res, identifier).await.map_err(|e| {
            CliError::Failed(format!(
                "{e}\nRDS stops an instance only while it is `available` (not while it is modifying, backing up or being created); the rest of the pause is done and recorded: run `provision pause --env {}` again once it is available",
                s.env
            ))
        })?;
        if change == RunChange::Done {
            rec.db_stopped_at = Some(state::now_rfc3339());
        }
        databases.push((address.clone(), identifier.clone(), change));
    }
    Ok(databases)
}

async fn resume_locked(a: &PauseArgs, s: &mut Run) -> Result<Outcome, CliError> {
    let store = s.store();
    let form = paused(&s.desired, ElasticIps::Kept);
    let mut stopped = false;
    for (address, identifier) in &form.databases {
        let status = s.aws.db_status(&address.to_string(), identifier).await?;
        stopped |= status.as_deref() != Some("available");
    }
    first_plan(a, s, "resume", stopped).await?;
    let mut databases = Vec::new();
    for (address, identifier) in &form.databases {
        let change = s.aws.start_db(&address.to_string(), identifier).await?;
        databases.push((address.clone(), identifier.clone(), change));
    }
    // The database runs again: from now on the environment plans in its running form.
    record::clear(&store, &s.env).await?;
    apply_form(a, s, "resume").await?;
    let (remaining, ids) = check_converged(s).await?;
    s.out.show(&PauseView {
        env: &s.env,
        command: "resume",
        form: None,
        record: None,
        databases: &databases,
        kept_ids: &ids,
        remaining,
    });
    Ok(if remaining == 0 {
        Outcome::Done
    } else {
        Outcome::Pending
    })
}

/// Reads AWS again and plans: the number of changes left (0: converged), and the allocation
/// id of each Elastic IP there is now (what pause kept, what resume's NAT gateway uses).
async fn check_converged(s: &Run) -> Result<(usize, BTreeMap<Address, String>), CliError> {
    let observed = s.observe().await?;
    let plan = plan_of(s, &observed)?;
    let left = plan
        .changes
        .iter()
        .filter(|c| c.action != crate::plan::Action::NoOp);
    let ips = observed
        .full_live
        .resources
        .iter()
        .filter(|(a, _)| a.kind.describe().paused == crate::kinds::PausedForm::Identity)
        .map(|(a, r)| (a.clone(), r.id.clone()))
        .collect();
    Ok((left.count(), ips))
}

/// Drift of a paused environment: a database RDS started again by itself (after 7 days) is not
/// drift of the spec, but it costs money again: said, with what to do.
pub(super) async fn note_restarted(s: &Run, record: &PauseRecord) -> Result<(), CliError> {
    if record.state != PauseState::Paused {
        return Ok(());
    }
    for (address, identifier) in paused(&s.desired, record.elastic_ips).databases {
        let status = s.aws.db_status(&address.to_string(), &identifier).await?;
        if status.as_deref() == Some("available") {
            s.out.note(&format!(
                "note: `{}` is paused, but its database {address} ({identifier}) runs again: RDS starts a stopped instance by itself after 7 days. Run `provision pause --env {}` to stop it again.\n",
                s.env, s.env
            ));
        }
    }
    Ok(())
}

impl PauseView<'_> {
    /// What a pause changed and what it kept.
    fn paused_text(&self, form: &Paused) -> String {
        let mut out = format!("`{}` is paused.\n", self.env);
        if !form.removed.is_empty() {
            out.push_str(&format!("  removed: {}\n", list(&form.removed).join(", ")));
        }
        if !form.scaled_to_zero.is_empty() {
            out.push_str(&format!(
                "  at 0 instances: {}\n",
                list(&form.scaled_to_zero).join(", ")
            ));
        }
        if !form.kept_running.is_empty() {
            out.push_str(&format!(
                "  still running (single-instance environments cannot be scaled to zero): {}\n",
                list(&form.kept_running).join(", ")
            ));
        }
        for address in &form.kept_ips {
            let id = self.kept_ids.get(address).map_or("", String::as_str);
            out.push_str(&format!(
                "  kept: {address} ({id}), the NAT gateway's Elastic IP: allocated and tagged, so the outbound address third parties allow-list stays ($0.005 an hour while idle); resume gives it to the new NAT gateway, `pause --release-ip` releases it\n"
            ));
        }
        out.push_str(
            "  kept as they are: the VPC, subnets, security groups, the API (id, key, stage, URL), the load balancers, Beanstalk environments (ids, URLs), the database (stopped, its data)\n",
        );
        out
    }
}

struct PauseView<'a> {
    env: &'a str,
    command: &'a str,
    form: Option<&'a Paused>,
    record: Option<&'a PauseRecord>,
    databases: &'a [(Address, String, RunChange)],
    /// Allocation id of each Elastic IP after the run.
    kept_ids: &'a BTreeMap<Address, String>,
    remaining: usize,
}

fn list(set: &BTreeSet<Address>) -> Vec<String> {
    set.iter().map(ToString::to_string).collect()
}

impl Render for PauseView<'_> {
    fn text(&self, _: Style) -> String {
        let env = self.env;
        let mut out = String::new();
        match self.form {
            Some(form) => out.push_str(&self.paused_text(form)),
            None => {
                out.push_str(&format!("`{env}` is running again.\n"));
                for (address, id) in self.kept_ids {
                    out.push_str(&format!(
                        "  NAT gateway's Elastic IP {address}: {id} (the outbound address)\n"
                    ));
                }
            }
        }
        for (address, identifier, change) in self.databases {
            let verb = match (self.command, change) {
                ("pause", RunChange::Done) => "stopped",
                ("pause", _) => "already stopped",
                (_, RunChange::Done) => "started",
                (_, _) => "already running",
            };
            let verb = if *change == RunChange::Missing {
                "not found"
            } else {
                verb
            };
            out.push_str(&format!("  database {address} ({identifier}): {verb}\n"));
        }
        if let Some(at) = self.record.and_then(PauseRecord::db_restarts_at) {
            out.push_str(&format!(
                "RDS starts a stopped database by itself after 7 days: on {at}. Run `provision pause --env {env}` again after that (a scheduled pause does).\n"
            ));
        }
        if self.remaining == 0 {
            out.push_str("Converged: the plan is empty.\n");
        } else {
            out.push_str(&format!(
                "The plan still has {} changes: run `provision plan --env {env}` to see them.\n",
                self.remaining
            ));
        }
        out
    }

    fn json(&self) -> Option<String> {
        let databases: Vec<_> = self
            .databases
            .iter()
            .map(|(a, id, change)| json!({"address": a, "identifier": id, "change": change}))
            .collect();
        pretty(&json!({
            "format_version": 1,
            "env": self.env,
            "command": self.command,
            "paused": self.form.is_some(),
            "removed": self.form.map(|f| list(&f.removed)).unwrap_or_default(),
            "scaled_to_zero": self.form.map(|f| list(&f.scaled_to_zero)).unwrap_or_default(),
            "kept_running": self.form.map(|f| list(&f.kept_running)).unwrap_or_default(),
            "kept_ips": self.form.map(|f| list(&f.kept_ips)).unwrap_or_default(),
            "elastic_ips": self.kept_ids,
            "databases": databases,
            "db_restarts_at": self.record.and_then(PauseRecord::db_restarts_at),
            "remaining_changes": self.remaining,
            "converged": self.remaining == 0,
        }))
    }
}
