//! Writing AWS's values into the spec files: `import --from-terraform --write-spec` (the
//! identities AWS cannot change: a security group's name and description, a subnet's zone …)
//! and `drift --accept` (live values the operator decides are right). What goes where is
//! `spec::write`; this module reads, asks, writes the files and prints the diff.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Args;

use super::commands::{self, Run, refresh_some};
use super::output::Render;
use super::{CliError, Global, Outcome, RunArgs};
use crate::aws::ids::Claims;
use crate::drift::{Category, Report};
use crate::import::stated::Stated;
use crate::import::terraform::{self, Instance};
use crate::model::{Address, DesiredResource, Field, LiveResource};
use crate::plan::render::Style;
use crate::spec::load::{BASE_FILE, env_file};
use crate::spec::write::places::{Place, place};
use crate::spec::write::{Edit, FileEdit, Placement, apply, target, toml_value, value_at};

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Write the live value of each changed field of these resources into the spec file that
    /// sets it (the environment's, else base.toml), and record it in state: plan and drift are
    /// then empty for them. A field the spec derives (a reference, a computed name) is refused.
    #[arg(long, value_name = "ADDRESS", num_args = 1..)]
    pub accept: Vec<String>,
    /// `--accept` every resource drift finds changed.
    #[arg(long, conflicts_with = "accept")]
    pub accept_all: bool,
}

/// How an import writes: `write` with `--write-spec` (and no `--dry-run`), else only shows;
/// `run` opens the spec again once written.
#[derive(Clone, Copy)]
pub(super) struct Writing<'a> {
    pub write: bool,
    pub run: &'a RunArgs,
}

/// The spec files' diff: what was written, or what would be.
struct SpecDiff<'a> {
    written: bool,
    files: &'a [FileEdit],
}

impl<'a> SpecDiff<'a> {
    fn new(files: &'a [FileEdit], written: bool) -> Self {
        SpecDiff { written, files }
    }
}

impl Render for SpecDiff<'_> {
    fn text(&self, _: Style) -> String {
        let head = if self.written {
            "Written into the spec:"
        } else {
            "Would write into the spec (with --write-spec):"
        };
        let mut out = format!("\n{head}\n");
        for f in self.files {
            out.push_str(&f.diff());
        }
        out
    }

    /// None: in JSON the diff goes to stderr as text ([`show`]).
    fn json(&self) -> Option<String> {
        None
    }
}

/// Before `import --from-terraform` imports: the immutable fields where a mapped resource is not
/// what the spec derives, written into the environment's file with `--write-spec` (then the spec
/// is loaded again, so the import replaces nothing), shown otherwise. Fields the spec cannot
/// hold stay differences: the import refuses them as before.
pub(super) async fn identities_tf(
    g: &Global,
    w: Writing<'_>,
    s: Run,
    instances: &[Instance],
    stated: &BTreeMap<usize, Stated>,
) -> Result<Run, CliError> {
    let mapping = terraform::map(instances, &s.desired, stated);
    let items = mapping
        .mapped
        .iter()
        .map(|m| (m.address.clone(), m.id.clone()))
        .collect();
    identities(g, w, s, &items).await
}

/// As [`identities_tf`], for the resources `items` (address -> id) one import takes over.
pub(super) async fn identities(
    g: &Global,
    w: Writing<'_>,
    s: Run,
    items: &BTreeMap<Address, String>,
) -> Result<Run, CliError> {
    if items.is_empty() {
        return Ok(s);
    }
    // Nothing carries provision's tags yet: the ids are claimed as if recorded.
    let claims = Claims::new(s.owner(), items.iter().map(|(a, id)| (a, id.as_str())));
    let live = s.aws.read_claimed(&claims).await?;
    let mut edits = Vec::new();
    for (address, id) in items {
        let l = live.resources.get(address).filter(|l| l.id == *id);
        let (Some(l), Some(d)) = (l, s.desired.resources.get(address)) else {
            continue;
        };
        for (field, value) in immutable_differences(address, d, l) {
            match (place(address, &field), toml_value(&value)) {
                (Place::At(path), Some(value)) => edits.push(Edit { path, value }),
                (Place::Derived(why), _) => s.out.note(&format!(
                    "{address}: its {field} is {value} in AWS, which the spec cannot state ({why})\n"
                )),
                (Place::At(_), None) => {}
            }
        }
    }
    if edits.is_empty() {
        return Ok(s);
    }
    let files =
        file_edits(&g.specs, &s.env, Placement::EnvFile, &edits).map_err(CliError::Refused)?;
    if !w.write {
        show(&s, &SpecDiff::new(&files, false));
        return Ok(s);
    }
    write(&g.specs, &s.env, &files)?;
    show(&s, &SpecDiff::new(&files, true));
    Run::open(g, w.run).await
}

/// The fields that force a replacement where live differs from the spec, with the live value
/// (`import::replacing_changes`), in the order the kind lists them (a group's name before its
/// description).
fn immutable_differences(
    address: &Address,
    d: &DesiredResource,
    l: &LiveResource,
) -> Vec<(String, serde_json::Value)> {
    let mut out: Vec<(String, serde_json::Value)> = crate::import::replacing_changes(address, d, l)
        .into_iter()
        .map(|f| (f.field.to_string(), f.before))
        .collect();
    let immutable = address.kind.describe().immutable;
    out.sort_by_key(|(f, _)| immutable.iter().position(|i| i == f));
    out
}

/// `drift --accept`: writes the live values, records them in state, then shows drift again.
pub(super) async fn accept(g: &Global, a: &DriftArgs) -> Result<Outcome, CliError> {
    let s = Run::open(g, &a.run).await?;
    let (observed, _) = s.observe_settled().await?;
    let (desired, _) = s.resolved(&observed)?;
    let report = crate::drift::drift(&desired, &observed.live, &observed.recorded);
    let (edits, addresses) = accepted(&report, &desired, a).map_err(refused)?;
    if edits.is_empty() {
        s.out
            .note("drift finds nothing changed outside provision: nothing to accept\n");
        return commands::drift(g, &a.run).await;
    }
    let files = file_edits(&g.specs, &s.env, Placement::Defining, &edits)
        .map_err(|why| refused(vec![why]))?;
    write(&g.specs, &s.env, &files)?;
    show(&s, &SpecDiff::new(&files, true));
    // The spec now says what AWS has; state records it too, for these resources only.
    let s = Run::open(g, &a.run).await?;
    refresh_some(&s, &a.run, Some(&addresses)).await?;
    commands::drift(g, &a.run).await
}

/// The diff ahead of the command's result on stdout; on stderr where stdout holds one JSON
/// document (the command's result).
fn show(s: &Run, diff: &SpecDiff<'_>) {
    if s.out.format() == super::Format::Json {
        s.out.note(&diff.text(Style::plain()));
    } else {
        s.out.preview(diff);
    }
}

fn refused(why: Vec<String>) -> CliError {
    CliError::Refused(format!(
        "nothing was accepted, the spec files are unchanged:\n  {}",
        why.join("\n  ")
    ))
}

/// The edits that accept what `a` names, or every reason some of it cannot be accepted.
fn accepted(
    report: &Report,
    desired: &crate::model::DesiredState,
    a: &DriftArgs,
) -> Result<(Vec<Edit>, BTreeSet<Address>), Vec<String>> {
    let mut named = BTreeSet::new();
    let mut why = Vec::new();
    for text in &a.accept {
        match text.parse::<Address>() {
            Ok(address) => {
                named.insert(address);
            }
            Err(e) => why.push(format!("{text}: {e}")),
        }
    }
    let wanted = |address: &Address| a.accept_all || named.contains(address);
    let mut edits = Vec::new();
    let mut addresses = BTreeSet::new();
    for f in &report.findings {
        let Some(address) = f.address.as_ref().filter(|ad| wanted(ad)) else {
            continue;
        };
        match (f.category, &f.field, &f.actual) {
            (Category::Changed, Some(field), Some(actual)) => {
                match edit(desired, address, field, actual) {
                    Ok(e) => edits.push(e),
                    Err(reason) => why.push(format!("{address} {field}: {reason}")),
                }
                addresses.insert(address.clone());
            }
            (Category::Missing | Category::Unmanaged, _, _) if !a.accept_all => why.push(format!(
                "{address}: {} ({}); only a changed field can be accepted",
                f.category.label(),
                f.note
            )),
            _ => {}
        }
    }
    for address in named.iter().filter(|ad| !addresses.contains(*ad)) {
        if !why.iter().any(|w| w.starts_with(&address.to_string())) {
            why.push(format!(
                "{address}: drift finds no field of it changed outside provision"
            ));
        }
    }
    if why.is_empty() {
        Ok((edits, addresses))
    } else {
        Err(why)
    }
}

/// The edit that writes `actual` for `field` of `address`, or why the spec cannot take it.
fn edit(
    desired: &crate::model::DesiredState,
    address: &Address,
    field: &str,
    actual: &serde_json::Value,
) -> Result<Edit, String> {
    let path = match place(address, field) {
        Place::At(path) => path,
        Place::Derived(reason) => return Err(reason),
    };
    let is_ref = desired.resources.get(address).is_some_and(|d| {
        d.attrs
            .field_refs()
            .iter()
            .any(|(f, _)| Field::from(field).is_under(&f.to_string()))
    });
    if is_ref {
        return Err(
            "a reference to another resource of the spec: it follows that resource, not a value written here".into(),
        );
    }
    let value = toml_value(actual)
        .ok_or_else(|| format!("AWS has {actual}, which is no value a spec field holds"))?;
    Ok(Edit { path, value })
}

/// The spec files with the edits made, each edit in the file `placement` picks. A value the
/// file computes (`{project}`, `{env}`, `${…}`) is not overwritten: it is refused.
fn file_edits(
    dir: &Path,
    env: &str,
    placement: Placement,
    edits: &[Edit],
) -> Result<Vec<FileEdit>, String> {
    let base_path = dir.join(BASE_FILE);
    let env_path = env_file(dir, env);
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let (base, over) = (read(&base_path)?, read(&env_path)?);
    let mut by_file: BTreeMap<PathBuf, Vec<&Edit>> = BTreeMap::new();
    let mut why = Vec::new();
    for e in edits {
        let file = target(placement, (&base_path, &base), (&env_path, &over), &e.path);
        let text = if file == base_path { &base } else { &over };
        let computed = value_at(text, &e.path)
            .and_then(|v| v.as_str().map(str::to_owned))
            .filter(|v| v.contains('{'));
        if let (Placement::Defining, Some(v)) = (placement, computed) {
            why.push(format!(
                "{}: {} computes it from `{v}`: change it there by hand",
                e.dotted(),
                file.display()
            ));
            continue;
        }
        by_file.entry(file.to_path_buf()).or_default().push(e);
    }
    if !why.is_empty() {
        return Err(why.join("\n  "));
    }
    by_file
        .into_iter()
        .map(|(path, edits)| {
            let before = if path == base_path { &base } else { &over };
            let after = apply(before, &edits).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(FileEdit {
                path,
                before: before.clone(),
                after,
            })
        })
        .collect()
}

/// Writes the files, then loads the spec: if it no longer validates, the files are put back as
/// they were and the errors returned.
fn write(dir: &Path, env: &str, files: &[FileEdit]) -> Result<(), CliError> {
    let put = |f: &FileEdit, text: &str| {
        std::fs::write(&f.path, text)
            .map_err(|e| CliError::Failed(format!("{}: {e}", f.path.display())))
    };
    for f in files {
        put(f, &f.after)?;
    }
    if let Err(e) = crate::spec::load_one(dir, env) {
        for f in files {
            put(f, &f.before)?;
        }
        return Err(CliError::Refused(format!(
            "the values would not validate, the spec files are unchanged:\n{e}"
        )));
    }
    Ok(())
}
