//! `provision pause` and `provision resume`: stop what costs money in an environment without
//! losing what identifies it, and bring it back (docs/operations.md, "Pausing staging").
//!
//! Both hold every stack's lock for the whole run, so an overlapping pause, resume or apply
//! fails fast (exit 3 for these two). Pause records "pausing" before it changes anything, then
//! applies the paused form through the ordinary executor, stops the database and records
//! "paused": killed anywhere, a rerun completes it. Resume starts the database, clears the
//! record, applies the running form and checks that the plan is then empty.

use std::collections::BTreeSet;

use clap::Args;
use serde_json::json;

use super::super::output::{Render, pretty};
use super::super::{ApplyArgs, CliError, Global, Outcome, RunArgs, StateBackend, TargetArgs};
use super::{Observed, Session, confirm, execute, release};
use crate::aws::dbrun::RunChange;
use crate::model::{Address, Stack};
use crate::pause::{PauseRecord, PauseState, Paused, paused, record};
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
            target: TargetArgs {
                targets: Vec::new(),
            },
            auto_approve: true,
            parallelism: self.parallelism,
            confirm: self.confirm.clone(),
        }
    }
}

/// A lock another run holds: exit [`EXIT_BUSY`].
#[derive(Debug, thiserror::Error)]
#[error("{0}; nothing was done (another run is at work on this environment: try again later)")]
pub struct Busy(pub String);

pub async fn pause(g: &Global, a: &PauseArgs) -> Result<Outcome, CliError> {
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
    let mut s = Session::open(g, &a.apply_args().run).await?;
    s.confirmed = confirmed;
    s.paused = Some(true);
    let guards = lock_all(&mut s, "pause").await?;
    let result = pause_locked(a, &mut s).await;
    release(s.out, guards).await;
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
    let mut s = Session::open(g, &a.apply_args().run).await?;
    s.confirmed = confirmed;
    s.paused = Some(false);
    let guards = lock_all(&mut s, "resume").await?;
    let result = resume_locked(a, &mut s).await;
    release(s.out, guards).await;
    s.print_stats(&RunArgs {
        env: env.clone(),
        stack: None,
        state: a.state,
        stats: a.stats,
    });
    result
}

/// Every stack's lock, or none: a held one is [`Busy`].
async fn lock_all(s: &mut Session, command: &str) -> Result<Vec<state::LockGuard>, CliError> {
    let store = s.store();
    store.ensure_ready().await?;
    let mut guards = Vec::new();
    let what = format!("{command} --env {}", s.env);
    for stack in Stack::ALL {
        match state::acquire(&store, stack, &s.env, &what).await {
            Ok(guard) => guards.push(guard),
            Err(e) => {
                release(s.out, guards).await;
                return Err(match e {
                    state::StateError::Locked { .. } => {
                        CliError::Busy(Busy(s.lock_error(e).to_string()))
                    }
                    other => s.lock_error(other),
                });
            }
        }
    }
    s.held = Stack::ALL.into_iter().collect();
    Ok(guards)
}

/// The plan of the form the session is set to, shown, and confirmed unless `--auto-approve`.
async fn first_plan(
    a: &PauseArgs,
    s: &Session,
    command: &str,
    asks: bool,
) -> Result<Plan, CliError> {
    let observed = s.observe().await?;
    let plan = plan_of(s, &observed)?;
    s.check_names(&plan, &observed).await?;
    s.out.preview(&s.plan_view(&plan));
    if (plan.has_changes() || asks) && !a.auto_approve {
        confirm(s.out, &s.env, command)?;
    }
    Ok(plan)
}

fn plan_of(s: &Session, observed: &Observed) -> Result<Plan, CliError> {
    s.check_dependencies(observed)?;
    s.checked(s.diffed(observed)?, true)
}

/// The ordinary executor on the form the session is set to; its results stay off stdout.
async fn apply_form(a: &PauseArgs, s: &mut Session, command: &str) -> Result<(), CliError> {
    let out = s.out;
    s.out = out.quiet();
    let result = execute(&a.apply_args(), s, command, plan_of).await;
    s.out = out;
    result.map(|_| ())
}

async fn pause_locked(a: &PauseArgs, s: &mut Session) -> Result<Outcome, CliError> {
    let store = s.store();
    let form = paused(&s.desired);
    let mut statuses = Vec::new();
    for (address, identifier) in &form.databases {
        let status = s.aws.db_status(&address.to_string(), identifier).await?;
        statuses.push(status);
    }
    let db_to_stop = statuses.iter().any(|st| st.as_deref() != Some("stopped"));
    first_plan(a, s, "pause", db_to_stop).await?;
    // From here on every step is recorded or repeatable: "pausing" first.
    let now = state::now_rfc3339();
    let (mut rec, etag) = match record::read(&store, &s.env).await? {
        Some((r, etag)) => (r, etag),
        None => {
            let r = PauseRecord::pausing(&s.env, &now);
            let etag = record::write(&store, &r, None).await?;
            (r, etag)
        }
    };
    apply_form(a, s, "pause").await?;
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
    rec.state = PauseState::Paused;
    record::write(&store, &rec, Some(&etag)).await?;
    let remaining = check_converged(s).await?;
    s.out.show(&PauseView {
        env: &s.env,
        command: "pause",
        form: Some(&form),
        record: Some(&rec),
        databases: &databases,
        remaining,
    });
    Ok(if remaining == 0 {
        Outcome::Done
    } else {
        Outcome::Pending
    })
}

async fn resume_locked(a: &PauseArgs, s: &mut Session) -> Result<Outcome, CliError> {
    let store = s.store();
    let form = paused(&s.desired);
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
    let remaining = check_converged(s).await?;
    s.out.show(&PauseView {
        env: &s.env,
        command: "resume",
        form: None,
        record: None,
        databases: &databases,
        remaining,
    });
    Ok(if remaining == 0 {
        Outcome::Done
    } else {
        Outcome::Pending
    })
}

/// Reads AWS again and plans: the number of changes left (0: converged).
async fn check_converged(s: &Session) -> Result<usize, CliError> {
    let observed = s.observe().await?;
    let plan = plan_of(s, &observed)?;
    let left = plan
        .changes
        .iter()
        .filter(|c| c.action != crate::plan::Action::NoOp);
    Ok(left.count())
}

/// What plan and drift say of a paused environment (on stderr): they compare its paused form.
pub(super) fn mode_note(env: &str, record: &PauseRecord) -> String {
    let state = match record.state {
        PauseState::Pausing => "being paused (a pause did not finish: run it again)",
        PauseState::Paused => "paused",
    };
    format!(
        "note: `{env}` is {state} since {}: compared in its paused form (no NAT gateway, Beanstalk at 0 instances); `provision resume --env {env}` brings it back\n",
        record.since
    )
}

/// Drift of a paused environment: a database RDS started again by itself (after 7 days) is not
/// drift of the spec, but it costs money again: said, with what to do.
pub(super) async fn note_restarted(s: &Session, record: &PauseRecord) -> Result<(), CliError> {
    if record.state != PauseState::Paused {
        return Ok(());
    }
    for (address, identifier) in paused(&s.desired).databases {
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

struct PauseView<'a> {
    env: &'a str,
    command: &'a str,
    form: Option<&'a Paused>,
    record: Option<&'a PauseRecord>,
    databases: &'a [(Address, String, RunChange)],
    remaining: usize,
}

fn list(set: &BTreeSet<Address>) -> Vec<String> {
    set.iter().map(ToString::to_string).collect()
}

impl Render for PauseView<'_> {
    fn text(&self, _: Style) -> String {
        let env = self.env;
        let mut out = String::new();
        if let Some(form) = self.form {
            out.push_str(&format!("`{env}` is paused.\n"));
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
        } else {
            out.push_str(&format!("`{env}` is running again.\n"));
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
            "databases": databases,
            "db_restarts_at": self.record.and_then(PauseRecord::db_restarts_at),
            "remaining_changes": self.remaining,
            "converged": self.remaining == 0,
        }))
    }
}
