//! The executor: walks a plan's dependency graph and makes no decisions of its own. Deletes run
//! child-first, creates and updates parent-first, independent changes concurrently (bounded).
//! Every completed change is recorded in state before anything depends on it; a failure stops
//! what depends on it and lets independent branches finish.

pub mod progress;
mod references;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::aws::{ApplyCtx, Aws, AwsError, ErrorClass, Op, Presence, Resolver};
use crate::model::{Address, Attrs, RecordedResource, Ref};
use crate::plan::{Action, Change, Plan};
use crate::state::Recorder;
pub use progress::Progress;

/// What a task does to its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Delete it (a delete, or the first half of a replace).
    Delete,
    /// Create it (a create, or the second half of a replace).
    Create,
    Update,
    /// Drop it from state: it is gone from AWS, nothing is called.
    Forget,
}

impl Step {
    pub fn verb(self) -> (&'static str, &'static str) {
        match self {
            Step::Delete => ("destroying", "destroyed"),
            Step::Create => ("creating", "created"),
            Step::Update => ("modifying", "modified"),
            Step::Forget => ("forgetting", "forgotten"),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Done {
        seconds: f64,
    },
    /// `error` as the run prints it; `aws`, when an AWS call failed, its operation, AWS's code
    /// and what the code means (docs/json.md).
    Failed {
        error: String,
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "aws_failure"
        )]
        aws: Option<AwsError>,
    },
    /// Not started: something it depends on failed or was skipped, or the run was interrupted.
    Skipped {
        reason: String,
    },
}

/// An AWS failure in the report: the operation that failed, AWS's error code and its class,
/// each when known (a wait that gave up has no code).
fn aws_failure<S: serde::Serializer>(e: &Option<AwsError>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let e = e.as_ref().expect("skipped when absent");
    let mut map = s.serialize_map(None)?;
    if let Some(operation) = e.operation() {
        map.serialize_entry("operation", operation)?;
    }
    if let Some(code) = e.code() {
        map.serialize_entry("code", code)?;
    }
    map.serialize_entry("class", &e.class())?;
    map.end()
}

/// Why a step failed: the message the run prints, and the AWS error behind it when an AWS call
/// failed, kept typed up to the report.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    pub aws: Option<AwsError>,
}

impl Failure {
    /// A failure that is not AWS's answer (state could not be written, not ours, ...).
    fn text(message: String) -> Failure {
        Failure { message, aws: None }
    }
}

impl From<AwsError> for Failure {
    fn from(e: AwsError) -> Failure {
        Failure {
            message: e.to_string(),
            aws: Some(e),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::text(message)
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TaskResult {
    pub address: Address,
    pub step: Step,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub results: Vec<TaskResult>,
    pub interrupted: bool,
}

impl Report {
    pub fn succeeded(&self) -> bool {
        !self.interrupted
            && self
                .results
                .iter()
                .all(|r| matches!(r.outcome, Outcome::Done { .. }))
    }

    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub parallelism: usize,
    pub ctx: ApplyCtx,
}

struct Task {
    address: Address,
    step: Step,
    change: Change,
    deps: BTreeSet<usize>,
}

fn refs(attrs: Option<&Attrs>) -> BTreeSet<Address> {
    attrs
        .map(|a| {
            a.refs()
                .into_iter()
                .filter_map(|r| match r {
                    Ref::Managed(a) => Some(a.clone()),
                    Ref::External(_) => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The task graph of a plan: the only ordering the executor knows.
fn tasks(plan: &Plan) -> Vec<Task> {
    let mut tasks = Vec::new();
    let mut deletes: BTreeMap<Address, usize> = BTreeMap::new();
    let mut applies: BTreeMap<Address, usize> = BTreeMap::new();
    let applying: BTreeSet<Address> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Replace | Action::Update))
        .map(|c| c.address.clone())
        .collect();
    let mut follow_ups = Vec::new();
    for c in &plan.changes {
        if matches!(c.action, Action::Delete | Action::Replace | Action::Forget) {
            deletes.insert(c.address.clone(), tasks.len());
            tasks.push(Task {
                address: c.address.clone(),
                step: if c.action == Action::Forget {
                    Step::Forget
                } else {
                    Step::Delete
                },
                change: c.clone(),
                deps: BTreeSet::new(),
            });
        }
        let step = match c.action {
            Action::Create | Action::Replace => Some(Step::Create),
            Action::Update => Some(Step::Update),
            Action::Delete | Action::Forget | Action::NoOp => None,
        };
        if let Some(step) = step {
            let (change, settle) = references::split(c, &applying);
            applies.insert(c.address.clone(), tasks.len());
            tasks.push(Task {
                address: c.address.clone(),
                step,
                change,
                deps: BTreeSet::new(),
            });
            // After the create (not in `applies`: what depends on the resource needs the
            // create only).
            if let Some(change) = settle {
                follow_ups.push((tasks.len(), tasks.len() - 1));
                tasks.push(Task {
                    address: c.address.clone(),
                    step: Step::Update,
                    change,
                    deps: BTreeSet::new(),
                });
            }
        }
    }
    let mut edges = follow_ups;
    edges.extend(edges_of(&tasks, &deletes, &applies));
    for (from, to) in edges {
        if from != to {
            tasks[from].deps.insert(to);
        }
    }
    for (from, to) in old_first_waits(&tasks, &applies) {
        // Only where it adds no cycle: a parent replaced old-first itself waits for this.
        if !waits_for(&tasks, to, from) {
            tasks[from].deps.insert(to);
        }
    }
    old_goes_last(&mut tasks, &applies);
    tasks
}

/// The old one of a replacement made first goes last: after every create and update that
/// follows from the new one (the integration moved to the new VPC link, and the stage deployed
/// again, which is what clients reach).
fn old_goes_last(tasks: &mut [Task], applies: &BTreeMap<Address, usize>) {
    let made_first: Vec<(usize, usize)> = tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.step == Step::Delete && creates_first(&t.change))
        .filter_map(|(i, t)| applies.get(&t.address).map(|&c| (i, c)))
        .collect();
    for (delete, create) in made_first {
        let after: Vec<usize> = (0..tasks.len())
            .filter(|&t| matches!(tasks[t].step, Step::Create | Step::Update))
            .filter(|&t| t != create && waits_for(tasks, t, create))
            .filter(|&t| !waits_for(tasks, t, delete))
            .collect();
        tasks[delete].deps.extend(after);
    }
}

/// Whether the change is a replacement that creates the new resource first.
fn creates_first(c: &Change) -> bool {
    c.action == Action::Replace && c.lifecycle.create_before_destroy
}

/// A replacement that deletes the old resource first waits for what the new one needs to be
/// created or updated: if one of those fails, the old one is still there (the API keeps its
/// VPC link while the new group cannot be made). (task, what it should wait for)
fn old_first_waits(tasks: &[Task], applies: &BTreeMap<Address, usize>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, t) in tasks.iter().enumerate() {
        if t.step != Step::Delete || t.change.action != Action::Replace || creates_first(&t.change)
        {
            continue;
        }
        let needs = refs(t.change.after.as_ref())
            .into_iter()
            .chain(t.change.depends_on.iter().cloned());
        for p in needs.filter(|p| *p != t.address) {
            if let Some(&j) = applies.get(&p) {
                out.push((i, j));
            }
        }
    }
    out
}

/// Whether task `from` waits, directly or through others, for task `to`.
fn waits_for(tasks: &[Task], from: usize, to: usize) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from];
    while let Some(i) = stack.pop() {
        if i == to {
            return true;
        }
        if seen.insert(i) {
            stack.extend(tasks[i].deps.iter().copied());
        }
    }
    false
}

/// (task, what it must wait for), from what each change refers to and AWS's own orders.
fn edges_of(
    tasks: &[Task],
    deletes: &BTreeMap<Address, usize>,
    applies: &BTreeMap<Address, usize>,
) -> Vec<(usize, usize)> {
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (i, t) in tasks.iter().enumerate() {
        let before = refs(t.change.before.as_ref());
        let after = refs(t.change.after.as_ref());
        match t.step {
            Step::Delete | Step::Forget => {
                // A replacement made first: the old one goes once the new one exists.
                if creates_first(&t.change)
                    && let Some(&j) = applies.get(&t.address)
                {
                    edges.push((i, j));
                }
                // For a delete (not a replace), `depends_on` lists what must be deleted first.
                for d in t
                    .change
                    .depends_on
                    .iter()
                    .filter(|_| matches!(t.change.action, Action::Delete | Action::Forget))
                {
                    if let Some(&j) = deletes.get(d) {
                        edges.push((i, j));
                    }
                }
                // An order AWS imposes that no attribute says (an internet gateway goes after
                // the NAT gateways and elastic IPs): the kind's description lists it.
                let after_kinds = t.address.kind.describe().deleted_after;
                for (a, &j) in deletes {
                    if after_kinds.contains(&a.kind) {
                        edges.push((i, j));
                    }
                }
            }
            Step::Create | Step::Update => {
                // Parents first, and a replacement's old self goes before its new self.
                for p in &after {
                    if let Some(&j) = applies.get(p) {
                        edges.push((i, j));
                    }
                }
                if let Some(&j) = deletes.get(&t.address)
                    && !creates_first(&t.change)
                {
                    edges.push((i, j));
                }
                for d in &t.change.depends_on {
                    if let Some(&j) = applies.get(d) {
                        edges.push((i, j));
                    }
                }
            }
        }
        // Whatever held a reference to a deleted resource lets go of it first: dependents are
        // deleted, or updated away from it, before it. A replacement made first is deleted
        // once its dependents have moved to the new one.
        for held in &before {
            if let Some(&j) = deletes.get(held)
                && j != i
                && held != &t.address
                && (t.step == Step::Delete
                    || !after.contains(held)
                    || creates_first(&tasks[j].change))
            {
                edges.push((j, i));
            }
        }
    }
    edges
}

#[derive(Clone)]
enum Status {
    Pending,
    Running,
    Finished(Outcome),
}

/// What every task of a run shares.
#[derive(Clone)]
struct Shared {
    aws: Aws,
    recorder: Arc<Mutex<Recorder>>,
    /// The ids as they are now: replacements and creates add theirs.
    ids: Arc<Mutex<BTreeMap<Address, String>>>,
    /// `before` attributes refer to the ids the run started with, even after replacements.
    initial: Arc<BTreeMap<Address, String>>,
    ctx: ApplyCtx,
}

type Running = JoinSet<(usize, Outcome)>;

pub async fn execute(
    plan: &Plan,
    aws: &Aws,
    recorder: Arc<Mutex<Recorder>>,
    ids: BTreeMap<Address, String>,
    opts: &Options,
    progress: &Progress,
    interrupted: Arc<AtomicBool>,
) -> Report {
    let tasks = tasks(plan);
    let shared = Shared {
        aws: aws.clone(),
        recorder,
        initial: Arc::new(ids.clone()),
        ids: Arc::new(Mutex::new(ids)),
        ctx: opts.ctx.clone(),
    };
    let mut status = vec![Status::Pending; tasks.len()];
    let mut running = JoinSet::new();
    let mut task_index = std::collections::HashMap::new();
    let parallelism = opts.parallelism.max(1);

    loop {
        // Skip what can no longer run; start what can.
        for i in 0..tasks.len() {
            if !matches!(status[i], Status::Pending) {
                continue;
            }
            if let Some(skipped) = skip(&tasks[i], &tasks, &status, &interrupted) {
                status[i] = Status::Finished(skipped);
                continue;
            }
            let ready = tasks[i]
                .deps
                .iter()
                .all(|&d| matches!(&status[d], Status::Finished(Outcome::Done { .. })));
            if ready && running.len() < parallelism {
                status[i] = Status::Running;
                let id = spawn(&mut running, i, &tasks[i], &shared, progress);
                task_index.insert(id, i);
            }
        }
        match running.join_next().await {
            Some(Ok((i, outcome))) => status[i] = Status::Finished(outcome),
            Some(Err(join)) => {
                // A panicking task is a bug; record it as that task's failure.
                tracing::error!(error = %join, "task panicked");
                if let Some(&i) = task_index.get(&join.id()) {
                    status[i] = Status::Finished(Outcome::Failed {
                        error: format!("internal error: {join}"),
                        aws: None,
                    });
                }
            }
            None => {
                if status.iter().all(|s| matches!(s, Status::Finished(_))) {
                    break;
                }
                // Nothing running and nothing ready: a cycle would be a planner bug.
                for s in status.iter_mut().filter(|s| matches!(s, Status::Pending)) {
                    *s = Status::Finished(Outcome::Skipped {
                        reason: "unreachable dependency".into(),
                    });
                }
            }
        }
    }
    report(&tasks, status, &interrupted)
}

/// Why a pending task will not run: something it depends on did not complete, or the run was
/// interrupted.
fn skip(t: &Task, tasks: &[Task], status: &[Status], interrupted: &AtomicBool) -> Option<Outcome> {
    let blocked = t.deps.iter().find(
        |&&d| matches!(&status[d], Status::Finished(o) if !matches!(o, Outcome::Done { .. })),
    );
    if let Some(&d) = blocked {
        let reason = format!(
            "{} ({:?}) did not complete",
            tasks[d].address, tasks[d].step
        );
        return Some(Outcome::Skipped { reason });
    }
    interrupted
        .load(Ordering::SeqCst)
        .then(|| Outcome::Skipped {
            reason: "interrupted".into(),
        })
}

/// Starts task `i`; its outcome comes back through `running`.
fn spawn(
    running: &mut Running,
    i: usize,
    t: &Task,
    shared: &Shared,
    progress: &Progress,
) -> tokio::task::Id {
    let shared = shared.clone();
    let (address, step, change) = (t.address.clone(), t.step, t.change.clone());
    let handle = progress.start(&address, step);
    let span = tracing::info_span!("change", address = %address, action = ?step);
    let task = running.spawn(
        async move {
            let start = Instant::now();
            let result = run_one(&shared, step, &change).await;
            let outcome = match result {
                Ok(()) => Outcome::Done {
                    seconds: start.elapsed().as_secs_f64(),
                },
                Err(f) => Outcome::Failed {
                    error: f.message,
                    aws: f.aws,
                },
            };
            handle.finish(&outcome);
            (i, outcome)
        }
        .instrument(span),
    );
    task.id()
}

fn report(tasks: &[Task], status: Vec<Status>, interrupted: &AtomicBool) -> Report {
    let results = tasks
        .iter()
        .zip(status)
        .map(|(t, s)| TaskResult {
            address: t.address.clone(),
            step: t.step,
            outcome: match s {
                Status::Finished(o) => o,
                Status::Pending | Status::Running => Outcome::Skipped {
                    reason: "not reached".into(),
                },
            },
        })
        .collect();
    Report {
        results,
        interrupted: interrupted.load(Ordering::SeqCst),
    }
}

async fn run_one(shared: &Shared, step: Step, change: &Change) -> Result<(), Failure> {
    let current = shared.ids.lock().await.clone();
    let filled = match step {
        Step::Create | Step::Update => references::filled(&shared.aws, change, &current).await?,
        Step::Forget | Step::Delete => None,
    };
    let mut change = filled.unwrap_or_else(|| change.clone());
    if change.id.is_none() && step == Step::Update {
        // A create's follow-up (`references::split`): the id is the create's.
        change.id = current.get(&change.address).cloned();
    }
    let change = &change;
    let op = Op {
        address: &change.address,
        change,
        old: Resolver {
            ids: &shared.initial,
        },
        ids: Resolver { ids: &current },
        ctx: &shared.ctx,
    };
    match step {
        Step::Forget => forget(shared, &op).await,
        Step::Delete => delete(shared, &op).await,
        Step::Create => create(shared, &op).await,
        Step::Update => update(shared, &op).await,
    }
}

fn fail(e: AwsError) -> Failure {
    Failure::from(e)
}

/// What the state records of a change carried out, under this id.
fn record(op: &Op<'_>, id: String, attrs: &Attrs) -> RecordedResource {
    RecordedResource {
        id,
        attrs: attrs.clone(),
        tags: op.change.tags.clone().unwrap_or_default(),
        depends_on: op.change.depends_on.clone(),
    }
}

/// The read found nothing of ours, but an object of ours may still be going (a Beanstalk
/// environment terminating): it is waited for, so what depends on its end (its application's
/// delete) comes after. Anything else under the id is left alone.
async fn forget(shared: &Shared, op: &Op<'_>) -> Result<(), Failure> {
    let aws = &shared.aws;
    match aws.presence(op).await.map_err(fail)? {
        Presence::Ours => aws.delete(op).await.map_err(fail)?,
        Presence::Gone => {}
        Presence::NotOurs(holder) => {
            tracing::info!(id = %op.id(), holder = %holder, "held by something not ours: only dropped from state");
        }
    }
    shared.ids.lock().await.remove(op.address);
    shared
        .recorder
        .lock()
        .await
        .forget(op.address)
        .await
        .map_err(|e| Failure::text(format!("the state could not be updated: {e}")))
}

/// What holds the id now is checked right before the call: only ours is deleted. The old one
/// of a replacement made first is no longer in state (the new one is): nothing to forget.
async fn delete(shared: &Shared, op: &Op<'_>) -> Result<(), Failure> {
    let aws = &shared.aws;
    match aws.presence(op).await.map_err(fail)? {
        Presence::Ours => aws.delete(op).await.map_err(fail)?,
        Presence::Gone => {
            tracing::info!(id = %op.id(), "already gone from AWS: only dropped from state");
        }
        Presence::NotOurs(holder) => return Err(not_ours(op, "deleted", &holder).into()),
    }
    if creates_first(op.change) {
        return Ok(());
    }
    shared.ids.lock().await.remove(op.address);
    shared
        .recorder
        .lock()
        .await
        .forget(op.address)
        .await
        .map_err(|e| {
            Failure::text(format!(
                "deleted in AWS, but the state could not be updated: {e}"
            ))
        })
}

async fn create(shared: &Shared, op: &Op<'_>) -> Result<(), Failure> {
    let address = op.address;
    let id = match create_or_adopt(&shared.aws, op, &shared.ids).await {
        Ok(id) => id,
        // It exists but is not finished: record it so nothing that reached AWS is lost.
        Err(AwsError::Partial { id, source }) => {
            shared.ids.lock().await.insert(address.clone(), id.clone());
            let after = op.after().map_err(fail)?;
            let recorded = shared
                .recorder
                .lock()
                .await
                .record(address, record(op, id.clone(), after))
                .await;
            let partial = AwsError::Partial { id, source };
            let message = match recorded {
                Ok(()) => partial.to_string(),
                Err(e) => format!("{partial}; and the state could not be updated: {e}"),
            };
            return Err(Failure {
                message,
                aws: Some(partial),
            });
        }
        Err(e) => return Err(fail(e)),
    };
    shared.ids.lock().await.insert(address.clone(), id.clone());
    let after = op.after().map_err(fail)?;
    shared.recorder.lock().await.record(address, record(op, id.clone(), after)).await.map_err(|e| {
        Failure::text(format!("created {id}, but the state could not be updated (a rerun adopts it by its tags): {e}"))
    })
}

async fn update(shared: &Shared, op: &Op<'_>) -> Result<(), Failure> {
    let aws = &shared.aws;
    match aws.presence(op).await.map_err(fail)? {
        Presence::Ours => {}
        Presence::Gone => {
            return Err(Failure::text(format!(
                "{}: {} is gone from AWS since the plan was made; nothing was changed, run plan again",
                op.address,
                op.id()
            )));
        }
        Presence::NotOurs(holder) => return Err(not_ours(op, "changed", &holder).into()),
    }
    update_in_place(aws, op).await.map_err(fail)?;
    let after = op.after().map_err(fail)?;
    shared
        .recorder
        .lock()
        .await
        .record(op.address, record(op, op.id().to_owned(), after))
        .await
        .map_err(|e| {
            Failure::text(format!(
                "updated in AWS, but the state could not be updated: {e}"
            ))
        })
}

/// The refusal when what holds a resource's id is not provably this environment's.
fn not_ours(op: &Op<'_>, verb: &str, holder: &str) -> String {
    format!(
        "{}: {} is not this environment's ({holder}), so it was not {verb}; \
         if it should be, `provision import --env {} {} {}` takes it over, else rename the resource in the spec",
        op.address,
        op.id(),
        op.ctx.env,
        op.address,
        op.id()
    )
}

/// Attributes, then tags, as the change's typed intent says.
async fn update_in_place(aws: &Aws, op: &Op<'_>) -> Result<(), AwsError> {
    if op.change.changes_attributes() {
        aws.update(op).await?;
    }
    let tags = op.change.tag_changes();
    if !tags.is_empty() {
        aws.retag(op, &tags.set, &tags.remove).await?;
    }
    Ok(())
}

/// Creates the resource. When the create fails, it may have happened anyway (an answer lost
/// after AWS did the work, which a blind retry would turn into a duplicate or an "already
/// exists"): the resource is looked for by its ownership tags, and if it is there it is adopted
/// and brought to the spec in place; if not, an ambiguous failure is tried again (twice at most).
async fn create_or_adopt(
    aws: &Aws,
    op: &Op<'_>,
    ids: &Mutex<BTreeMap<Address, String>>,
) -> Result<String, AwsError> {
    let mut tries = 0;
    loop {
        let err = match aws.create(op).await {
            Ok(id) => return Ok(id),
            Err(partial @ AwsError::Partial { .. }) => return Err(partial),
            Err(e) => e,
        };
        tries += 1;
        // Only a failure that may hide a create that happened is worth a read pass; a plain
        // refusal (a bad parameter, a limit) is reported as it is.
        if !matches!(err.class(), ErrorClass::Ambiguous | ErrorClass::Exists) {
            return Err(err);
        }
        // The read that decides between adopting and creating again must itself get through:
        // a flaky moment is waited out, and without an answer nothing is created twice.
        let mut live = None;
        for wait in [0, 500, 1500, 3000] {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            if let Ok(found) = aws.read_claimed(&op.ctx.claims).await {
                live = Some(found);
                break;
            }
        }
        let Some(live) = live else {
            return Err(err);
        };
        // A replacement made first: the old one carries the same tags and is not the new one.
        let old = creates_first(op.change)
            .then_some(op.change.id.as_deref())
            .flatten();
        if let Some(other) = old.and_then(|old| {
            live.duplicates
                .iter()
                .find(|d| &d.address == op.address && d.id != old)
        }) {
            return Err(AwsError::partial(&other.id)(err));
        }
        if let Some(found) = live
            .resources
            .get(op.address)
            .filter(|f| Some(f.id.as_str()) != old)
        {
            tracing::warn!(error = %err, id = %found.id, "the create failed, but the resource is there by its tags: adopting it");
            let after = op.after()?;
            let tags = op.tags();
            let (fields, _) = crate::plan::diff::field_changes(
                op.address.kind,
                after,
                &tags,
                found,
                None,
                &op.change.lifecycle.ignore,
            );
            if !fields.is_empty() {
                let mut current = ids.lock().await.clone();
                current.insert(op.address.clone(), found.id.clone());
                let change = Change {
                    action: Action::Update,
                    id: Some(found.id.clone()),
                    before: Some(found.attrs.clone()),
                    fields,
                    ..op.change.clone()
                };
                let fix = Op {
                    address: op.address,
                    change: &change,
                    old: Resolver { ids: &current },
                    ids: Resolver { ids: &current },
                    ctx: op.ctx,
                };
                update_in_place(aws, &fix)
                    .await
                    .map_err(AwsError::partial(&found.id))?;
            }
            return Ok(found.id.clone());
        }
        // Confirmed absent: the create did not happen, so trying again cannot duplicate it.
        if err.class() != ErrorClass::Ambiguous || tries >= 5 {
            return Err(err);
        }
        tokio::time::sleep(Duration::from_millis(500 * tries)).await;
    }
}

/// How long to wait between "still working" lines.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, LiveState, RecordedState, Stack};

    fn staging() -> crate::model::DesiredState {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        let loaded = crate::spec::load::load_one(&dir, "staging").expect("staging validates");
        crate::spec::desired::build(&loaded.spec)
    }

    /// A converged live state of `d`, each resource under the id `id-ADDRESS`.
    fn converged(d: &crate::model::DesiredState) -> LiveState {
        let resources = d
            .resources
            .iter()
            .map(|(a, r)| {
                let live = crate::model::LiveResource {
                    id: format!("id-{a}"),
                    attrs: r.attrs.clone(),
                    tags: r.tags.clone(),
                    pending: Default::default(),
                };
                (a.clone(), live)
            })
            .collect();
        LiveState {
            resources,
            ..Default::default()
        }
    }

    fn position(tasks: &[Task], address: &str, step: Step) -> usize {
        let address: Address = address.parse().unwrap();
        tasks
            .iter()
            .position(|t| t.address == address && t.step == step)
            .unwrap_or_else(|| panic!("no {step:?} of {address}"))
    }

    /// Issue 24: a VPC link is replaced new one first. Its old self goes only once the new one
    /// exists and the integration has moved to it; a failed create deletes nothing.
    #[test]
    fn a_replacement_made_first_deletes_the_old_one_last() {
        let d = staging();
        let mut live = converged(&d);
        let link: Address = "backend.vpc_link".parse().unwrap();
        if let Some(Attrs::VpcLink(l)) = live.resources.get_mut(&link).map(|r| &mut r.attrs) {
            l.subnets = vec![Ref::External("subnet-old".into())];
        }
        let plan = crate::plan::diff(&d, &live, &RecordedState::default()).expect("plans");
        let tasks = tasks(&plan);
        let create = position(&tasks, "backend.vpc_link", Step::Create);
        let delete = position(&tasks, "backend.vpc_link", Step::Delete);
        let integration = position(&tasks, "backend.api_integration", Step::Update);
        assert!(
            !tasks[create].deps.contains(&delete),
            "the create waits for nothing old"
        );
        assert!(tasks[delete].deps.contains(&create));
        assert!(tasks[delete].deps.contains(&integration));
        assert!(tasks[integration].deps.contains(&create));
        // Clients reach the integration through the stage's deployment: deployed again first.
        let stage = position(&tasks, "backend.api_stage", Step::Update);
        assert!(tasks[delete].deps.contains(&stage));
        assert!(!waits_for(&tasks, create, delete), "no cycle");
    }

    /// A replacement that must delete first waits for what its new self needs: the link whose
    /// new group cannot be created (its name taken) is not deleted.
    #[test]
    fn an_old_first_replacement_waits_for_the_creates_it_needs() {
        let d = staging();
        let mut live = converged(&d);
        let group: Address = "shared.security_group.api-link".parse().unwrap();
        live.resources.remove(&group);
        let mut plan = crate::plan::diff(&d, &live, &RecordedState::default()).expect("plans");
        // As an older plan had it: the link replaced old-first for the group created anew.
        for c in &mut plan.changes {
            if c.address.kind == Kind::VpcLink {
                c.action = Action::Replace;
                c.id = Some("id-backend.vpc_link".into());
                c.lifecycle.create_before_destroy = false;
            }
        }
        let tasks = tasks(&plan);
        let made = position(&tasks, "shared.security_group.api-link", Step::Create);
        let delete = position(&tasks, "backend.vpc_link", Step::Delete);
        assert!(
            tasks[delete].deps.contains(&made),
            "{:?}",
            tasks[delete].deps
        );
    }

    /// From nothing, the environments are created beside what their settings read, and a
    /// follow-up update sets those settings once it exists.
    #[test]
    fn settings_that_read_new_resources_do_not_hold_up_their_environment() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        let loaded = crate::spec::load::load_one(&dir, "staging").expect("staging validates");
        let desired = crate::spec::desired::build(&loaded.spec);
        let plan = crate::plan::diff(&desired, &LiveState::default(), &RecordedState::default())
            .expect("plans");
        let tasks = tasks(&plan);
        let index = |stack, kind, step| {
            tasks
                .iter()
                .position(|t| t.address == Address::single(stack, kind) && t.step == step)
                .expect("a task")
        };
        let backend = index(Stack::Backend, Kind::BeanstalkEnv, Step::Create);
        let settle = index(Stack::Backend, Kind::BeanstalkEnv, Step::Update);
        let rds = index(Stack::Backend, Kind::DbInstance, Step::Create);
        let console = index(Stack::Console, Kind::BeanstalkEnv, Step::Create);
        let console_settle = index(Stack::Console, Kind::BeanstalkEnv, Step::Update);
        let stage = index(Stack::Backend, Kind::ApiStage, Step::Create);
        assert!(
            !tasks[backend].deps.contains(&rds),
            "created beside the database"
        );
        assert!(
            tasks[settle]
                .deps
                .is_superset(&BTreeSet::from([backend, rds]))
        );
        assert!(!tasks[console].deps.contains(&stage));
        assert!(
            tasks[console_settle]
                .deps
                .is_superset(&BTreeSet::from([console, stage]))
        );
        let fields: Vec<String> = tasks[settle]
            .change
            .fields
            .iter()
            .map(|f| f.field.to_string())
            .collect();
        assert_eq!(
            fields,
            [
                "settings.aws:elasticbeanstalk:application:environment.DB_HOST",
                "settings.aws:elasticbeanstalk:application:environment.DB_NAME",
                "settings.aws:elasticbeanstalk:application:environment.DB_PORT",
                "settings.aws:elasticbeanstalk:application:environmentsecrets.DB_PASSWORD",
                "settings.aws:elasticbeanstalk:application:environmentsecrets.DB_USER",
            ]
        );
        assert!(
            crate::plan::references::unresolved(tasks[backend].change.after.as_ref().unwrap())
                .is_empty()
        );
        // What depends on the environment waits for its create only.
        let integration = index(Stack::Backend, Kind::ApiIntegration, Step::Create);
        assert!(tasks[integration].deps.contains(&backend));
        assert!(!tasks[integration].deps.contains(&settle));
    }
}
