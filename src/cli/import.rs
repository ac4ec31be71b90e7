//! `provision import`: takes resources that exist in AWS under management. Each is checked
//! (in the spec, of the address's kind, not another environment's, not managed already), given
//! the four ownership tags, read back and recorded in its stack's snapshot under that stack's
//! lock; then the plan that remains is shown. `--from-terraform` does the same for everything
//! a Terraform state maps to (see `crate::import::terraform`).

use std::collections::{BTreeMap, BTreeSet};

use clap::Args;

use super::commands::Run;
use super::{CliError, Global, Outcome, RunArgs, StateBackend};
use crate::aws::Claims;
use crate::engine::Locks;
use crate::engine::Observed;
use crate::import::{
    OWNERSHIP_TAGS, already_managed, apis_imported, check_id, eligible, mismatch, ownership,
    recorded_attrs,
};
use crate::model::{Address, RecordedResource};
use crate::state;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Environment name: a file specs/NAME.toml.
    #[arg(long)]
    pub env: String,
    /// The address to take over, as plans show it (`shared.vpc`, `shared.subnet.public-a`).
    #[arg(
        required_unless_present = "from_terraform",
        conflicts_with = "from_terraform"
    )]
    pub address: Option<String>,
    /// Its physical id in AWS (`vpc-…`, a database's identifier, `API_ID/STAGE` for a stage).
    #[arg(
        required_unless_present = "from_terraform",
        conflicts_with = "from_terraform"
    )]
    pub id: Option<String>,
    /// Take over what the environment's Terraform states manage instead. LOCATION: s3://BUCKET
    /// (keys {shared,backend,console}/ENV/terraform.tfstate), s3://BUCKET/KEY, a .tfstate file,
    /// or a folder (that layout under it, or *.tfstate in it); without LOCATION, the spec's state
    /// bucket (`state.bucket`, the seed's agentpass-terraform-state) with those keys. Read only.
    #[arg(long, value_name = "LOCATION", num_args = 0..=1, default_missing_value = "")]
    pub from_terraform: Option<String>,
    /// With --from-terraform: print the mapping and change nothing.
    #[arg(long, requires = "from_terraform")]
    pub dry_run: bool,
    /// With --from-terraform: TF_ADDRESS=ADDRESS says which Terraform resource is which address
    /// where their names differ (`module.net.aws_security_group.alb_public=shared.security_group.public-lb`);
    /// repeatable. It replaces the match by name or CIDR and goes through the same checks.
    #[arg(
        long = "map",
        value_name = "TF_ADDRESS=ADDRESS",
        requires = "from_terraform"
    )]
    pub map: Vec<String>,
    /// With --from-terraform: a file of `TF_ADDRESS = ADDRESS` lines (`#` comments), as --map.
    #[arg(long, value_name = "FILE", requires = "from_terraform")]
    pub map_file: Option<std::path::PathBuf>,
    /// Write the names and other identities AWS cannot change (a security group's name and
    /// description, a subnet's zone …) into the environment's spec file where they differ from
    /// what it derives, show the diff, then import. Without it, the lines are shown and
    /// nothing is written.
    #[arg(long)]
    pub write_spec: bool,
    /// Where provision's snapshots live.
    #[arg(long, value_enum, default_value_t = StateBackend::S3)]
    pub state: StateBackend,
    /// Print AWS call counts by operation on stderr.
    #[arg(long)]
    pub stats: bool,
}

impl ImportArgs {
    /// Whether and how this import writes into the spec (`--write-spec`).
    pub(super) fn writing<'a>(&self, run: &'a RunArgs) -> super::write_spec::Writing<'a> {
        super::write_spec::Writing {
            write: self.write_spec && !self.dry_run,
            run,
        }
    }

    pub(super) fn run(&self) -> RunArgs {
        RunArgs {
            env: self.env.clone(),
            stack: None,
            state: self.state,
            stats: self.stats,
        }
    }
}

pub async fn import(g: &Global, a: &ImportArgs) -> Result<Outcome, CliError> {
    let (Some(address), Some(id)) = (&a.address, &a.id) else {
        return Err(CliError::Refused(
            "import takes an ADDRESS and an ID (or --from-terraform)".into(),
        ));
    };
    let address: Address = address
        .parse()
        .map_err(|e| CliError::Refused(format!("unknown address: {e}")))?;
    let s = Run::open(g, &a.run()).await?;
    // Bad input is refused before any AWS call.
    precheck(&s, &address, id)
        .map_err(|why| CliError::Refused(format!("cannot import {id} as {address}: {why}")))?;
    let items = BTreeMap::from([(address, id.clone())]);
    let s = super::write_spec::identities(g, a.writing(&a.run()), s, &items).await?;
    let observed = s.observe().await?;
    let refused = check_all(&s, &observed, &items).await?;
    if !refused.is_empty() {
        return Err(CliError::Refused(refused.join("\n")));
    }
    take_over(&s, &observed, &items, "import").await?;
    remaining(&s, &a.run()).await
}

/// Why each resource may not be imported, all at once; empty when all may.
pub(super) async fn check_all(
    s: &Run,
    observed: &Observed,
    items: &BTreeMap<Address, String>,
) -> Result<Vec<String>, CliError> {
    let mut refused = Vec::new();
    let apis = apis_imported(items);
    for (address, id) in items {
        if let Err(why) = check(s, observed, address, id, &apis).await? {
            refused.push(format!("cannot import {id} as {address}: {why}"));
        }
    }
    Ok(refused)
}

/// What needs no AWS call: the address is the spec's, the id has its kind's shape.
fn precheck(s: &Run, address: &Address, id: &str) -> Result<(), String> {
    if !s.desired.resources.contains_key(address) {
        return Err(format!(
            "unknown address: the spec of `{}` has no {address} (`provision plan --env {}` lists its addresses)",
            s.env, s.env
        ));
    }
    check_id(address.kind, id)
}

/// `Ok(Err(why))`: refused, nothing changed; `Err`: AWS failed to answer.
async fn check(
    s: &Run,
    observed: &Observed,
    address: &Address,
    id: &str,
    apis: &BTreeSet<&str>,
) -> Result<Result<(), String>, CliError> {
    if let Err(why) = precheck(s, address, id) {
        return Ok(Err(why));
    }
    let managed = already_managed(&observed.recorded, &observed.full_live, &s.env, address, id);
    if let Some(why) = managed {
        return Ok(Err(why));
    }
    let Some(tags) = s.aws.tags_at(&s.owner(), address, id).await? else {
        return Ok(Err(match s.aws.not_found(address, id).await {
            Some(e) => format!("not found: {e}"),
            None => format!(
                "not found: {} in {} answers that there is no {} with this id",
                crate::aws::import::lookup_operation(address.kind),
                s.region,
                address.kind
            ),
        }));
    };
    Ok(eligible(&s.owner(), address, id, &tags, apis))
}

/// Tags each resource, reads them back and records them, under the locks of their stacks.
/// Every resource is tried; the ones that failed are listed in the error.
pub(super) async fn take_over(
    s: &Run,
    observed: &Observed,
    items: &BTreeMap<Address, String>,
    command: &str,
) -> Result<(), CliError> {
    // Found by their tags already: a refused import leaves those tags as they were.
    let kept: BTreeSet<Address> = items
        .iter()
        .filter(|(a, id)| {
            observed
                .full_live
                .resources
                .get(*a)
                .is_some_and(|l| l.id == **id)
        })
        .map(|(a, _)| a.clone())
        .collect();
    let store = s.store();
    store.ensure_ready().await?;
    let stacks: BTreeSet<_> = items.keys().map(|a| a.stack).collect();
    let locks = Locks::acquire(&store, stacks, &s.env, command, s.on_release_error()).await?;
    let result = locked(s, items, &kept, store).await;
    locks.release().await;
    result
}

async fn locked(
    s: &Run,
    items: &BTreeMap<Address, String>,
    kept: &BTreeSet<Address>,
    store: state::Store,
) -> Result<(), CliError> {
    let stacks: Vec<_> = items
        .keys()
        .map(|a| a.stack)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut recorder = state::Recorder::open(store, &s.env, &stacks, &s.spec_hash).await?;
    let owner = s.owner();
    let mut failed = Vec::new();
    let mut tagged = BTreeMap::new();
    // Another run may have recorded something there since the checks, before the lock.
    let before = recorder.recorded();
    for (address, id) in items {
        if let Some(r) = before.resources.get(address).filter(|r| r.id != *id) {
            failed.push(format!(
                "{address} ({id}): state records {} there now",
                r.id
            ));
            continue;
        }
        let tags = ownership(&owner, address);
        match s
            .aws
            .tag_at(&owner, address, id, &tags, &BTreeSet::new())
            .await
        {
            Ok(()) => {
                tagged.insert(address.clone(), id.clone());
            }
            Err(e) => failed.push(format!("{address} ({id}): {e}")),
        }
    }
    // One read pass, with the new ids as if recorded: what is recorded is what AWS says.
    let claims = Claims::new(
        owner,
        before
            .resources
            .iter()
            .map(|(a, r)| (a, r.id.as_str()))
            .chain(tagged.iter().map(|(a, id)| (a, id.as_str()))),
    );
    let live = s.aws.read_claimed(&claims).await?;
    for (address, id) in &tagged {
        match checked_record(s, &live, address, id, kept).await? {
            Ok(record) => {
                recorder.record(address, record).await?;
                s.out.note(&format!("{address}: imported {id}\n"));
            }
            Err(why) => failed.push(format!("{address} ({id}): {why}")),
        }
    }
    recorder.finish().await?;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "{} of {} resources were not imported (the others are recorded):\n  {}",
            failed.len(),
            items.len(),
            failed.join("\n  ")
        )))
    }
}

/// What to record for a resource just tagged, as the read found it; `Ok(Err(why))` when it is
/// not the resource the spec describes (its tags are then taken off again).
async fn checked_record(
    s: &Run,
    live: &crate::model::LiveState,
    address: &Address,
    id: &str,
    kept: &BTreeSet<Address>,
) -> Result<Result<RecordedResource, String>, CliError> {
    let (Some(l), Some(d)) = (
        live.resources.get(address),
        s.desired.resources.get(address),
    ) else {
        return Ok(Err(
            "tagged, but a read of the environment does not find it there (is it in the environment's VPC, and of this kind?)".into(),
        ));
    };
    if l.id != id {
        return Ok(Err(format!(
            "tagged, but the environment's read finds {} there",
            l.id
        )));
    }
    let wrong = mismatch(address, d, l);
    if !wrong.is_empty() {
        // Its tags come off again, unless it carried them before this run.
        if !kept.contains(address) {
            let remove = OWNERSHIP_TAGS.iter().map(|k| (*k).to_owned()).collect();
            s.aws
                .tag_at(&s.owner(), address, id, &Default::default(), &remove)
                .await?;
        }
        return Ok(Err(format!(
            "not the resource the spec describes, applying would replace it: {}",
            wrong.join("; ")
        )));
    }
    Ok(Ok(RecordedResource {
        id: id.to_owned(),
        attrs: recorded_attrs(&l.attrs, &d.attrs),
        tags: l.tags.clone(),
        depends_on: d.depends_on(address),
    }))
}

/// The plan that remains, as `provision plan` shows it (exit 2 when it has changes).
pub(super) async fn remaining(s: &Run, run: &RunArgs) -> Result<Outcome, CliError> {
    let observed = s.observe().await?;
    let plan = s.checked(s.diffed(&observed)?, false)?;
    s.out.show(&s.plan_view(&plan));
    s.print_stats(run);
    Ok(if plan.has_changes() {
        Outcome::Pending
    } else {
        Outcome::Done
    })
}
