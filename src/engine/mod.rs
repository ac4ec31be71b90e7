//! The engine: what every command that talks to AWS does, apart from the command line. A
//! [`Session`] is one command's view of an environment (spec, scope, connections); it observes
//! (snapshots, then one read pass of AWS), resolves (platforms, references, the paused form),
//! diffs and checks the plan; [`adopt`] decides what state is missing, [`locks`] holds the
//! stacks' locks. The CLI parses arguments, calls this and prints: nothing here prints.

mod adopt;
mod advice;
mod error;
pub mod locks;
pub mod promotion;

pub use adopt::{adopt, replan, touched, unrecorded};
pub use error::{Busy, Error};
pub use locks::Locks;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::aws::s3::S3Objects;
use crate::aws::{Aws, Claims, ConnectOptions};
use crate::model::{Address, DesiredState, LiveState, RecordedState, Ref, Stack};
use crate::plan::{Plan, checks, diff, names, platforms, references};
use crate::spec::{self, desired::hex};
use crate::state::{self, LocalStore, Store, Stored};

/// Where snapshots live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StateBackend {
    /// The spec's S3 bucket (created, versioned, on first write).
    S3,
    /// The `state/` folder here: one machine only.
    Local,
}

/// What a command covers: the environment, one stack or all, and where its state lives.
#[derive(Debug, Clone)]
pub struct Scope {
    pub env: String,
    pub stack: Option<Stack>,
    pub state: StateBackend,
}

/// How to reach AWS (`--profile`, `--endpoint-url`).
#[derive(Debug, Clone, Default)]
pub struct Connect {
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
}

/// One command's view of an environment: the spec, the scope, and the connections.
pub struct Session {
    pub(crate) project: String,
    pub(crate) env: String,
    pub(crate) region: String,
    pub(crate) spec_hash: String,
    pub(crate) stacks: Vec<Stack>,
    pub(crate) desired: DesiredState,
    /// What the spec asks for, kept for the read pass when a command plans from something else
    /// (destroy plans from nothing): the names and resources it must still look for
    /// ([`Claims::expecting`]), such as one a stopped create left unrecorded.
    pub(crate) expected: DesiredState,
    pub(crate) aws: Aws,
    pub(crate) backend: StateBackend,
    pub(crate) bucket: String,
    pub(crate) bucket_region: String,
    /// `--confirm ENV` was given with this environment's name.
    pub(crate) confirmed: bool,
    /// Production, or an environment whose spec protects its database.
    pub(crate) protected: bool,
    /// Where spec fields were written (`file:line`), by field path, for messages.
    pub(crate) origins: BTreeMap<String, String>,
    /// The spec declares an HTTPS listener for the console (outputs print `https://`).
    pub(crate) frontend_https: bool,
    /// The platform branch of each Beanstalk environment that names one (not a pinned stack).
    pub(crate) branches: platforms::Branches,
    /// `--upgrade-platform`: environments move to their branch's newest version.
    pub(crate) upgrade_platform: bool,
    /// Plan the paused form (`Some(true)`), the running one (`Some(false)`), or as the pause
    /// record says (`None`: every command but `pause` and `resume`).
    pub(crate) paused: Option<bool>,
    /// What the paused form does with the NAT's Elastic IPs, when `pause` decides it (else
    /// the pause record says).
    pub(crate) elastic_ips: Option<crate::pause::ElasticIps>,
    /// Stacks whose locks the command took itself (`pause`, `resume`): `execute` takes the rest.
    pub(crate) held: BTreeSet<Stack>,
}

impl Session {
    /// The session of one command over `loaded` (the spec, validated), connected to AWS.
    pub async fn open(
        loaded: &spec::Loaded,
        scope: &Scope,
        connect: &Connect,
    ) -> Result<Session, Error> {
        let stacks = scope.stack.map_or_else(|| Stack::ALL.to_vec(), |s| vec![s]);
        let mut desired = spec::desired::build(&loaded.spec);
        crate::cost::fill_budget_limits(&mut desired);
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
        if let Some(profile) = &connect.profile {
            crate::aws::profile::check(profile).await?;
        }
        tracing::debug!(env = %scope.env, region = %loaded.spec.region, stacks = ?stacks, state = ?scope.state, "spec loaded");
        let aws = Aws::connect(&ConnectOptions {
            endpoint_url: connect.endpoint_url.clone(),
            profile: connect.profile.clone(),
            region: loaded.spec.region.clone(),
            credentials: None,
        })
        .await;
        Ok(Session {
            project: loaded.spec.project.clone(),
            env: scope.env.clone(),
            region: loaded.spec.region.clone(),
            spec_hash,
            stacks,
            expected: desired.clone(),
            desired,
            aws,
            backend: scope.state,
            bucket: loaded.spec.state.bucket.clone(),
            bucket_region: loaded.spec.state.region.clone(),
            confirmed: false,
            protected: checks::confirm::protected_env(
                &scope.env,
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
        })
    }

    pub(crate) fn store(&self) -> Store {
        self.store_of(&self.bucket, &self.bucket_region)
    }

    /// A state store in `bucket` (in `region`), reached as this session reaches its own: another
    /// environment's, or `state/` when state is local.
    pub(crate) fn store_of(&self, bucket: &str, region: &str) -> Store {
        match self.backend {
            StateBackend::S3 => Store::S3(S3Objects::new(self.aws.s3.clone(), bucket, region)),
            StateBackend::Local => Store::Local(LocalStore {
                root: PathBuf::from("state"),
            }),
        }
    }

    /// A lock's error, its `state unlock` command as it must be typed for this state store.
    pub(crate) fn lock_error(&self, e: state::StateError) -> Error {
        match (self.backend, &e) {
            (
                StateBackend::Local,
                state::StateError::Locked { .. } | state::StateError::LockFresh { .. },
            ) => Error::Refused(e.to_string().replace(
                &format!("unlock --env {} ", self.env),
                &format!("unlock --env {} --state local ", self.env),
            )),
            _ => e.into(),
        }
    }

    pub(crate) fn owner(&self) -> crate::model::Owner {
        crate::model::Owner {
            project: self.project.clone(),
            env: self.env.clone(),
        }
    }

    pub(crate) fn in_scope(&self, a: &Address) -> bool {
        self.stacks.contains(&a.stack)
    }

    /// The last snapshots, then live AWS: the read needs the recorded ids, since a recorded id
    /// that still exists is that resource even when its tags were lost. Then what Elastic
    /// Beanstalk says of platforms, when the plan needs it (`advice`).
    pub(crate) async fn observe(&self) -> Result<Observed, Error> {
        let store = self.store();
        let stored = state::read_all(&store, &self.env, &self.stacks).await?;
        let claims = self.claims(&stored);
        // The pause record beside the read of AWS: one more S3 read, no more time.
        let (full_live, pause) = tokio::join!(
            self.aws.read_claimed(&claims),
            crate::pause::record::read(&store, &self.env)
        );
        let mut observed = self.scoped(full_live?, stored, claims);
        observed.pause = pause?.map(|r| r.0);
        self.advise_on_platforms(&mut observed).await?;
        Ok(observed)
    }

    /// What AWS says of the branches the environments are to run (one `ListPlatformBranches`),
    /// and when one is retired, its platform's supported branches (one more).
    pub(crate) async fn lifecycles(&self) -> Result<platforms::Lifecycles, Error> {
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
    pub(crate) async fn solution_stacks(
        &self,
        live: &LiveState,
        notes: bool,
    ) -> Result<Vec<String>, Error> {
        if !platforms::needs_list(&self.desired, &self.branches, live, notes) {
            return Ok(Vec::new());
        }
        Ok(self.aws.solution_stacks().await?)
    }

    /// The desired state with its platforms resolved against what runs and what AWS lists.
    pub(crate) fn resolved(
        &self,
        observed: &Observed,
    ) -> Result<(DesiredState, platforms::Resolved), Error> {
        let mut desired = self.desired.clone();
        let with_origins = |mut e: platforms::Unavailable| {
            e.origins = self.origins.clone();
            Error::Platforms(e)
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
    pub(crate) fn is_paused(&self, observed: &Observed) -> bool {
        self.paused.unwrap_or(observed.pause.is_some())
    }

    /// The paused form this command plans, if it plans one: what it does with the Elastic IPs
    /// is the pause's choice (`pause --release-ip`), as its record keeps it.
    pub(crate) fn paused_form(&self, observed: &Observed) -> Option<crate::pause::ElasticIps> {
        let recorded = observed.pause.as_ref().map(|r| r.elastic_ips);
        self.is_paused(observed)
            .then(|| self.elastic_ips.or(recorded).unwrap_or_default())
    }

    /// The plan from desired to live, its platforms resolved and noted. A reference to what
    /// the plan creates or replaces is known after apply: planned again without its value.
    pub(crate) fn diffed(&self, observed: &Observed) -> Result<Plan, Error> {
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

    /// Drift's read: the snapshots, then live AWS, then one listing of every stack's lock and
    /// snapshot ETag. The snapshots are read before AWS, so whatever a run changes in AWS during
    /// the read is recorded after them: a run going at the end shows in its lock, one that ended
    /// meanwhile in a snapshot whose ETag is no longer the one read (`state::busy` says why no
    /// listing before the read is needed). Then the read is made once more (what the run left is
    /// the truth to compare), and if a run moved things again, the stacks it touched come back as
    /// busy. The listing also says whether there is a pause record: it is read only then. Clean,
    /// the check costs that one listing: the plan's pause record read when there is none.
    pub(crate) async fn observe_settled(
        &self,
    ) -> Result<(Observed, BTreeMap<Stack, state::Busy>), Error> {
        let store = self.store();
        let mut again = true;
        loop {
            let stored = state::read_all(&store, &self.env, &self.stacks).await?;
            let claims = self.claims(&stored);
            let live = self.aws.read_claimed(&claims).await?;
            let after = state::marks(&store, &self.env).await?;
            let pause = match after.listed.get(&crate::pause::record::key(&self.env)) {
                Some(listed) => {
                    let read = crate::pause::record::read(&store, &self.env).await?;
                    // Written or cleared since the listing: a pause or resume (they hold every
                    // lock) is at work, and the record may not be the form AWS was read in.
                    let moved = read.as_ref().is_none_or(|(_, etag)| etag != listed);
                    (read.map(|r| r.0), moved)
                }
                None => (None, false),
            };
            let read = self
                .stacks
                .iter()
                .map(|s| (*s, stored.get(s).map(|st| st.etag.clone())))
                .collect();
            let mut busy = state::busy(&after.stacks, &read);
            if pause.1 {
                busy.entry(Stack::Shared)
                    .or_insert(state::Busy::Moved(None));
            }
            let ended = busy.values().any(|b| matches!(b, state::Busy::Moved(_)));
            if !(again && ended) {
                let mut observed = self.scoped(live, stored, claims);
                observed.solution_stacks = self.solution_stacks(&observed.live, false).await?;
                observed.pause = pause.0;
                return Ok((observed, busy));
            }
            again = false;
        }
    }

    /// One read pass and the snapshots, narrowed to the command's stacks.
    pub(crate) fn scoped(
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

    /// What is this environment's: its tags, or the ids its snapshots recorded; and the names
    /// its spec gives, which the read pass must find before it skips a listing.
    pub(crate) fn claims(&self, stored: &BTreeMap<Stack, Stored>) -> Claims {
        Claims::new(
            self.owner(),
            stored
                .values()
                .flat_map(|s| s.snapshot.resources.iter())
                .map(|(a, r)| (a, r.id.as_str())),
        )
        .expecting(&self.expected)
    }

    /// Resources outside the scope that the scope refers to must exist already.
    pub(crate) fn check_dependencies(&self, observed: &Observed) -> Result<(), Error> {
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
        Err(Error::Refused(format!(
            "this needs {} which do not exist yet; apply --stack {} first",
            list.join(", "),
            stacks.into_iter().collect::<Vec<_>>().join(" and ")
        )))
    }

    /// Destroying a stack others still use would fail halfway (AWS refuses to delete what is
    /// referenced): refuse up front, naming what uses it.
    pub(crate) fn check_dependents(&self, observed: &Observed) -> Result<(), Error> {
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
        Err(Error::Refused(format!(
            "{} still use what this would destroy; destroy --stack {} first (nothing was deleted)",
            list.join(", "),
            stacks.into_iter().collect::<Vec<_>>().join(" and ")
        )))
    }

    /// The plan's checks (`plan::checks`), run on every plan before it is shown or applied;
    /// one about to be carried out (`executing`) is checked for the secrets it needs too.
    pub(crate) fn checked(&self, mut plan: Plan, executing: bool) -> Result<Plan, Error> {
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
    pub(crate) async fn check_names(&self, plan: &Plan, observed: &Observed) -> Result<(), Error> {
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
    pub(crate) async fn check_offerings(&self, plan: &Plan) -> Result<(), Error> {
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

    /// The recorded id of every resource, from every stack's snapshot whatever the scope: the
    /// environment's URLs come from more than one stack.
    pub(crate) async fn recorded_ids(&self) -> Result<BTreeMap<Address, String>, Error> {
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

/// What one command read: the snapshots, then AWS, narrowed to its scope.
pub struct Observed {
    pub(crate) claims: Claims,
    pub(crate) full_live: LiveState,
    pub(crate) live: LiveState,
    pub(crate) recorded: RecordedState,
    pub(crate) stored: BTreeMap<Stack, Stored>,
    /// What Elastic Beanstalk launches now (read only when resolving the platforms needs it,
    /// or the plan changes an environment: `advice`).
    pub(crate) solution_stacks: Vec<String>,
    /// The lifecycle of the branches the environments are to run (read by plans that change
    /// an environment, or upgrade one; never by drift).
    pub(crate) lifecycles: platforms::Lifecycles,
    /// The environment's pause record, when it is paused (or being paused).
    pub(crate) pause: Option<crate::pause::PauseRecord>,
}
