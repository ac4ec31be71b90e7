//! Crash safety and concurrency of the full environment against LocalStack (issue 6, items 5 and
//! 7): runs killed at many points of an apply and of a destroy (the abort hook and real signals),
//! Ctrl-C, two runs on one environment, an apply and a drift together, staging and production at
//! once, a dead run's lock, and (issue 10) 200 drifts beside applies and destroys. Each test runs in its own LocalStack account; the scenarios of a
//! test run concurrently, each in its own account, so the file stays fast on few test threads.

use crate::support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Account, assert_ok, census, text};
use provision::model::TAG_ENV;

/// Resources of a full staging environment: the shared network (15), the REST API and its key,
/// the backend's subnet group, database, Beanstalk app and environment, integration, stage and
/// usage plan, the console's Beanstalk app and environment, the IAM roles and profiles, and the
/// monitoring (alarm topic, e-mail subscription, ten alarms, dashboard, budget).
const STAGING: usize = 48;
/// Steps of a full staging apply from nothing: one per resource, and a settings update of each
/// Beanstalk environment once what its references read exists (`apply::references::split`).
const STAGING_STEPS: usize = STAGING + 2;

fn apply(env: &str) -> Vec<&str> {
    vec!["apply", "--env", env, "--auto-approve"]
}

fn destroy(env: &str) -> Vec<&str> {
    vec!["destroy", "--env", env, "--auto-approve"]
}

/// Runs a command without blocking the async runtime.
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run provision"))
        .await
        .unwrap()
}

/// `provision args` as `acct` in `d`; the command is built at once, so the future borrows nothing.
fn provision(acct: &Account, d: &Path, args: &[&str]) -> impl Future<Output = Output> + use<> {
    run(acct.command(d, args))
}

// ---------------------------------------------------------------------------------------------
// What AWS and the state hold
// ---------------------------------------------------------------------------------------------

/// Address -> physical id, as `provision state show --format json` has it for every stack.
async fn state_ids(acct: &Account, d: &Path, env: &str) -> BTreeMap<String, String> {
    let args = ["state", "show", "--env", env, "--format", "json"];
    support::output::state_ids(&provision(acct, d, &args).await)
}

/// The kind part of an address: `shared.subnet.public-a` -> `subnet`.
fn kind_of(address: &str) -> &str {
    address.split('.').nth(1).unwrap()
}

/// After a completed run: no duplicates, nothing orphaned, state equal to AWS, nothing to do and
/// no drift. Returns the state's ids.
async fn assert_converged(
    acct: &Account,
    d: &Path,
    env: &str,
    what: &str,
) -> BTreeMap<String, String> {
    let aws = acct.aws().await;
    let state = state_ids(acct, d, env).await;
    let live = support::live_ids(&aws, env).await;
    // Orphans nothing: everything found by tags (the dashboard by its marker) is in state, and
    // everything in state is found.
    assert_eq!(state, live, "{what}: state and AWS disagree");
    if env == "staging" {
        assert_eq!(state.len(), STAGING, "{what}: {:#?}", state.keys());
    }
    // No duplicates: per type, exactly as many tagged resources as state has addresses.
    let counted = census::by_kind(&aws, env).await;
    for (kind, n) in &counted {
        let expected = state.keys().filter(|a| kind_of(a) == *kind).count();
        assert_eq!(
            *n, expected,
            "{what}: {n} {kind} tagged for {env} in the account, {expected} in state"
        );
    }
    // The state matches AWS: nothing to do, nothing drifted.
    let plan = provision(acct, d, &["plan", "--env", env]).await;
    assert_eq!(plan.status.code(), Some(0), "{what}: plan\n{}", text(&plan));
    assert!(
        text(&plan).contains("No changes"),
        "{what}: {}",
        text(&plan)
    );
    let drift = provision(acct, d, &["drift", "--env", env]).await;
    assert_eq!(
        drift.status.code(),
        Some(0),
        "{what}: drift\n{}",
        text(&drift)
    );
    state
}

/// After a completed destroy: nothing tagged for the env remains, and state is empty.
async fn assert_gone(acct: &Account, d: &Path, env: &str, what: &str) {
    let aws = acct.aws().await;
    let counted = census::by_kind(&aws, env).await;
    assert!(
        counted.values().all(|&n| n == 0),
        "{what}: left behind {counted:?}"
    );
    assert!(
        support::live_ids(&aws, env).await.is_empty(),
        "{what}: a read still finds resources"
    );
    assert!(state_ids(acct, d, env).await.is_empty(), "{what}: state");
}

/// The dead run's lock is still there: the next run stops at once naming it; `state unlock`
/// needs --force for a lock this fresh, and then breaks it.
async fn break_dead_lock(acct: &Account, d: &Path, args: &[&str], dead_pid: u32, what: &str) {
    let started = Instant::now();
    let blocked = provision(acct, d, args).await;
    assert_eq!(blocked.status.code(), Some(1), "{what}: {}", text(&blocked));
    let t = text(&blocked);
    assert!(
        t.contains("locked") && t.contains(&format!("pid {dead_pid}")),
        "{what}: the next run must name the dead run's lock:\n{t}"
    );
    // A hang guard, not a measure: waiting would mean the lock's lease, 15 minutes.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{what}: a held lock must fail at once, not wait"
    );
    let env = args[2];
    let refused = provision(acct, d, &["state", "unlock", "--env", env]).await;
    assert!(
        !refused.status.success() && text(&refused).contains("--force"),
        "{what}: a fresh lock needs --force:\n{}",
        text(&refused)
    );
    let unlocked = provision(acct, d, &["state", "unlock", "--env", env, "--force"]).await;
    assert_ok(&unlocked);
    assert!(
        text(&unlocked).contains(&format!("(pid {dead_pid})")),
        "{what}: {}",
        text(&unlocked)
    );
}

/// Waits until run `pid` holds the console stack's lock, the last it takes (`state unlock`
/// without --force only reads a lock this fresh, and names its holder).
async fn wait_for_lock(acct: &Account, d: &Path, pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = provision(
            acct,
            d,
            &["state", "unlock", "--env", "staging", "--stack", "console"],
        )
        .await;
        if text(&out).contains(&format!("pid {pid}")) {
            return;
        }
        assert!(Instant::now() < deadline, "no lock: {}", text(&out));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Children watched line by line, and signals
// ---------------------------------------------------------------------------------------------

/// A running provision whose stderr is read as it comes, so a test can act at a given line.
struct Watched {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    seen: Mutex<mpsc::Receiver<String>>,
    reader: std::thread::JoinHandle<()>,
    stdout: std::thread::JoinHandle<Vec<u8>>,
}

impl Watched {
    fn spawn(mut cmd: Command) -> Watched {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn provision");
        let stderr = child.stderr.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, seen) = mpsc::channel();
        let sink = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let stdout = std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = stdout.read_to_end(&mut out);
            out
        });
        Watched {
            child,
            lines,
            seen: Mutex::new(seen),
            reader,
            stdout,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the run is still going.
    fn running(&mut self) -> bool {
        self.child.try_wait().expect("the run's status").is_none()
    }

    /// Blocks until a stderr line contains `needle`; panics on timeout or if the run ends first.
    fn wait_for(&self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.seen.lock().unwrap().recv_timeout(left) {
                Ok(line) if line.contains(needle) => return,
                Ok(_) => {}
                Err(_) => panic!(
                    "no line with {needle:?} within {timeout:?}:\n{}",
                    self.lines.lock().unwrap().join("\n")
                ),
            }
        }
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {sig} {}", self.pid());
    }

    /// Waits for the end: exit status and everything it printed (stdout then stderr).
    fn finish(mut self) -> (ExitStatus, String) {
        let status = self.child.wait().unwrap();
        self.reader.join().unwrap();
        let out = String::from_utf8_lossy(&self.stdout.join().unwrap()).into_owned();
        let err = self.lines.lock().unwrap().join("\n");
        (status, format!("{out}{err}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Crash safety
// ---------------------------------------------------------------------------------------------

/// An apply of full staging aborted (like SIGKILL) right after the n-th mutating call; the next
/// run, once the dead lock is broken, finishes it.
async fn killed_apply(n: u64) {
    let what = format!("apply aborted after {n} mutating calls");
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let mut cmd = acct.command(d, &apply("staging"));
    cmd.env("PROVISION_TEST_ABORT_AFTER_MUTATIONS", n.to_string());
    let watched = Watched::spawn(cmd);
    let pid = watched.pid();
    let (status, out) = tokio::task::spawn_blocking(move || watched.finish())
        .await
        .unwrap();
    assert_eq!(
        status.signal(),
        Some(6),
        "{what}: the hook should have aborted the run:\n{out}"
    );
    assert!(!out.contains("Apply complete"), "{what}: {out}");

    break_dead_lock(&acct, d, &apply("staging"), pid, &what).await;
    let next = provision(&acct, d, &apply("staging")).await;
    assert_ok(&next);
    assert!(text(&next).contains("Apply complete"), "{}", text(&next));
    assert_converged(&acct, d, "staging", &what).await;
}

/// The points: right after the locks (the first resources in flight), early in the network,
/// mid-network, the network's last pieces and the first backend/console resources, the
/// backend and the API, and the state writes at the very end. A full staging apply makes 85
/// mutating calls, state and lock writes included.
#[tokio::test(flavor = "multi_thread")]
async fn applies_killed_at_many_points_are_finished_by_the_next_run() {
    let mut runs = tokio::task::JoinSet::new();
    for n in [6, 14, 28, 42, 56, 66, 73] {
        runs.spawn(killed_apply(n));
    }
    while let Some(r) = runs.join_next().await {
        r.unwrap();
    }
}

/// A destroy of full staging aborted after the n-th mutating call; the next destroy finishes it.
async fn killed_destroy(n: u64) {
    let what = format!("destroy aborted after {n} mutating calls");
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&provision(&acct, d, &apply("staging")).await);
    let mut cmd = acct.command(d, &destroy("staging"));
    cmd.env("PROVISION_TEST_ABORT_AFTER_MUTATIONS", n.to_string());
    let watched = Watched::spawn(cmd);
    let pid = watched.pid();
    let (status, out) = tokio::task::spawn_blocking(move || watched.finish())
        .await
        .unwrap();
    assert_eq!(status.signal(), Some(6), "{what}:\n{out}");

    break_dead_lock(&acct, d, &destroy("staging"), pid, &what).await;
    let next = provision(&acct, d, &destroy("staging")).await;
    assert_ok(&next);
    assert!(text(&next).contains("Destroy complete"), "{}", text(&next));
    assert_gone(&acct, d, "staging", &what).await;
}

/// Beanstalk environments first, then the database and the network's inside, then the VPC's
/// last pieces. A full staging destroy makes 73 mutating calls.
#[tokio::test(flavor = "multi_thread")]
async fn destroys_killed_at_many_points_are_finished_by_the_next_destroy() {
    let mut runs = tokio::task::JoinSet::new();
    for n in [5, 20, 35, 50, 64] {
        runs.spawn(killed_destroy(n));
    }
    while let Some(r) = runs.join_next().await {
        r.unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Real signals during long waits (the emulator's Beanstalk slowed down for a few seconds)
// ---------------------------------------------------------------------------------------------

const BEANSTALK_DELAY: u32 = 3;

/// SIGKILL from outside while the Beanstalk environments are launching.
async fn sigkill_during_apply() {
    let what = "apply killed with SIGKILL while Beanstalk launches";
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let watched = Watched::spawn(acct.command(d, &apply("staging")));
    let pid = watched.pid();
    let (status, out) = tokio::task::spawn_blocking(move || {
        watched.wait_for("backend.beanstalk: creating", Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(300));
        watched.signal("-KILL");
        watched.finish()
    })
    .await
    .unwrap();
    assert_eq!(status.signal(), Some(9), "{what}:\n{out}");
    assert!(!out.contains("Apply complete"), "{what}: {out}");

    break_dead_lock(&acct, d, &apply("staging"), pid, what).await;
    let next = provision(&acct, d, &apply("staging")).await;
    assert_ok(&next);
    assert_converged(&acct, d, "staging", what).await;
}

/// SIGKILL from outside while the Beanstalk environments terminate.
async fn sigkill_during_destroy() {
    let what = "destroy killed with SIGKILL while Beanstalk terminates";
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&provision(&acct, d, &apply("staging")).await);
    let watched = Watched::spawn(acct.command(d, &destroy("staging")));
    let pid = watched.pid();
    let (status, out) = tokio::task::spawn_blocking(move || {
        watched.wait_for("backend.beanstalk: destroying", Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(300));
        watched.signal("-KILL");
        watched.finish()
    })
    .await
    .unwrap();
    assert_eq!(status.signal(), Some(9), "{what}:\n{out}");

    break_dead_lock(&acct, d, &destroy("staging"), pid, what).await;
    let next = provision(&acct, d, &destroy("staging")).await;
    assert_ok(&next);
    assert_gone(&acct, d, "staging", what).await;
}

/// Ctrl-C while the Beanstalk environments launch: what is in flight finishes and is recorded,
/// nothing new starts, the lock is released, the run exits 1 naming what it skipped.
async fn ctrl_c_during_apply() {
    let what = "apply interrupted with SIGINT while Beanstalk launches";
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let watched = Watched::spawn(acct.command(d, &apply("staging")));
    let (status, out) = tokio::task::spawn_blocking(move || {
        watched.wait_for("backend.beanstalk: creating", Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(300));
        watched.signal("-INT");
        watched.finish()
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(1), "{what}:\n{out}");
    assert!(out.contains("interrupted"), "{what}:\n{out}");
    // In flight when interrupted: finished, and recorded.
    assert!(out.contains("backend.beanstalk: created"), "{what}:\n{out}");
    // Waiting on it: not started, and named as interrupted in the summary.
    assert!(
        out.contains("apply did not complete")
            && out.contains("skipped backend.api_integration (Create): interrupted"),
        "{what}:\n{out}"
    );
    let state = state_ids(&acct, d, "staging").await;
    assert!(
        state.contains_key("backend.beanstalk"),
        "{what}: {state:#?}"
    );
    assert!(!state.contains_key("backend.api_integration"), "{state:#?}");
    // The lock was released: the next apply runs straight away, and finishes the job.
    let next = provision(&acct, d, &apply("staging")).await;
    assert_ok(&next);
    assert!(text(&next).contains("Apply complete"), "{}", text(&next));
    assert_converged(&acct, d, "staging", what).await;
}

/// Drift run again and again while an apply is under way (Beanstalk launching) reports nothing
/// false: no lock needed, no mutating call, and only `spec ahead`/`pending` findings.
async fn drift_during_slow_apply() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let applying = Watched::spawn(acct.command(d, &apply("staging")));
    let (drifts, in_flight) = drift_until_done(&acct, d, "staging", &applying).await;
    let (status, out) = tokio::task::spawn_blocking(move || applying.finish())
        .await
        .unwrap();
    assert!(status.success(), "{out}");
    assert!(drifts >= 3, "only {drifts} drift runs overlapped the apply");
    // Some saw the Beanstalk environments launching, not yet recorded: pending, not unmanaged.
    assert!(
        in_flight > 0,
        "no drift run saw the apply's work in progress"
    );
    assert_converged(&acct, d, "staging", "apply with drift alongside").await;
}

/// Runs `drift --format json` back to back until `other` exits; asserts each one. Returns how
/// many ran, and how many findings were put down to the run holding the lock.
async fn drift_until_done(acct: &Account, d: &Path, env: &str, other: &Watched) -> (usize, usize) {
    let (mut runs, mut in_flight) = (0, 0);
    loop {
        let done = other.lines.lock().unwrap().iter().any(|l| {
            l.contains("Apply complete") || l.contains("did not complete") || l.contains("error")
        });
        if done {
            return (runs, in_flight);
        }
        let out = provision(
            acct,
            d,
            &["drift", "--env", env, "--format", "json", "--stats"],
        )
        .await;
        runs += 1;
        assert_drift_quiet(&out, env);
        in_flight += String::from_utf8_lossy(&out.stdout)
            .matches("holds this stack's lock")
            .count();
    }
}

/// A drift run that took no lock, changed nothing and found no false drift.
#[track_caller]
fn assert_drift_quiet(out: &Output, env: &str) {
    let t = text(out);
    assert_eq!(out.status.code(), Some(0), "drift of {env}:\n{t}");
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("drift JSON: {e}\n{t}"));
    for f in doc["findings"].as_array().unwrap() {
        let category = f["category"].as_str().unwrap();
        assert!(
            category == "spec_ahead" || category == "pending",
            "false drift while an apply runs: {f}\n{t}"
        );
    }
    for (service, ops) in doc["aws_calls"].as_object().unwrap() {
        for op in ops.as_object().unwrap().keys() {
            assert!(
                provision::aws::stats::is_read_only(op),
                "drift called {service} {op}"
            );
        }
    }
}

/// All the tests that need the slow Beanstalk share one short window, so other engineers' tests
/// are slowed for a few seconds only: SIGKILL during apply and during destroy, Ctrl-C during
/// apply, drift alongside an apply.
#[tokio::test(flavor = "multi_thread")]
async fn real_signals_and_drift_while_beanstalk_waits() {
    let slow = support::SlowBeanstalk::new(BEANSTALK_DELAY);
    let (a, b, c, e) = tokio::join!(
        tokio::spawn(sigkill_during_apply()),
        tokio::spawn(sigkill_during_destroy()),
        tokio::spawn(ctrl_c_during_apply()),
        tokio::spawn(drift_during_slow_apply()),
    );
    drop(slow);
    a.unwrap();
    b.unwrap();
    c.unwrap();
    e.unwrap();
}

/// Ctrl-C before the first change (here while the test hook holds the locks): nothing starts,
/// every change is named as interrupted, the locks are released, exit 1.
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_while_holding_the_lock_releases_it() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let mut cmd = acct.command(d, &apply("staging"));
    cmd.env("PROVISION_TEST_HOLD_LOCK_MS", "2500");
    let watched = Watched::spawn(cmd);
    wait_for_lock(&acct, d, watched.pid()).await;
    let (status, out) = tokio::task::spawn_blocking(move || {
        watched.signal("-INT");
        watched.finish()
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "apply did not complete: 0 steps done, 0 failed, {STAGING_STEPS} skipped"
        )),
        "{out}"
    );
    assert!(
        out.contains("skipped shared.vpc (Create): interrupted"),
        "{out}"
    );
    let aws = acct.aws().await;
    assert!(
        census::by_kind(&aws, "staging")
            .await
            .values()
            .all(|&n| n == 0)
    );
    // Released: the next run does not need `state unlock`.
    assert_ok(&provision(&acct, d, &apply("staging")).await);
    assert_converged(&acct, d, "staging", "apply after Ctrl-C under the lock").await;
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

/// Two applies of the full environment: the second fails at once naming the holder; drift runs
/// alongside the whole time, and neither needs nor trips over the lock.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_apply_of_the_environment_fails_at_once_and_drift_still_works() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let mut cmd = acct.command(d, &apply("staging"));
    cmd.env("PROVISION_TEST_HOLD_LOCK_MS", "2500");
    let mut first = Watched::spawn(cmd);
    wait_for_lock(&acct, d, first.pid()).await;

    let second = provision(&acct, d, &apply("staging")).await;
    // It failed rather than waited: the first still runs, holding its lock (no wall-clock bound,
    // which a loaded machine breaks).
    assert!(
        first.running(),
        "the second run must fail while the first holds its lock, not wait for it"
    );
    assert_eq!(second.status.code(), Some(1), "{}", text(&second));
    let t = text(&second);
    assert!(
        t.contains("locked") && t.contains(&format!("pid {}", first.pid())),
        "{t}"
    );
    // Nothing of the second run's was changed.
    assert!(!t.contains("creating"), "{t}");

    let (drifts, _) = drift_until_done(&acct, d, "staging", &first).await;
    assert!(drifts >= 1);
    let (status, out) = tokio::task::spawn_blocking(move || first.finish())
        .await
        .unwrap();
    assert!(status.success(), "{out}");
    assert_converged(&acct, d, "staging", "the first of two applies").await;
    // And once converged, drift alongside a (no-op) apply is silent.
    let (drift, again) = tokio::join!(
        provision(
            &acct,
            d,
            &["drift", "--env", "staging", "--format", "json", "--stats"]
        ),
        provision(&acct, d, &apply("staging")),
    );
    assert_drift_quiet(&drift, "staging");
    assert_ok(&again);
}

/// Staging and production applied at the same moment in one account: both complete, each owns
/// exactly its own resources, and both plans are empty afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn staging_and_production_applied_together_do_not_interfere() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let (staging, production) = tokio::join!(
        provision(&acct, d, &apply("staging")),
        provision(&acct, d, &apply("production")),
    );
    assert_ok(&staging);
    assert_ok(&production);
    let s = assert_converged(&acct, d, "staging", "staging next to production").await;
    let p = assert_converged(&acct, d, "production", "production next to staging").await;
    // Only staging subscribes an e-mail address to its alarms.
    let architecture = |m: &BTreeMap<String, String>| -> Vec<String> {
        m.keys()
            .filter(|a| !a.starts_with("shared.alarm_subscription."))
            .cloned()
            .collect()
    };
    assert_eq!(architecture(&s), architecture(&p), "same architecture");
    let shared: Vec<_> = s
        .values()
        .filter(|id| p.values().any(|i| i == *id))
        .collect();
    assert!(shared.is_empty(), "ids in both environments: {shared:?}");
    // Each environment's resources carry only its own tags.
    let aws = acct.aws().await;
    for env in ["staging", "production"] {
        for (address, r) in aws.read(&support::owner(env)).await.unwrap().resources {
            // A subscription takes no tags: it is its topic's.
            if address.kind == provision::model::Kind::AlarmSubscription {
                continue;
            }
            assert_eq!(
                r.tags.get(TAG_ENV).map(String::as_str),
                Some(env),
                "{address}"
            );
        }
    }
    // And destroying them at once leaves each other alone too.
    let (ds, dp) = tokio::join!(
        provision(&acct, d, &destroy("staging")),
        provision(
            &acct,
            d,
            &[
                "destroy",
                "--env",
                "production",
                "--auto-approve",
                "--confirm",
                "production"
            ]
        ),
    );
    assert_ok(&ds);
    assert_ok(&dp);
    assert_gone(&acct, d, "staging", "staging destroyed next to production").await;
    assert_gone(
        &acct,
        d,
        "production",
        "production destroyed next to staging",
    )
    .await;
}

/// A lock left by a run killed with SIGKILL stays until `provision state unlock`: runs stop on
/// it, drift does not care, unlock without --force refuses a lock this fresh and leaves it.
#[tokio::test(flavor = "multi_thread")]
async fn a_dead_runs_lock_is_broken_only_by_state_unlock() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let mut cmd = acct.command(d, &apply("staging"));
    cmd.env("PROVISION_TEST_HOLD_LOCK_MS", "30000");
    let holder = Watched::spawn(cmd);
    let pid = holder.pid();
    wait_for_lock(&acct, d, pid).await;
    holder.signal("-KILL");
    let (status, _) = tokio::task::spawn_blocking(move || holder.finish())
        .await
        .unwrap();
    assert_eq!(status.signal(), Some(9));

    for _ in 0..2 {
        let blocked = provision(&acct, d, &apply("staging")).await;
        assert_eq!(blocked.status.code(), Some(1), "{}", text(&blocked));
        assert!(
            text(&blocked).contains(&format!("pid {pid}")),
            "{}",
            text(&blocked)
        );
        // Drift takes no lock: it works (spec ahead of an empty environment is not drift).
        let drift = provision(&acct, d, &["drift", "--env", "staging"]).await;
        assert_eq!(drift.status.code(), Some(0), "{}", text(&drift));
        // Without --force, a fresh lock is refused and stays.
        let refused = provision(&acct, d, &["state", "unlock", "--env", "staging"]).await;
        assert!(!refused.status.success(), "{}", text(&refused));
        assert!(text(&refused).contains("--force"), "{}", text(&refused));
    }
    let unlocked = provision(
        &acct,
        d,
        &["state", "unlock", "--env", "staging", "--force"],
    )
    .await;
    assert_ok(&unlocked);
    assert!(
        text(&unlocked).contains(&format!("(pid {pid})")),
        "{}",
        text(&unlocked)
    );
    // Nothing left to break.
    let again = provision(
        &acct,
        d,
        &["state", "unlock", "--env", "staging", "--force"],
    )
    .await;
    assert_ok(&again);
    assert!(!text(&again).contains("broke"), "{}", text(&again));
    assert_ok(&provision(&acct, d, &apply("staging")).await);
    assert_converged(&acct, d, "staging", "apply after a dead run's lock").await;
}

/// What a loop of drifts saw.
#[derive(Default)]
struct Tally {
    /// Wall time of each drift.
    times: Vec<Duration>,
    /// Output of each drift that exited 2 (false drift) or 1 (failed).
    false_drift: Vec<String>,
    failed: Vec<String>,
    /// Drifts that found a run holding a lock, that read again after a run ended during the
    /// first read, and that still saw a run end during the second.
    held: usize,
    again: usize,
    ended: usize,
}

/// `n` drifts of `env` back to back, or fewer if `stop` is set.
async fn drift_loop(
    acct: Account,
    d: std::path::PathBuf,
    n: usize,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut t = Tally::default();
    for _ in 0..n {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let started = Instant::now();
        let out = provision(
            &acct,
            &d,
            &["drift", "--env", "staging", "--format", "json"],
        )
        .await;
        t.times.push(started.elapsed());
        match out.status.code() {
            Some(0) => {}
            Some(2) => t.false_drift.push(text(&out)),
            _ => t.failed.push(text(&out)),
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        t.held += usize::from(stdout.contains("s lock since"));
        t.ended += usize::from(stdout.contains("while drift read it"));
        // One listing per read: more means a run ended during the first and drift read again.
        let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_default();
        let listings = doc["aws_calls"]["S3"]["ListObjectsV2"]["calls"].as_u64();
        t.again += usize::from(listings > Some(1));
    }
    t
}

/// Drift must not lie while another run changes the environment (issue 10): 200 drifts, two
/// at a time, while applies and destroys of full staging take turns in the background. No
/// drift may fail (exit 1: a resource vanishing mid-read is gone, not an error), and none may
/// report a finding that is drift (exit 2): what a run explains is `pending`, naming the run.
#[tokio::test(flavor = "multi_thread")]
async fn drift_never_lies_while_applies_and_destroys_run() {
    const DRIFTS: usize = 200;
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path().to_owned();
    let started = Instant::now();
    let (stop_runs, stop_drifts) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let cycles = {
        let (acct, d, stop, halt) = (
            acct.clone(),
            d.clone(),
            stop_runs.clone(),
            stop_drifts.clone(),
        );
        tokio::spawn(async move {
            let mut runs = 0;
            while !stop.load(Ordering::SeqCst) {
                for args in [apply("staging"), destroy("staging")] {
                    let out = provision(&acct, &d, &args).await;
                    if !out.status.success() {
                        halt.store(true, Ordering::SeqCst);
                    }
                    assert_ok(&out);
                    runs += 1;
                }
            }
            runs
        })
    };
    let loops: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn(drift_loop(
                acct.clone(),
                d.clone(),
                DRIFTS / 2,
                stop_drifts.clone(),
            ))
        })
        .collect();
    let mut all = Tally::default();
    for l in loops {
        let t = l.await.unwrap();
        all.times.extend(t.times);
        all.false_drift.extend(t.false_drift);
        all.failed.extend(t.failed);
        (all.held, all.again, all.ended) =
            (all.held + t.held, all.again + t.again, all.ended + t.ended);
    }
    stop_runs.store(true, Ordering::SeqCst);
    let runs = cycles.await.unwrap();
    all.times.sort();
    eprintln!(
        "{} drifts alongside {runs} applies and destroys in {:?} (drift median {:?}, max {:?}): \
         {} saw a run holding a lock, {} read again after a run ended, {} saw another end \
         then; {} false, {} failed",
        all.times.len(),
        started.elapsed(),
        all.times[all.times.len() / 2],
        all.times[all.times.len() - 1],
        all.held,
        all.again,
        all.ended,
        all.false_drift.len(),
        all.failed.len()
    );
    assert!(
        all.failed.is_empty(),
        "{} drifts failed:\n{}",
        all.failed.len(),
        all.failed.join("\n---\n")
    );
    assert!(
        all.false_drift.is_empty(),
        "{} drifts reported false drift:\n{}",
        all.false_drift.len(),
        all.false_drift.join("\n---\n")
    );
    assert_eq!(all.times.len(), DRIFTS);
    assert!(runs >= 4, "only {runs} runs overlapped the drifts");
    assert!(all.held > 0, "no drift saw a run in flight");
}
