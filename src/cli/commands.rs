//! The commands that talk to AWS: plan, apply, destroy, drift, outputs, state. Each validates
//! the spec first, so bad input fails before any AWS call, and shows its result as a value from
//! `views` through the session's `Printer`.

pub mod graph;
pub mod pause;
pub mod promotion;
mod refresh;
mod saved;
mod target;

pub use refresh::refresh;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use super::output::Printer;
use super::views::{ApplyView, DriftView, History, PlanView, Snapshots, Unlocked};
use super::{
    ApplyArgs, CliError, DestroyArgs, Format, Global, Outcome, PlanArgs, PlatformArgs, RunArgs,
    StateBackend, StateCommand, load,
};
use crate::apply::{self, Outcome as TaskOutcome, Progress};
use crate::aws::s3::S3Objects;
use crate::aws::{Aws, Claims, ConnectOptions};
use crate::model::{Address, DesiredState, LiveState, RecordedState, Ref, Stack};
use crate::plan::target::Direction;
use crate::plan::{Action, Plan, checks, diff, names, platforms, references};
use crate::spec::{self, desired::hex};
use crate::state::{self, LocalStore, Store, Stored};

// Issue 12's import and state rm, in modules of their own (they use the session below).
#[path = "import.rs"]
pub mod import;
#[path = "import_tf.rs"]
mod import_tf;
#[path = "state_rm.rs"]
pub mod state_rm;

/// One command's view of an environment: the spec, the scope, and the connections.
struct Session {
    out: Printer,
    project: String,
    env: String,
    region: String,
    spec_hash: String,
    stacks: Vec<Stack>,
    desired: DesiredState,
    aws: Aws,
    backend: StateBackend,
    bucket: String,
    bucket_region: String,
    /// `--confirm ENV` was given with this environment's name.
    confirmed: bool,
    /// Production, or an environment whose spec protects its database.
    protected: bool,
    /// Where spec fields were written (`file:line`), by field path, for messages.
    origins: BTreeMap<String, String>,
    /// The spec declares an HTTPS listener for the console (outputs print `https://`).
    frontend_https: bool,
    /// The platform branch of each Beanstalk environment that names one (not a pinned stack).
    branches: platforms::Branches,
    /// `--upgrade-platform`: environments move to their branch's newest version.
    upgrade_platform: bool,
    /// Plan the paused form (`Some(true)`), the running one (`Some(false)`), or as the pause
    /// record says (`None`: every command but `pause` and `resume`).
    paused: Option<bool>,
    /// What the paused form does with the NAT's Elastic IPs, when `pause` decides it (else
    /// the pause record says).
    elastic_ips: Option<crate::pause::ElasticIps>,
    /// Stacks whose locks the command took itself (`pause`, `resume`): `execute` takes the rest.
    held: BTreeSet<Stack>,
    /// The base and environment files: name and text of each (`commands/promotion.rs`).
    spec_files: (String, String, String, String),
    /// Record the spec files applied in the snapshots written (a whole, untargeted apply).
    record_applied: bool,
}

impl Session {
    async fn open(g: &Global, run: &RunArgs) -> Result<Session, CliError> {
        let loaded = load(g, &run.env)?;
        let stacks = run.stack.map_or_else(|| Stack::ALL.to_vec(), |s| vec![s]);
        let mut desired = spec::desired::build(&loaded.spec);
        let frontend_https = crate::aws::outputs::frontend_https(&desired);
        desired.resources.retain(|a, _| stacks.contains(&a.stack));
        let branches = spec::platform_branches(&loaded.spec)
            .into_iter()
            .filter(|(a, _)| stacks.contains(&a.stack))
            .collect();
        let mut hasher = Sha256::new();
        for f in &loaded.files {
            hasher.update(f.text.as_bytes());
        }
        let spec_hash = hex(&hasher.finalize()[..16]);
        let name = |i: usize| {
            let f = &loaded.files[i];
            let name = f.path.file_name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), f.text.clone())
        };
        let ((base, base_text), (env_file, env_text)) = (name(0), name(1));
        if let Some(profile) = &g.profile {
            crate::aws::profile::check(profile).await?;
        }
        tracing::debug!(env = %run.env, region = %loaded.spec.region, stacks = ?stacks, state = ?run.state, "spec loaded");
        let aws = Aws::connect(&ConnectOptions {
            endpoint_url: g.endpoint_url.clone(),
            profile: g.profile.clone(),
            region: loaded.spec.region.clone(),
            credentials: None,
        })
        .await;
        Ok(Session {
            out: g.out(),
            project: loaded.spec.project.clone(),
            env: run.env.clone(),
            region: loaded.spec.region.clone(),
            spec_hash,
            stacks,
            desired,
            aws,
            backend: run.state,
            bucket: loaded.spec.state.bucket.clone(),
            bucket_region: loaded.spec.state.region.clone(),
            confirmed: false,
            protected: checks::confirm::protected_env(
                &run.env,
                loaded.spec.database.deletion_protection,
            ),
            origins: loaded
                .spec
                .origins
                .iter()
                .map(|(field, o)| {
                    (
                        field.clone(),
                        format!("{}:{}", o.path().display(), o.line()),
                    )
                })
                .collect(),
            frontend_https,
            branches,
            upgrade_platform: false,
            paused: None,
            elastic_ips: None,
            held: BTreeSet::new(),
            spec_files: (base, base_text, env_file, env_text),
            record_applied: false,
        })
    }

    fn store(&self) -> Store {
        match self.backend {
            StateBackend::S3 => Store::S3(S3Objects::new(
                self.aws.s3.clone(),
                &self.bucket,
                &self.bucket_region,
            )),
            StateBackend::Local => Store::Local(LocalStore {
                root: PathBuf::from("state"),
            }),
        }
    }

    /// A lock's error, its `state unlock` command as it must be typed for this state store.
    fn lock_error(&self, e: state::StateError) -> CliError {
        match (self.backend, &e) {
            (
                StateBackend::Local,
                state::StateError::Locked { .. } | state::StateError::LockFresh { .. },
            ) => CliError::Refused(e.to_string().replace(
                &format!("unlock --env {} ", self.env),
                &format!("unlock --env {} --state local ", self.env),
            )),
            _ => e.into(),
        }
    }

    fn owner(&self) -> crate::model::Owner {
        crate::model::Owner {
            project: self.project.clone(),
            env: self.env.clone(),
        }
    }

    fn in_scope(&self, a: &Address) -> bool {
        self.stacks.contains(&a.stack)
    }

    /// The last snapshots, then live AWS: the read needs the recorded ids, since a recorded id
    /// that still exists is that resource even when its tags were lost.
    async fn observe(&self) -> Result<Observed, CliError> {
        let store = self.store();
        let stored = state::read_all(&store, &self.env, &self.stacks).await?;
        let claims = self.claims(&stored);
        // The pause record beside the read of AWS: one more S3 read, no more time.
        let (full_live, pause) = tokio::join!(
            self.aws.read_claimed(&claims),
            crate::pause::record::read(&store, &self.env)
        );
        let mut observed = self.scoped(full_live?, stored, claims);
        // Both Beanstalk reads at once: the plan's platform check costs no more time.
        let (stacks, lifecycles) = tokio::join!(
            self.solution_stacks(&observed.live, true),
            self.lifecycles()
        );
        observed.solution_stacks = stacks?;
        observed.lifecycles = lifecycles?;
        observed.pause = pause?.map(|r| r.0);
        Ok(observed)
    }

    /// What AWS says of the branches the environments are to run (one `ListPlatformBranches`),
    /// and when one is retired, its platform's supported branches (one more).
    async fn lifecycles(&self) -> Result<platforms::Lifecycles, CliError> {
        let names = platforms::names(&platforms::targeted(&self.desired, &self.branches));
        if names.is_empty() {
            return Ok(platforms::Lifecycles::default());
        }
        let mut found = platforms::Lifecycles {
            branches: self.aws.platform_branches(&names).await?,
            supported: Vec::new(),
        };
        let retired = found.retired_platforms();
        if !retired.is_empty() {
            found.supported = self.aws.supported_branches(&retired).await?;
        }
        Ok(found)
    }

    /// What Elastic Beanstalk launches now, when resolving the plan's platforms needs it.
    async fn solution_stacks(
        &self,
        live: &LiveState,
        notes: bool,
    ) -> Result<Vec<String>, CliError> {
        if !platforms::needs_list(&self.desired, &self.branches, live, notes) {
            return Ok(Vec::new());
        }
        Ok(self.aws.solution_stacks().await?)
    }

    /// The desired state with its platforms resolved against what runs and what AWS lists.
    fn resolved(
        &self,
        observed: &Observed,
    ) -> Result<(DesiredState, platforms::Resolved), CliError> {
        let mut desired = self.desired.clone();
        let with_origins = |mut e: platforms::Unavailable| {
            e.origins = self.origins.clone();
            CliError::Platforms(e)
        };
        // A retired branch first: its versions are unlisted too, and this says where to go.
        let targets = platforms::targeted(&desired, &self.branches);
        let lifecycle = platforms::check_lifecycle(&targets, &self.branches, &observed.lifecycles)
            .map_err(with_origins)?;
        let mut resolved = platforms::resolve(
            &mut desired,
            &self.branches,
            &observed.live,
            &observed.solution_stacks,
            self.upgrade_platform,
        )
        .map_err(with_origins)?;
        resolved.notes.extend(lifecycle);
        if let Some(ips) = self.paused_form(observed) {
            desired = crate::pause::paused(&desired, ips).desired;
        }
        let known = references::known(&observed.full_live, &self.region);
        references::resolve(&mut desired, &known, &BTreeSet::new());
        Ok((desired, resolved))
    }

    /// Whether this command plans the environment's paused form (docs/operations.md).
    fn is_paused(&self, observed: &Observed) -> bool {
        self.paused.unwrap_or(observed.pause.is_some())
    }

    /// The paused form this command plans, if it plans one: what it does with the Elastic IPs
    /// is the pause's choice (`pause --release-ip`), as its record keeps it.
    fn paused_form(&self, observed: &Observed) -> Option<crate::pause::ElasticIps> {
        let recorded = observed.pause.as_ref().map(|r| r.elastic_ips);
        self.is_paused(observed)
            .then(|| self.elastic_ips.or(recorded).unwrap_or_default())
    }

    /// The plan from desired to live, its platforms resolved and noted. A reference to what
    /// the plan creates or replaces is known after apply: planned again without its value.
    fn diffed(&self, observed: &Observed) -> Result<Plan, CliError> {
        let (mut desired, resolved) = self.resolved(observed)?;
        let mut plan = diff(&desired, &observed.live, &observed.recorded)?;
        let remade = references::remade(&plan, &desired);
        if !remade.is_empty() {
            let known = references::known(&observed.full_live, &self.region);
            references::resolve(&mut desired, &known, &remade);
            plan = diff(&desired, &observed.live, &observed.recorded)?;
        }
        platforms::annotate(&mut plan, resolved);
        Ok(plan)
    }

    /// Drift's read: the snapshots, then live AWS, between two readings of every stack's lock
    /// and snapshot ETag. The snapshots are read before AWS, so whatever a run changes in AWS
    /// during the read is recorded after them: a run going at the end shows in its lock, one
    /// that ended meanwhile in a changed lock or snapshot. Then the read is made once more
    /// (what the run left is the truth to compare), and if a run moved things again, the
    /// stacks it touched come back as busy. Clean, it costs one listing per stack each time.
    async fn observe_settled(&self) -> Result<(Observed, BTreeMap<Stack, state::Busy>), CliError> {
        let store = self.store();
        let mut again = true;
        loop {
            // Both to the end, so that neither leaves reads running if the other fails.
            let (stored, before) = tokio::join!(
                state::read_all(&store, &self.env, &self.stacks),
                state::marks(&store, &self.env, &Stack::ALL)
            );
            let (stored, before) = (stored?, before?);
            let claims = self.claims(&stored);
            let live = self.aws.read_claimed(&claims).await?;
            let after = state::marks(&store, &self.env, &Stack::ALL).await?;
            let read = self
                .stacks
                .iter()
                .map(|s| (*s, stored.get(s).map(|st| st.etag.clone())))
                .collect();
            let busy = state::busy(&before, &after, &read);
            let ended = busy.values().any(|b| matches!(b, state::Busy::Moved(_)));
            if !(again && ended) {
                let mut observed = self.scoped(live, stored, claims);
                observed.solution_stacks = self.solution_stacks(&observed.live, false).await?;
                observed.pause = crate::pause::record::read(&store, &self.env)
                    .await?
                    .map(|r| r.0);
                return Ok((observed, busy));
            }
            again = false;
        }
    }

    /// One read pass and the snapshots, narrowed to the command's stacks.
    fn scoped(
        &self,
        full_live: LiveState,
        stored: BTreeMap<Stack, Stored>,
        claims: Claims,
    ) -> Observed {
        let mut live = full_live.clone();
        live.resources.retain(|a, _| self.in_scope(a));
        live.duplicates.retain(|d| self.in_scope(&d.address));
        // Untagged resources in the VPC belong to the network: the shared stack's concern.
        if !self.stacks.contains(&Stack::Shared) {
            live.unmanaged.clear();
        }
        let mut recorded = RecordedState::default();
        for s in stored.values() {
            for (a, r) in &s.snapshot.resources {
                if self.in_scope(a) {
                    recorded.resources.insert(a.clone(), r.clone());
                }
            }
        }
        Observed {
            claims,
            full_live,
            live,
            recorded,
            stored,
            solution_stacks: Vec::new(),
            lifecycles: platforms::Lifecycles::default(),
            pause: None,
        }
    }

    /// What is this environment's: its tags, or the ids its snapshots recorded.
    fn claims(&self, stored: &BTreeMap<Stack, Stored>) -> Claims {
        Claims::new(
            self.owner(),
            stored
                .values()
                .flat_map(|s| s.snapshot.resources.iter())
                .map(|(a, r)| (a, r.id.as_str())),
        )
    }

    /// Resources outside the scope that the scope refers to must exist already.
    fn check_dependencies(&self, observed: &Observed) -> Result<(), CliError> {
        let mut missing = BTreeSet::new();
        for r in self.desired.resources.values() {
            for dep in r.attrs.refs() {
                if let Ref::Managed(a) = dep
                    && !self.desired.resources.contains_key(a)
                    && !observed.full_live.resources.contains_key(a)
                {
                    missing.insert(a.clone());
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let stacks: BTreeSet<&str> = missing.iter().map(|a| a.stack.as_str()).collect();
        let list: Vec<String> = missing.iter().map(ToString::to_string).collect();
        Err(CliError::Refused(format!(
            "this needs {} which do not exist yet; apply --stack {} first",
            list.join(", "),
            stacks.into_iter().collect::<Vec<_>>().join(" and ")
        )))
    }

    /// Destroying a stack others still use would fail halfway (AWS refuses to delete what is
    /// referenced): refuse up front, naming what uses it.
    fn check_dependents(&self, observed: &Observed) -> Result<(), CliError> {
        let users: BTreeSet<Address> = observed
            .full_live
            .resources
            .iter()
            .filter(|(a, _)| !self.stacks.contains(&a.stack))
            .filter(|(_, r)| {
                r.attrs
                    .refs()
                    .into_iter()
                    .any(|d| matches!(d, Ref::Managed(t) if self.stacks.contains(&t.stack)))
            })
            .map(|(a, _)| a.clone())
            .collect();
        if users.is_empty() {
            return Ok(());
        }
        let stacks: BTreeSet<&str> = users.iter().map(|a| a.stack.as_str()).collect();
        let list: Vec<String> = users.iter().map(ToString::to_string).collect();
        Err(CliError::Refused(format!(
            "{} still use what this would destroy; destroy --stack {} first (nothing was deleted)",
            list.join(", "),
            stacks.into_iter().collect::<Vec<_>>().join(" and ")
        )))
    }

    /// The plan's checks (`plan::checks`), run on every plan before it is shown or applied;
    /// one about to be carried out (`executing`) is checked for the secrets it needs too.
    fn checked(&self, mut plan: Plan, executing: bool) -> Result<Plan, CliError> {
        let cx = checks::Context {
            env: &self.env,
            protected_env: self.protected,
            confirmed: self.confirmed,
            executing,
            now: time::OffsetDateTime::now_utc(),
        };
        checks::run(&mut plan, &cx)?;
        Ok(plan)
    }

    /// Names the plan would create that AWS already has under someone else: refused, all of
    /// them at once, before anything changes. Only creates are looked up. A holder is this
    /// environment's as the read pass would take it (its tags, or an id its state recorded).
    async fn check_names(&self, plan: &Plan, observed: &Observed) -> Result<(), CliError> {
        let ids = observed
            .full_live
            .resources
            .iter()
            .map(|(a, r)| (a.clone(), r.id.clone()))
            .collect();
        let claims = names::claims(plan, &ids);
        if claims.is_empty() {
            return self.check_offerings(plan).await;
        }
        let ours = |c: &names::Claim, id: &str, tags: &crate::model::Tags| {
            observed.claims.address(id, c.address.kind, tags).is_some()
        };
        let list = names::collisions(self.aws.holders(claims).await?, ours);
        if list.is_empty() {
            return self.check_offerings(plan).await;
        }
        Err(names::Collisions {
            owner: self.owner(),
            env: self.env.clone(),
            list,
            origins: self.origins.clone(),
        }
        .into())
    }

    /// The database a plan would create or change must be one RDS offers (version, class,
    /// storage): refused, every problem at once, before anything changes. Only a create,
    /// replacement or version/class/storage update is looked up (2 reads each).
    async fn check_offerings(&self, plan: &Plan) -> Result<(), CliError> {
        use crate::plan::offerings;
        let requests = offerings::requests(plan);
        if requests.is_empty() {
            return Ok(());
        }
        // Growth needs no read: refused before RDS is asked what it offers.
        let mut list: Vec<_> = requests.iter().filter_map(offerings::growth).collect();
        if list.is_empty() {
            let offered = self.aws.db_offered(&requests).await?;
            list = requests
                .iter()
                .zip(&offered)
                .flat_map(|(r, o)| offerings::problems(r, o))
                .collect();
        }
        if list.is_empty() {
            return Ok(());
        }
        Err(offerings::Unoffered {
            list,
            origins: self.origins.clone(),
        }
        .into())
    }

    fn print_stats(&self, run: &RunArgs) {
        if run.stats {
            self.out.note(&self.aws.stats.render());
        }
    }

    fn plan_view<'a>(&'a self, plan: &'a Plan) -> PlanView<'a> {
        PlanView {
            plan,
            region: &self.region,
            cost: None,
        }
    }

    /// The recorded id of every resource, from every stack's snapshot whatever the scope: the
    /// environment's URLs come from more than one stack.
    async fn recorded_ids(&self) -> Result<BTreeMap<Address, String>, CliError> {
        let stored = state::read_all(&self.store(), &self.env, &Stack::ALL).await?;
        Ok(stored
            .values()
            .flat_map(|st| {
                st.snapshot
                    .resources
                    .iter()
                    .map(|(a, r)| (a.clone(), r.id.clone()))
            })
            .collect())
    }
}

struct Observed {
    claims: Claims,
    full_live: LiveState,
    live: LiveState,
    recorded: RecordedState,
    stored: BTreeMap<Stack, Stored>,
    /// What Elastic Beanstalk launches now (read only when the platforms need it).
    solution_stacks: Vec<String>,
    /// The lifecycle of the branches the environments are to run (read by plans, not drift).
    lifecycles: platforms::Lifecycles,
    /// The environment's pause record, when it is paused (or being paused).
    pause: Option<crate::pause::PauseRecord>,
}

pub async fn plan(g: &Global, a: &PlanArgs) -> Result<Outcome, CliError> {
    let (run, targets) = (&a.run, &a.target.selection());
    let mut s = Session::open(g, run).await?;
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
        s.out.note(&pause::mode_note(&s.env, record));
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
    let s = Session::open(g, run).await?;
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
        s.out.note(&pause::mode_note(&s.env, record));
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
    let mut s = Session::open(g, &a.run).await?;
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
        let s = Session::open(g, &a.run).await?;
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

/// A check's refusal, as the command line reports it.
impl From<checks::Refusal> for CliError {
    fn from(r: checks::Refusal) -> CliError {
        match r {
            checks::Refusal::Plan(e) => CliError::Plan(e),
            other => CliError::Refused(other.to_string()),
        }
    }
}

pub async fn destroy(g: &Global, d: &DestroyArgs) -> Result<Outcome, CliError> {
    let env = &d.apply.run.env;
    let loaded = load(g, env)?;
    let protected = checks::confirm::protected_env(env, loaded.spec.database.deletion_protection);
    let confirmed = checks::confirm::given(env, d.apply.confirm.as_deref(), protected)?;
    let mut s = Session::open(g, &d.apply.run).await?;
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
    s: &Session,
    command: &str,
    make_plan: impl Fn(&Session, &Observed) -> Result<Plan, CliError>,
) -> Result<Outcome, CliError> {
    let observed = s.observe().await?;
    let first = s.checked(make_plan(s, &observed)?, true)?;
    // Before the state bucket, the locks or anything else is written.
    s.check_names(&first, &observed).await?;
    if !first.has_changes()
        && unrecorded(&first, &observed.recorded).is_empty()
        && !s.applied_stale(&observed)
    {
        s.out.show(&s.plan_view(&first));
        s.print_stats(&a.run);
        return Ok(Outcome::Done);
    }
    let store = s.store();
    store.ensure_ready().await?;
    // From before the first lock on, Ctrl-C must not kill the run and leave its locks behind.
    let interrupted = on_ctrl_c(s.out);
    let mut guards = Vec::new();
    let mut changing = touched(&first, &observed.recorded);
    if s.applied_stale(&observed) {
        // Their snapshots get this apply's spec files: written under their locks.
        changing.extend(observed.stored.keys().copied());
    }
    for &stack in changing.difference(&s.held) {
        match state::acquire(&store, stack, &s.env, command).await {
            Ok(guard) => guards.push(guard),
            Err(e) => {
                release(s.out, guards).await;
                return Err(s.lock_error(e));
            }
        }
    }
    // Test hook for the concurrency tests: hold the locks a while before working.
    if let Some(ms) = std::env::var("PROVISION_TEST_HOLD_LOCK_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let held: BTreeSet<Stack> = changing.union(&s.held).copied().collect();
    let result = locked(a, s, command, &make_plan, interrupted, &held).await;
    release(s.out, guards).await;
    s.print_stats(&a.run);
    result
}

/// The stacks a plan writes to: those with changes, and those where resources are adopted.
fn touched(plan: &Plan, recorded: &RecordedState) -> BTreeSet<Stack> {
    let adopt = unrecorded(plan, recorded);
    plan.changes
        .iter()
        .filter(|c| c.action != Action::NoOp || adopt.contains(&c.address))
        .map(|c| c.address.stack)
        .collect()
}

/// Resources that match the spec but are missing from state, recorded under another id (found
/// by their ownership tags after a run that died before recording them), or recorded with
/// other values (a run killed while AWS carried out its change): live = spec ≠ recorded.
fn unrecorded(plan: &Plan, recorded: &RecordedState) -> BTreeSet<Address> {
    plan.changes
        .iter()
        .filter(|c| c.action == Action::NoOp)
        .filter(|c| match recorded.resources.get(&c.address) {
            None => true,
            Some(r) => {
                Some(&r.id) != c.id.as_ref()
                    || Some(&r.attrs) != c.after.as_ref()
                    || Some(&r.tags) != c.tags.as_ref()
            }
        })
        .map(|c| c.address.clone())
        .collect()
}

async fn release(out: Printer, guards: Vec<state::LockGuard>) {
    for guard in guards {
        if let Err(e) = guard.release().await {
            out.warn(format_args!("could not release a lock: {e}"));
        }
    }
}

async fn locked(
    a: &ApplyArgs,
    s: &Session,
    command: &str,
    make_plan: &impl Fn(&Session, &Observed) -> Result<Plan, CliError>,
    interrupted: Arc<AtomicBool>,
    locked: &BTreeSet<Stack>,
) -> Result<Outcome, CliError> {
    let observed = s.observe().await?;
    let plan = replan(s, &observed, make_plan, locked).await?;
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
    adopt(s, &plan, &observed, &mut recorder).await?;
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

/// The plan again, under the locks, through the same checks as the first.
async fn replan(
    s: &Session,
    observed: &Observed,
    make_plan: &impl Fn(&Session, &Observed) -> Result<Plan, CliError>,
    locked: &BTreeSet<Stack>,
) -> Result<Plan, CliError> {
    let plan = s.checked(make_plan(s, observed)?, true)?;
    // Names may have been taken while this run waited for its locks.
    s.check_names(&plan, observed).await?;
    // Someone changed AWS or state between the first plan and the lock: the work now reaches a
    // stack this run does not hold. Start over rather than write to it unlocked.
    let unlocked: Vec<&str> = touched(&plan, &observed.recorded)
        .difference(locked)
        .map(|s| s.as_str())
        .collect();
    if !unlocked.is_empty() {
        return Err(CliError::Refused(format!(
            "AWS or state changed while this run waited for its locks: the plan now also changes {}; nothing was done, run it again",
            unlocked.join(", ")
        )));
    }
    Ok(plan)
}

/// Records what the plan found by its tags but state is missing, before anything changes.
async fn adopt(
    s: &Session,
    plan: &Plan,
    observed: &Observed,
    recorder: &mut state::Recorder,
) -> Result<(), CliError> {
    let adopt = unrecorded(plan, &observed.recorded);
    for c in plan.changes.iter().filter(|c| adopt.contains(&c.address)) {
        let (Some(id), Some(attrs)) = (&c.id, &c.after) else {
            continue;
        };
        let record = crate::model::RecordedResource {
            id: id.clone(),
            attrs: attrs.clone(),
            tags: c.tags.clone().unwrap_or_default(),
            depends_on: c.depends_on.clone(),
        };
        let note = match observed.recorded.resources.get(&c.address) {
            Some(r) if &r.id == id => format!(
                "{}: recorded {id} as AWS has it (it matches the spec; state had older values)\n",
                c.address
            ),
            _ => format!(
                "{}: adopted {id} (found by its tags, missing from state)\n",
                c.address
            ),
        };
        recorder.record(&c.address, record).await?;
        s.out.note(&note);
    }
    Ok(())
}

/// The executor on the plan, its progress on stderr.
async fn run_plan(
    a: &ApplyArgs,
    s: &Session,
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
            TaskOutcome::Failed { error } => {
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
    let s = Session::open(g, run).await?;
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
        StateCommand::Rm(a) => return state_rm::state_rm(g, a).await,
        StateCommand::List(r) | StateCommand::Show(r) | StateCommand::History(r) => r,
        StateCommand::Unlock { run, .. } => run,
    };
    let s = Session::open(g, run).await?;
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
        StateCommand::Rm(_) => unreachable!("handled above"),
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
