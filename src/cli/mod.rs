//! Command line: parse, run, print, map to exit codes (0 ok / nothing to do, 1 error,
//! 2 changes pending or drift found). All printing goes through `output` (results on stdout
//! in the format asked for, the rest on stderr) and, during a run, `progress`.

mod commands;
mod cost;
mod output;
mod progress;
mod views;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod import;
mod import_tf;
mod state_rm;
mod write_spec;

pub use crate::engine::{Error as CliError, StateBackend};
pub use import::ImportArgs;
pub use state_rm::StateRmArgs;

use crate::model::Stack;
use crate::spec::{self, SpecError};

#[derive(Debug, Parser)]
#[command(
    name = "provision",
    version,
    about = "Owns an application's AWS infrastructure, environment by environment."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Folder holding base.toml and one file per environment.
    #[arg(long, global = true, default_value = "specs", env = "PROVISION_SPECS")]
    pub specs: PathBuf,
    /// Output format of results on stdout.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// AWS endpoint to talk to instead of AWS (e.g. LocalStack); else AWS_ENDPOINT_URL.
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// AWS profile from the shared config/credentials files: wins over AWS_ACCESS_KEY_ID in the
    /// environment, and must exist. Without it: AWS_PROFILE and the SDK's standard chain.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// More log output on stderr: -v provision's info, -vv its debug, -vvv also the AWS SDK's
    /// debug; RUST_LOG overrides. No colours when stderr is not a terminal or NO_COLOR is set.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Price table for cost estimates (cost, plan, envdiff) instead of the one built in: a
    /// file, or a folder holding {region}.toml. It must be readable: there is no fall back.
    #[arg(long, global = true, env = "PROVISION_PRICES", value_name = "FILE")]
    pub prices: Option<PathBuf>,
}

impl Global {
    /// Where the command's results, notes and warnings go.
    pub fn out(&self) -> output::Printer {
        output::Printer::new(self.format)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// For a pull-request comment (plan, drift, cost, envdiff; others: their text, fenced).
    Markdown,
    /// `graph`: Graphviz DOT (other commands: text).
    Dot,
    /// `graph`: a Mermaid flowchart (other commands: text).
    Mermaid,
    /// `graph`: an SVG drawn by provision (other commands: text).
    Svg,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an environment's spec without touching AWS (exit 0 valid, 1 invalid).
    Validate(EnvArgs),
    /// Show what apply would change (exit 0 nothing to do, 2 changes pending).
    Plan(PlanArgs),
    /// Reconcile AWS with the spec, in dependency order.
    Apply(ApplyCmd),
    /// Record in state what AWS has for what state records, changing nothing in AWS (Terraform's
    /// `apply -refresh-only`).
    Refresh(RunArgs),
    /// Read-only: where AWS has moved away from the spec and the last snapshot (exit 2 on drift).
    Drift(write_spec::DriftArgs),
    /// Draw the environment: resources by stack, dependencies and references, coloured by plan
    /// action (or drift category with --drift); `--format dot|mermaid|svg` (text: dot).
    Graph(commands::graph::GraphArgs),
    /// Delete everything the environment owns, in reverse dependency order.
    Destroy(DestroyArgs),
    /// The environment's URLs: frontend, API Gateway invoke URL, backend (internal only).
    Outputs(RunArgs),
    /// Compare environments' specs: the seed's "Resource Differences" table.
    Envdiff {
        /// Two or more environments, shown in this order.
        #[arg(required = true, num_args = 2..)]
        envs: Vec<String>,
        /// Also show each environment's last applied base.toml (digest and when), read from its
        /// state: s3 (its spec's bucket) or local (`state/`). Without it, no AWS call.
        #[arg(long, value_enum, value_name = "s3|local")]
        applied: Option<StateBackend>,
    },
    /// Take resources that exist in AWS under management (one by id, or all a Terraform state
    /// holds), then show the plan that remains (exit 2 if it has changes).
    Import(ImportArgs),
    /// Inspect state snapshots and locks.
    #[command(subcommand)]
    State(StateCommand),
    /// Print a shell completion script on stdout (e.g. `provision completions bash > ~/.local/share/bash-completion/completions/provision`).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Stop what costs money and keep what identifies the environment: the database stopped,
    /// Beanstalk at 0 instances, no NAT gateway (its Elastic IP kept unless --release-ip)
    /// (docs/operations.md, "Pausing staging").
    Pause(commands::pause::PauseCmd),
    /// Bring a paused environment back, ending with an empty plan.
    Resume(commands::pause::PauseArgs),
    /// Estimate the environment's monthly cost from its spec and the region's price table
    /// (no AWS call; docs/cost.md).
    Cost {
        /// Environment name: a file specs/NAME.toml.
        #[arg(long)]
        env: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Each stack's snapshot: serial, resources, last update.
    List(RunArgs),
    /// The resources a snapshot records, with their physical ids.
    Show(RunArgs),
    /// The immutable history entries of each stack.
    History(RunArgs),
    /// Forget resources without deleting them (their ownership tags are removed too).
    Rm(StateRmArgs),
    /// Break a lock left by a run that died. Refuses a fresh lock unless --force.
    Unlock {
        #[command(flatten)]
        run: RunArgs,
        /// Break the lock even if it is fresh (its lease not expired): only when you know the
        /// run that holds it is dead.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Environment name: a file specs/NAME.toml.
    #[arg(long)]
    pub env: String,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Environment name: a file specs/NAME.toml.
    #[arg(long)]
    pub env: String,
    /// Limit the command to one stack: shared, backend or console.
    #[arg(long, value_parser = parse_stack, value_name = "shared|backend|console")]
    pub stack: Option<Stack>,
    /// Where snapshots live: s3 (the spec's state bucket) or local (the `state/` folder here).
    #[arg(long, value_enum, default_value_t = StateBackend::S3)]
    pub state: StateBackend,
    /// Print AWS call counts by operation on stderr.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Also save the plan to FILE, for `provision apply --env ENV FILE` to carry out exactly.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also draw the environment, coloured by this plan, as an SVG to FILE (`provision graph`).
    #[arg(long, value_name = "FILE.svg")]
    pub graph: Option<PathBuf>,
    #[command(flatten)]
    pub platform: PlatformArgs,
}

#[derive(Debug, Args)]
pub struct ApplyCmd {
    #[command(flatten)]
    pub apply: ApplyArgs,
    /// A plan saved by `plan --out`: apply exactly it, or refuse if state or AWS moved since.
    /// The file is the approval: no question is asked (as `terraform apply PLANFILE`).
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub platform: PlatformArgs,
    /// Production: apply a base.toml that staging has not applied yet (the production
    /// confirmation still applies).
    #[arg(long)]
    pub skip_promotion_check: bool,
}

#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// Only this resource (e.g. shared.subnet.public-a, or shared.subnet for all subnets) and
    /// what it depends on (for destroy: what depends on it). Repeatable. For exceptions, not
    /// routine use.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
    /// Leave this resource (or every address under a prefix: a stack, shared.subnet) untouched,
    /// with what depends on it (for destroy: what it depends on). Repeatable.
    #[arg(long = "exclude", value_name = "ADDRESS")]
    pub excludes: Vec<String>,
}

impl TargetArgs {
    pub fn selection(&self) -> crate::plan::target::Selection {
        crate::plan::target::Selection {
            targets: self.targets.clone(),
            excludes: self.excludes.clone(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Independent changes run concurrently, up to this many (at least 1).
    #[arg(long, default_value_t = 10, value_parser = parse_parallelism)]
    pub parallelism: usize,
    /// The environment's name again: required to destroy production or an environment whose
    /// database is protected (deletion protection), and to replace the database there (a final
    /// snapshot is taken first).
    #[arg(long, value_name = "ENV")]
    pub confirm: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlatformArgs {
    /// Move Beanstalk environments whose spec names a platform branch to the branch's newest
    /// version (an in-place platform update). Without it, a newer version is only a note.
    #[arg(long)]
    pub upgrade_platform: bool,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub apply: ApplyArgs,
}

fn parse_stack(s: &str) -> Result<Stack, String> {
    s.parse()
}

/// Zero would run nothing and wait forever.
fn parse_parallelism(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// What a command ended with, before it becomes an exit code.
#[derive(Debug)]
pub enum Outcome {
    Done,
    Pending,
}

pub fn main() -> ExitCode {
    // `provision state show | head`: a closed stdout ends the program quietly, as for any Unix
    // tool, instead of a panic message.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default();
        if message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default_hook(info);
    }));
    // Usage errors exit 1 like every other error; 2 means "changes pending".
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_tracing(cli.global.verbose);
    match run(&cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Pending) => ExitCode::from(2),
        Err(e @ CliError::Busy(_)) => {
            output::error(&e);
            ExitCode::from(commands::pause::EXIT_BUSY)
        }
        Err(e) => {
            output::error(&e);
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(verbose: u8) {
    // Each -v opens provision's own logs a level further; the SDK's (request by request) only
    // from -vvv, or with RUST_LOG.
    let default = match verbose {
        0 => "warn",
        1 => "warn,provision=info",
        2 => "warn,provision=debug",
        _ => "debug,provision=trace",
    };
    // The SDK logs whole requests and responses at trace level, and responses can carry secrets
    // (an API key's value): its crates stop at debug, whatever the level asked for. A cap only
    // lowers: at the default level they are as quiet as everything else.
    const RUNTIME: [&str; 11] = [
        "aws_smithy_runtime",
        "aws_smithy_runtime_api",
        "aws_smithy_http_client",
        "aws_smithy_types",
        "aws_sigv4",
        "aws_runtime",
        "aws_config",
        "hyper",
        "hyper_util",
        "h2",
        "rustls",
    ];
    let requested = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned());
    let filter = tracing_subscriber::EnvFilter::try_new(requested)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let sdk: Vec<&str> = RUNTIME
        .into_iter()
        .chain(crate::aws::sdk_log_targets())
        .collect();
    let sdk_cap = tracing_subscriber::filter::filter_fn(move |meta| {
        *meta.level() != tracing::Level::TRACE
            || !sdk.iter().any(|t| {
                meta.target()
                    .strip_prefix(t)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
            })
    });
    use tracing_subscriber::prelude::*;
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(
                    crate::plan::render::Style::detect(std::io::stderr().is_terminal()).color(),
                )
                .with_filter(sdk_cap),
        )
        .try_init();
}

pub fn run(cli: &Cli) -> Result<Outcome, CliError> {
    let g = &cli.global;
    match &cli.command {
        Command::Validate(a) => validate(g, &a.env),
        Command::Envdiff { envs, applied } => envdiff(g, envs, *applied),
        Command::Cost { env } => cost::run(g, env),
        Command::Plan(a) => block_on(commands::plan(g, a)),
        Command::Apply(a) => block_on(commands::apply(
            g,
            &a.apply,
            a.plan_file.as_deref(),
            &a.platform,
            a.skip_promotion_check,
        )),
        Command::Destroy(a) => block_on(commands::destroy(g, a)),
        Command::Drift(a) if a.accept_all || !a.accept.is_empty() => {
            block_on(write_spec::accept(g, a))
        }
        Command::Drift(a) => block_on(commands::drift(g, &a.run)),
        Command::Graph(a) => block_on(commands::graph::graph(g, a)),
        Command::Refresh(a) => block_on(commands::refresh(g, a)),
        Command::Pause(a) => block_on(commands::pause::pause(g, a)),
        Command::Resume(a) => block_on(commands::pause::resume(g, a)),
        Command::State(StateCommand::Rm(a)) => block_on(state_rm::state_rm(g, a)),
        Command::State(s) => block_on(commands::state(g, s)),
        Command::Outputs(a) => block_on(commands::outputs(g, a)),
        Command::Import(a) => match &a.from_terraform {
            Some(location) => block_on(import_tf::from_terraform(g, a, location)),
            None => block_on(import::import(g, a)),
        },
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "provision", &mut std::io::stdout());
            Ok(Outcome::Done)
        }
    }
}

/// Runs a command to its end, then waits for the lock releases its dropped guards started
/// (`engine::locks`): a command that failed leaves no lock behind.
fn block_on<F: std::future::Future>(command: F) -> F::Output {
    runtime().block_on(async {
        let out = command.await;
        crate::engine::locks::settle().await;
        out
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts")
}

pub(crate) fn load(g: &Global, env: &str) -> Result<spec::Loaded, SpecError> {
    let (loaded, warnings) = spec::load(&g.specs, env)?;
    for w in warnings {
        g.out().warn(w);
    }
    Ok(loaded)
}

fn validate(g: &Global, env: &str) -> Result<Outcome, CliError> {
    let loaded =
        load(g, env).inspect_err(|error| g.out().show_json(&views::Invalid { env, error }))?;
    let desired = spec::desired::build(&loaded.spec);
    g.out().show(&views::Validated {
        env,
        region: &loaded.spec.region,
        resources: desired.resources.len(),
        valid: true,
    });
    Ok(Outcome::Done)
}

fn envdiff(
    g: &Global,
    envs: &[String],
    applied: Option<StateBackend>,
) -> Result<Outcome, CliError> {
    let mut specs = Vec::new();
    for env in envs {
        specs.push(load(g, env)?.spec);
    }
    let refs: Vec<&spec::EnvSpec> = specs.iter().collect();
    let mut diff = crate::envdiff::envdiff(&refs);
    cost::add_envdiff_row(g, &mut diff, &refs);
    if let Some(backend) = applied {
        let row = runtime().block_on(commands::promotion::applied_row(g, backend, &refs))?;
        diff.rows.push(row);
    }
    g.out().show(&diff);
    Ok(Outcome::Done)
}
