//! Command line: parse, run, print, map to exit codes (0 ok / nothing to do, 1 error,
//! 2 changes pending or drift found).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// AWS profile; else AWS_PROFILE and the standard chain.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an environment's spec without touching AWS (exit 0 valid, 1 invalid).
    Validate(EnvArgs),
    /// Show what apply would change (exit 0 nothing to do, 2 changes pending).
    Plan(StackArgs),
    /// Reconcile AWS with the spec, in dependency order.
    Apply(StackArgs),
    /// Read-only: where AWS has moved away from the spec and the last snapshot (exit 2 on drift).
    Drift(StackArgs),
    /// Delete everything the environment owns, in reverse order.
    Destroy(StackArgs),
    /// Compare environments' specs: the seed's "Resource Differences" table.
    Envdiff {
        /// Two or more environments, shown in this order.
        #[arg(required = true, num_args = 2..)]
        envs: Vec<String>,
    },
    /// Inspect and repair state snapshots.
    State(EnvArgs),
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Environment name: a file specs/NAME.toml.
    #[arg(long)]
    pub env: String,
}

#[derive(Debug, Args)]
pub struct StackArgs {
    #[arg(long)]
    pub env: String,
    /// Limit the command to one stack.
    #[arg(long, value_parser = parse_stack)]
    pub stack: Option<Stack>,
}

fn parse_stack(s: &str) -> Result<Stack, String> {
    s.parse()
}

/// What a command ended with, before it becomes an exit code.
#[derive(Debug)]
pub enum Outcome {
    Done,
    Pending,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("`provision {0}` needs the AWS layer, which is not built yet; nothing was done")]
    NotYet(&'static str),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    match run(&cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Pending) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run(cli: &Cli) -> Result<Outcome, CliError> {
    let g = &cli.global;
    match &cli.command {
        Command::Validate(a) => validate(g, &a.env),
        Command::Envdiff { envs } => envdiff(g, envs),
        Command::Plan(a) => needs_aws(g, &a.env, "plan"),
        Command::Apply(a) => needs_aws(g, &a.env, "apply"),
        Command::Drift(a) => needs_aws(g, &a.env, "drift"),
        Command::Destroy(a) => needs_aws(g, &a.env, "destroy"),
        Command::State(a) => needs_aws(g, &a.env, "state"),
    }
}

fn load(g: &Global, env: &str) -> Result<spec::Loaded, SpecError> {
    let (loaded, warnings) = spec::load(&g.specs, env)?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    Ok(loaded)
}

fn validate(g: &Global, env: &str) -> Result<Outcome, CliError> {
    let loaded = load(g, env)?;
    let desired = spec::desired::build(&loaded.spec);
    match g.format {
        Format::Text => println!(
            "{}: valid ({} resources in {} stacks, region {})",
            env,
            desired.resources.len(),
            Stack::ALL.len(),
            loaded.spec.region
        ),
        Format::Json => println!(
            "{}",
            serde_json::json!({"env": env, "valid": true, "resources": desired.resources.len(), "region": loaded.spec.region})
        ),
    }
    Ok(Outcome::Done)
}

fn envdiff(g: &Global, envs: &[String]) -> Result<Outcome, CliError> {
    let mut specs = Vec::new();
    for env in envs {
        specs.push(load(g, env)?.spec);
    }
    let refs: Vec<&spec::EnvSpec> = specs.iter().collect();
    let d = crate::envdiff::envdiff(&refs);
    match g.format {
        Format::Text => print!("{}", crate::envdiff::render_text(&d)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&d).expect("serialises")),
    }
    Ok(Outcome::Done)
}

/// Commands that need AWS validate the spec first (so bad input fails before any AWS call),
/// then say plainly that they cannot run yet.
fn needs_aws(g: &Global, env: &str, command: &'static str) -> Result<Outcome, CliError> {
    load(g, env)?;
    let _ = std::io::stdout().is_terminal();
    Err(CliError::NotYet(command))
}
