//! The commands that talk to AWS: plan, apply, destroy, drift, outputs, state. Each validates
//! the spec first, so bad input fails before any AWS call, and shows its result as a value from
//! `views` through the session's `Printer`.

pub mod graph;
pub mod pause;
pub mod promotion;
mod refresh;
mod saved;
mod target;

pub use refresh::{refresh, refresh_some};

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::output::Printer;
use super::views::{ApplyView, DriftView, History, PlanView, Snapshots, Unlocked};
use super::{
    ApplyArgs, CliError, DestroyArgs, Format, Global, Outcome, PlanArgs, PlatformArgs, RunArgs,
    StateBackend, StateCommand, load,
};
use crate::apply::{self, Outcome as TaskOutcome, Progress};
use crate::engine::{self, Observed};
use crate::model::{Address, Stack};
use crate::plan::target::Direction;
use crate::plan::{Action, Plan, checks, diff};
use crate::state;

/// A command's session as the CLI runs it: the engine's [`engine::Session`] and where its
/// results and notes are printed.
pub(crate) struct Run {
    s: engine::Session,
    pub(crate) out: Printer,
    /// The base and environment files: name and text of each (`commands/promotion.rs`).
    spec_files: (String, String, String, String),
    /// Record the spec files applied in the snapshots written (a whole, untargeted apply).
    record_applied: bool,
}

impl std::ops::Deref for Run {
    type Target = engine::Session;
    fn deref(&self) -> &engine::Session {
        &self.s
    }
}

impl std::ops::DerefMut for Run {
    fn deref_mut(&mut self) -> &mut engine::Session {
        &mut self.s
    }
}

impl Run {
    /// Loads and validates the spec (warnings shown), then opens the engine's session on it.
    pub(crate) async fn open(g: &Global, run: &RunArgs) -> Result<Run, CliError> {
        let loaded = load(g, &run.env)?;
        let scope = engine::Scope {
            env: run.env.clone(),
            stack: run.stack,
            state: run.state,
        };
        let connect = engine::Connect {
            profile: g.profile.clone(),
            endpoint_url: g.endpoint_url.clone(),
        };
        let name = |i: usize| {
            let f = &loaded.files[i];
            let name = f.path.file_name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), f.text.clone())
        };
        let ((base, base_text), (env_file, env_text)) = (name(0), name(1));
        Ok(Run {
            s: engine::Session::open(&loaded, &scope, &connect).await?,
            out: g.out(),
            spec_files: (base, base_text, env_file, env_text),
            record_applied: false,
        })
    }

    /// Where a lock that could not be released is said: a warning, as the run ends.
    pub(crate) fn on_release_error(&self) -> engine::locks::OnReleaseError {
        let out = self.out;
        std::sync::Arc::new(move |e| out.warn(format_args!("could not release a lock: {e}")))
    }

    pub(crate) fn print_stats(&self, run: &RunArgs) {
        if run.stats {
            self.out.note(&self.aws.stats.render());
        }
    }

    pub(crate) fn plan_view<'a>(&'a self, plan: &'a Plan) -> PlanView<'a> {
        PlanView {
            plan,
            region: &self.region,
            cost: None,
        }
    }
}

pub async fn plan(g: &Global, a: &PlanArgs) -> Result<Outcome, CliError> {
    let (run, targets) = (&a.run, &a.target.selection());
    let mut s = Run::open(g, run).await?;
    s.upgrade_platform = a.platform.upgrade_platform;
    s.warn_targeted(targets);
    let observed = s.observe().await?;
    s.check_dependencies(&observed)?;
    let plan = s.diffed(&observed)?;
    let made = s.targeted(plan, targets, &observed, Direction::Dependencies)?;
    let plan = s.checked(made.clone(), false)?;
    s.check_names(&plan, &observed).await?;
    let mut view = s.plan_view(&plan);
    let paused;
    let desired = if let Some(ips) = s.paused_form(&observed) {
        paused = crate::pause::paused(&s.desired, ips).desired;
        &paused
    } else {
        &s.desired
    };
    view.cost = super::cost::plan_change(g, &observed.live, desired);
    s.out.show(&view);
    if let Some(warning) = s.cost_allocation(&plan).await {
        s.out.warn(format_args!("{warning}"));
    }
    let adopted = plan
        .changes
        .iter()
        .filter(|c| {
            c.action == Action::NoOp && !observed.recorded.resources.contains_key(&c.address)
        })
        .count();
    if adopted > 0 {
        s.out.note(&format!(
            "{adopted} resources found by their tags are not in state (state lost, or a run \
             stopped before recording them): `provision apply --env {}` records them, changing \
             nothing in AWS",
            s.env
        ));
    }
    if let Some(record) = &observed.pause {
        s.out.note(&record.mode_note(&s.env));
    }
    // Only said here (apply refuses): a plan is not stopped by staging's state.
    match s.unpromoted(g).await {
        Ok(Some(unpromoted)) => s.out.warn(format_args!(
            "{unpromoted}; `apply --env production` refuses it until staging has applied it"
        )),
        Ok(None) => {}
        Err(e) => s
            .out
            .warn(format_args!("could not compare with staging's state: {e}")),
    }
    if let Some(path) = &a.out {
        s.save_plan(path, &observed, targets, &made, &plan)?;
    }
    if let Some(path) = &a.graph {
        s.write_graph(path, &observed, &plan)?;
    }
    s.print_stats(run);
    Ok(if plan.has_changes() {
        Outcome::Pending
    } else {
        Outcome::Done
    })
}

/// Read-only: no lock, no state write, no mutating call.
pub async fn drift(g: &Global, run: &RunArgs) -> Result<Outcome, CliError> {
    let s = Run::open(g, run).await?;
    let (observed, busy) = s.observe_settled().await?;
    let (desired, _) = s.resolved(&observed)?;
    let mut report = crate::drift::drift(&desired, &observed.live, &observed.recorded);
    crate::drift::in_flight(&mut report, &busy);
    if run.state == StateBackend::Local {
        crate::drift::for_local_state(&mut report);
    }
    s.out.show(&DriftView {
        report: &report,
        env: &s.env,
        region: &s.region,
        aws_calls: s.aws.stats.to_json(),
    });
    if let Some(record) = &observed.pause {
        s.out.note(&record.mode_note(&s.env));
        pause::note_restarted(&s, record).await?;
    }
    s.print_stats(run);
    Ok(if report.has_drift() {
        Outcome::Pending
    } else {
        Outcome::Done
    })
}

pub async fn apply(
    g: &Global,
    a: &ApplyArgs,
    plan_file: Option<&std::path::Path>,
    p: &PlatformArgs,
    skip_promotion_check: bool,
) -> Result<Outcome, CliError> {
    let saved = plan_file.map(saved::read).transpose()?;
    if saved.is_some() && !a.target.selection().is_empty() {
        return Err(CliError::Refused(
            "a saved plan carries its own targets and exclusions: apply it without --target or --exclude".into(),
        ));
    }
    let targets = saved
        .as_ref()
        .map_or_else(|| a.target.selection(), |p| p.selection());
    let mut s = Run::open(g, &a.run).await?;
    // A saved plan resolves platforms as it was made.
    s.upgrade_platform = saved
        .as_ref()
        .map_or(p.upgrade_platform, |sp| sp.upgrade_platform);
    s.confirmed = checks::confirm::given(&a.run.env, a.confirm.as_deref(), false)?;
    s.warn_targeted(&targets);
    s.record_applied = targets.is_empty();
    // Before anything is read from AWS: production takes only what staging has applied.
    if let Some(unpromoted) = s.unpromoted(g).await? {
        if skip_promotion_check {
            s.out
                .warn(format_args!("{unpromoted} (--skip-promotion-check)"));
        } else {
            return Err(CliError::Refused(format!(
                "{unpromoted}; apply it to staging first (`provision apply --env staging`), or pass --skip-promotion-check; nothing was changed"
            )));
        }
    }
    // A saved plan is its own approval (as `terraform apply PLANFILE`): it was shown when
    // saved, and anything that moved since refuses it below.
    let a = &ApplyArgs {
        auto_approve: a.auto_approve || saved.is_some(),
        ..a.clone()
    };
    let outcome = execute(a, &s, "apply", |s, observed| {
        s.check_dependencies(observed)?;
        let plan = s.diffed(observed)?;
        let plan = s.targeted(plan, &targets, observed, Direction::Dependencies)?;
        if let Some(saved) = &saved {
            s.check_saved(saved, observed, &plan)?;
        }
        Ok(plan)
    })
    .await?;
    // The URLs, as after `terraform apply`; on stderr so stdout stays the plan/report.
    if g.format == Format::Text && a.run.stack.is_none_or(|s| s != Stack::Shared) {
        let s = Run::open(g, &a.run).await?;
        let ids = s.recorded_ids().await?;
        let https = s.frontend_https;
        match s
            .aws
            .outputs(&s.env, &ids, g.endpoint_url.as_deref(), https)
            .await
        {
            Ok(out) => s
                .out
                .note(&format!("\nOutputs:\n{}", out.render(&s.stacks))),
            Err(e) => s.out.warn(format_args!("could not read the outputs: {e}")),
        }
    }
    Ok(outcome)
}

pub async fn destroy(g: &Global, d: &DestroyArgs) -> Result<Outcome, CliError> {
    let env = &d.apply.run.env;
    let loaded = load(g, env)?;
    let protected = checks::confirm::protected_env(env, loaded.spec.database.deletion_protection);
    let confirmed = checks::confirm::given(env, d.apply.confirm.as_deref(), protected)?;
    let mut s = Run::open(g, &d.apply.run).await?;
    s.desired.resources.clear();
    s.confirmed = confirmed;
    let targets = &d.apply.target.selection();
    s.warn_targeted(targets);
    let outcome = execute(&d.apply, &s, "destroy", |s, observed| {
        s.check_dependents(observed)?;
        let plan = diff(&s.desired, &observed.live, &observed.recorded)?;
        s.targeted(plan, targets, observed, Direction::Dependents)
    })
    .await?;
    // Gone entirely: a later apply builds it running, not paused. Only a record that exists is
    // removed (a destroy with nothing to do writes nothing, not even a bucket).
    let store = s.store();
    if d.apply.run.stack.is_none()
        && targets.is_empty()
        && crate::pause::record::read(&store, env).await?.is_some()
    {
        crate::pause::record::clear(&store, env).await?;
    }
    Ok(outcome)
}

/// Plan without a lock; if there is work, lock, plan again under the lock, confirm, execute.
/// A converged environment therefore costs reads only: no lock, no state write.
async fn execute(
    a: &ApplyArgs,
    s: &Run,
    command: &str,
    make_plan: impl Fn(&Run, &Observed) -> Result<Plan, CliError>,
) -> Result<Outcome, CliError> {
    let observed = s.observe().await?;
    let first = s.checked(make_plan(s, &observed)?, true)?;
    // Before the state bucket, the locks or anything else is written.
    s.check_names(&first, &observed).await?;
    let stale = s.applied_stale(&observed);
    if !first.has_changes() && engine::unrecorded(&first, &observed.recorded).is_empty() && !stale {
        s.out.show(&s.plan_view(&first));
        s.print_stats(&a.run);
        return Ok(Outcome::Done);
    }
    let store = s.store();
    store.ensure_ready().await?;
    // From before the first lock on, Ctrl-C must not kill the run and leave its locks behind.
    let interrupted = on_ctrl_c(s.out);
    let mut changing = engine::touched(&first, &observed.recorded);
    if stale {
        // Their snapshots get this apply's spec files: written under their locks.
        changing.extend(observed.stored.keys().copied());
    }
    let locks = engine::Locks::acquire(
        &store,
        changing.difference(&s.held).copied(),
        &s.env,
        command,
        s.on_release_error(),
    )
    .await
    .map_err(|e| s.lock_error(e))?;
    // Test hook for the concurrency tests: hold the locks a while before working.
    if let Some(ms) = std::env::var("PROVISION_TEST_HOLD_LOCK_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let held: BTreeSet<Stack> = changing.union(&s.held).copied().collect();
    let result = locked(a, s, command, &make_plan, interrupted, &held).await;
    locks.release().await;
    s.print_stats(&a.run);
    result
}

async fn locked(
    a: &ApplyArgs,
    s: &Run,
    command: &str,
    make_plan: &impl Fn(&Run, &Observed) -> Result<Plan, CliError>,
    interrupted: Arc<AtomicBool>,
    locked: &BTreeSet<Stack>,
) -> Result<Outcome, CliError> {
    let observed = s.observe().await?;
    let plan = engine::replan(s, &observed, make_plan(s, &observed)?, locked).await?;
    // In JSON, the plan goes into the one document printed at the end.
    s.out.preview(&s.plan_view(&plan));
    if plan.has_changes() && !a.auto_approve {
        confirm_unless_interrupted(s.out, &s.env, command, &interrupted).await?;
    }
    // Record on exactly the snapshots this plan was made from: a writer since then conflicts.
    let mut recorder = state::Recorder::from_stored(
        s.store(),
        &s.env,
        &s.stacks,
        &s.spec_hash,
        observed.stored.clone(),
    );
    recorder.set_applied(s.record_applied.then(|| s.applied_now()));
    engine::adopt(&plan, &observed, &mut recorder, &mut |note| {
        s.out.note(note)
    })
    .await?;
    if !plan.has_changes() {
        recorder.mark_applied().await?;
        recorder.finish().await?;
        if s.out.format() == Format::Json {
            s.out.show(&s.plan_view(&plan));
        }
        return Ok(Outcome::Done);
    }
    let recorder = Arc::new(tokio::sync::Mutex::new(recorder));
    let report = run_plan(a, s, &plan, &observed, recorder.clone(), interrupted).await;
    let finish = recorder.lock().await.finish().await;
    s.out.show(&ApplyView {
        env: &s.env,
        plan: s.plan_view(&plan),
        report: &report,
        aws_calls: s.aws.stats.to_json(),
    });
    finish?;
    ended(s.out, command, &plan, &report)
}

/// The executor on the plan, its progress on stderr.
async fn run_plan(
    a: &ApplyArgs,
    s: &Run,
    plan: &Plan,
    observed: &Observed,
    recorder: Arc<tokio::sync::Mutex<state::Recorder>>,
    interrupted: Arc<AtomicBool>,
) -> apply::Report {
    let ids: BTreeMap<Address, String> = observed
        .full_live
        .resources
        .iter()
        .map(|(a, r)| (a.clone(), r.id.clone()))
        .collect();
    apply::execute(
        plan,
        &s.aws,
        recorder,
        ids,
        &apply::Options {
            parallelism: a.parallelism,
            ctx: crate::aws::ApplyCtx {
                owner: s.owner(),
                claims: observed.claims.clone(),
                env: s.env.clone(),
                confirmed_destroy: s.confirmed,
            },
        },
        &Progress::new(super::progress::Stderr::new()),
        interrupted,
    )
    .await
}

/// The closing line of a run that succeeded, or the error that lists what failed and what was
/// skipped.
fn ended(
    out: Printer,
    command: &str,
    plan: &Plan,
    report: &apply::Report,
) -> Result<Outcome, CliError> {
    if report.succeeded() {
        let sm = plan.summary();
        out.note(&format!(
            "\n{} complete: {} created, {} updated, {} replaced, {} deleted.\n",
            if command == "destroy" {
                "Destroy"
            } else {
                "Apply"
            },
            sm.create,
            sm.update,
            sm.replace,
            sm.delete
        ));
        return Ok(Outcome::Done);
    }
    let done = report.count(|o| matches!(o, TaskOutcome::Done { .. }));
    let failed = report.count(|o| matches!(o, TaskOutcome::Failed { .. }));
    let skipped = report.count(|o| matches!(o, TaskOutcome::Skipped { .. }));
    let mut lines = vec![format!(
        "{command} did not complete: {done} steps done, {failed} failed, {skipped} skipped"
    )];
    for r in &report.results {
        match &r.outcome {
            TaskOutcome::Failed { error, .. } => {
                lines.push(format!("  failed  {} ({:?}): {error}", r.address, r.step))
            }
            TaskOutcome::Skipped { reason } => {
                lines.push(format!("  skipped {} ({:?}): {reason}", r.address, r.step))
            }
            TaskOutcome::Done { .. } => {}
        }
    }
    lines.push(
        "Everything that was done is recorded in state; fix the cause and run it again.".into(),
    );
    Err(CliError::Failed(lines.join("\n")))
}

pub async fn outputs(g: &Global, run: &RunArgs) -> Result<Outcome, CliError> {
    let s = Run::open(g, run).await?;
    let ids = s.recorded_ids().await?;
    let outputs = s
        .aws
        .outputs(&s.env, &ids, g.endpoint_url.as_deref(), s.frontend_https)
        .await?;
    s.out.show(&super::views::OutputsView {
        outputs: &outputs,
        env: &s.env,
        stacks: &s.stacks,
    });
    s.print_stats(run);
    Ok(Outcome::Done)
}

/// A flag the first Ctrl-C (SIGINT) sets: the executor then starts no new change, lets those in
/// flight finish, and the run writes its state and releases its locks. The handler is in place
/// when this returns, so no SIGINT after it kills the process.
fn on_ctrl_c(out: Printer) -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    #[cfg(unix)]
    let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut signal = match signal {
            Ok(signal) => signal,
            Err(_) => return,
        };
        #[cfg(unix)]
        let mut next = async move || signal.recv().await.is_some();
        #[cfg(not(unix))]
        let mut next = async || tokio::signal::ctrl_c().await.is_ok();
        if next().await {
            out.note(
                "\ninterrupted: finishing the changes in flight, starting no new ones (Ctrl-C again to quit at once)\n",
            );
            flag.store(true, Ordering::SeqCst);
        }
        // A second Ctrl-C quits now, as with Terraform: what completed is in state, what was in
        // flight is found by its tags and adopted by the next run; the locks stay until unlocked.
        if next().await {
            out.note(
                "\nquitting without waiting; run `provision state unlock` once you are sure nothing else runs\n",
            );
            std::process::exit(130);
        }
    });
    interrupted
}

/// The confirmation prompt, given up when Ctrl-C comes while it waits (the locks are released).
async fn confirm_unless_interrupted(
    out: Printer,
    env: &str,
    command: &str,
    interrupted: &AtomicBool,
) -> Result<(), CliError> {
    let (tx, mut answer) = tokio::sync::oneshot::channel();
    let (env, cmd) = (env.to_owned(), command.to_owned());
    // A plain thread, not the runtime's blocking pool: a read of stdin that never returns must
    // not hold up the process's exit.
    std::thread::spawn(move || {
        let _ = tx.send(confirm(out, &env, &cmd));
    });
    loop {
        if interrupted.load(Ordering::SeqCst) {
            return Err(CliError::Refused(format!(
                "{command} cancelled; nothing was changed"
            )));
        }
        tokio::select! {
            result = &mut answer => {
                return result.unwrap_or_else(|_| {
                    Err(CliError::Refused(format!("{command} cancelled; nothing was changed")))
                });
            }
            () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
        }
    }
}

fn confirm(out: Printer, env: &str, command: &str) -> Result<(), CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Refused(format!(
            "not asking for confirmation without a terminal: pass --auto-approve to {command} `{env}` non-interactively"
        )));
    }
    out.note(&format!(
        "\nDo you want to {command} `{env}` as shown? Only 'yes' will be accepted: "
    ));
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::Refused(format!("cannot read the answer: {e}")))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(CliError::Refused(format!(
            "{command} cancelled; nothing was changed"
        )))
    }
}

pub async fn state(g: &Global, cmd: &StateCommand) -> Result<Outcome, CliError> {
    let run = match cmd {
        StateCommand::Rm(_) => unreachable!("`state rm` runs from `cli::run`"),
        StateCommand::List(r) | StateCommand::Show(r) | StateCommand::History(r) => r,
        StateCommand::Unlock { run, .. } => run,
    };
    let s = Run::open(g, run).await?;
    let store = s.store();
    match cmd {
        StateCommand::List(_) | StateCommand::Show(_) => {
            let stored = state::read_all(&store, &s.env, &s.stacks).await?;
            s.out.show(&Snapshots {
                env: &s.env,
                stacks: &s.stacks,
                stored: &stored,
                store: store.describe(),
                resources: matches!(cmd, StateCommand::Show(_)),
            });
        }
        // In text, one stack at a time, each shown as it comes: what was done stays said if a
        // later stack fails. In JSON, one document at the end.
        StateCommand::History(_) => {
            let mut all = BTreeMap::new();
            for &stack in &s.stacks {
                let entries = store.history(stack, &s.env).await?;
                s.out.preview(&History {
                    env: &s.env,
                    stacks: BTreeMap::from([(stack, entries.clone())]),
                });
                all.insert(stack, entries);
            }
            s.out.show_json(&History {
                env: &s.env,
                stacks: all,
            });
        }
        StateCommand::Rm(_) => unreachable!("`state rm` runs from `cli::run`"),
        StateCommand::Unlock { force, .. } => {
            let mut all = BTreeMap::new();
            for &stack in &s.stacks {
                let broken = state::unlock(&store, stack, &s.env, *force)
                    .await
                    .map_err(|e| s.lock_error(e))?;
                s.out.preview(&Unlocked {
                    env: &s.env,
                    stacks: BTreeMap::from([(stack, broken.clone())]),
                });
                all.insert(stack, broken);
            }
            s.out.show_json(&Unlocked {
                env: &s.env,
                stacks: all,
            });
        }
    }
    Ok(Outcome::Done)
}
