//! `provision import --from-terraform [LOCATION]`: reads the Terraform states of the
//! environment (by default the seed's `s3://BUCKET/{shared,backend,console}/ENV/terraform.tfstate`,
//! BUCKET the spec's state bucket), prints how they map onto provision's addresses, and (unless
//! `--dry-run`) imports every mapped resource as `provision import` does one. Terraform's state
//! is only read, never written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::commands::Run;
use super::import::{ImportArgs, check_all, remaining, take_over};
use super::{CliError, Global, Outcome};
use crate::aws::s3::S3Objects;
use crate::cli::output::{Render, pretty};
use crate::import::stated;
use crate::import::terraform::{self, Instance, Mapping};
use crate::model::{Address, Stack};
use crate::plan::render::Style;

/// The JSON form's version: a new key is no change, a renamed or removed one is.
/// Version 2: `leftovers` (resources provision has no kind for) left `unmapped`; an id
/// Terraform marks sensitive is shown as `(sensitive)`.
const FORMAT_VERSION: u32 = 2;

#[derive(Debug, Serialize)]
struct Source {
    location: String,
    terraform_version: String,
    serial: u64,
    lineage: String,
    instances: usize,
}

#[derive(Debug, Serialize)]
struct MappingView<'a> {
    format_version: u32,
    env: &'a str,
    dry_run: bool,
    sources: Vec<Source>,
    #[serde(flatten)]
    mapping: &'a Mapping,
}

impl Render for MappingView<'_> {
    fn text(&self, _: Style) -> String {
        let mut out = String::from("Terraform state read:\n");
        for s in &self.sources {
            out.push_str(&format!(
                "  {} (serial {}, Terraform {}, {} resource instances)\n",
                s.location, s.serial, s.terraform_version, s.instances
            ));
        }
        let m = self.mapping;
        out.push_str(&format!(
            "\nMapped to provision addresses ({}):\n",
            m.mapped.len()
        ));
        let width = m
            .mapped
            .iter()
            .map(|x| x.address.to_string().len())
            .max()
            .unwrap_or(0);
        for x in &m.mapped {
            out.push_str(&format!(
                "  {:<width$}  <- {} ({}), {}\n",
                x.address.to_string(),
                x.tf_address,
                x.shown_id,
                x.evidence
            ));
        }
        out.push_str(&format!("\nLeft unmapped ({}):\n", m.unmapped.len()));
        for u in &m.unmapped {
            out.push_str(&format!("  {}: {}\n", u.tf_address, u.reason));
        }
        out.push_str(&leftovers(&m.leftovers));
        if !m.not_in_terraform.is_empty() {
            out.push_str(&format!(
                "\nIn the spec but in no Terraform state ({}): apply would create them\n",
                m.not_in_terraform.len()
            ));
            for a in &m.not_in_terraform {
                out.push_str(&format!("  {a}\n"));
            }
        }
        if self.dry_run {
            out.push_str("\nDry run: nothing was changed.\n");
        }
        out
    }

    fn json(&self) -> Option<String> {
        pretty(self)
    }
}

/// Terraform's leftovers by state, each with the two ways to be done with it: run in the
/// Terraform configuration that owns that state.
fn leftovers(list: &[terraform::Unmapped]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nTerraform's leftovers ({}): provision has no kind for these. Once provision owns the rest, retire each from Terraform's state and keep it, or delete it:\n",
        list.len()
    );
    let mut by_source: BTreeMap<&str, Vec<&terraform::Unmapped>> = BTreeMap::new();
    for u in list {
        by_source.entry(&u.source).or_default().push(u);
    }
    for (source, items) in by_source {
        out.push_str(&format!("  in the configuration of {source}:\n"));
        for u in items {
            let quoted = format!("'{}'", u.tf_address.replace('\'', r"'\''"));
            out.push_str(&format!(
                "    {}: {}\n      keep:   terraform state rm {quoted}\n      delete: terraform destroy -target={quoted}\n",
                u.tf_address, u.reason
            ));
        }
    }
    out
}

pub async fn from_terraform(
    g: &Global,
    a: &ImportArgs,
    location: &str,
) -> Result<Outcome, CliError> {
    let statements = statements(a)?;
    let s = Run::open(g, &a.run()).await?;
    let refused = |errors: Vec<String>| {
        CliError::Refused(format!(
            "the stated mapping (--map, --map-file) is refused, nothing was changed:\n  {}",
            errors.join("\n  ")
        ))
    };
    let wrong = stated::check_addresses(&statements, &s.desired);
    if !wrong.is_empty() {
        return Err(refused(wrong));
    }
    let (sources, instances) = read_states(&s, location).await?;
    let stated = stated::check(&statements, &instances, &s.desired).map_err(refused)?;
    let s =
        super::write_spec::identities_tf(g, a.writing(&a.run()), s, &instances, &stated).await?;
    let mapping = terraform::map(&instances, &s.desired, &stated);
    let view = MappingView {
        format_version: FORMAT_VERSION,
        env: &s.env,
        dry_run: a.dry_run,
        sources,
        mapping: &mapping,
    };
    if a.dry_run {
        s.out.show(&view);
        return Ok(Outcome::Done);
    }
    s.out.preview(&view);
    let observed = s.observe().await?;
    // What an earlier run imported already is skipped: the migration can be run again.
    let items: BTreeMap<Address, String> = mapping
        .mapped
        .iter()
        .filter(|m| observed.recorded.resources.get(&m.address).map(|r| &r.id) != Some(&m.id))
        .map(|m| (m.address.clone(), m.id.clone()))
        .collect();
    if items.is_empty() {
        s.out
            .note("Every mapped resource is recorded already: nothing to import.\n");
    } else {
        let refused = check_all(&s, &observed, &items).await?;
        if !refused.is_empty() {
            return Err(CliError::Refused(format!(
                "nothing was imported: {} of the {} mapped resources cannot be\n{}",
                refused.len(),
                items.len(),
                refused.join("\n")
            )));
        }
        take_over(&s, &observed, &items, "import").await?;
    }
    remaining(&s, &a.run()).await
}

/// The correspondences stated with `--map` and `--map-file`, read before anything else.
fn statements(a: &ImportArgs) -> Result<Vec<stated::Statement>, CliError> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for arg in &a.map {
        match stated::from_arg(arg) {
            Ok(s) => out.push(s),
            Err(e) => errors.push(e),
        }
    }
    if let Some(path) = &a.map_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))?;
        match stated::from_file(&path.display().to_string(), &text) {
            Ok(s) => out.extend(s),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(CliError::Refused(format!(
            "the stated mapping (--map, --map-file) is malformed:\n  {}",
            errors.join("\n  ")
        )))
    }
}

/// Every state the location holds, parsed: (where each was read, all instances).
async fn read_states(s: &Run, location: &str) -> Result<(Vec<Source>, Vec<Instance>), CliError> {
    let texts = if location.is_empty() || location.starts_with("s3://") {
        read_s3(s, location).await?
    } else {
        read_local(&s.env, Path::new(location))?
    };
    let mut sources = Vec::new();
    let mut instances = Vec::new();
    for (name, text) in texts {
        let parsed =
            terraform::parse(&name, &text).map_err(|e| CliError::Refused(e.to_string()))?;
        sources.push(Source {
            location: name,
            terraform_version: parsed.terraform_version,
            serial: parsed.serial,
            lineage: parsed.lineage,
            instances: parsed.instances.len(),
        });
        instances.extend(parsed.instances);
    }
    Ok((sources, instances))
}

/// The seed's keys in a bucket, or the one key given: (s3://bucket/key, text).
async fn read_s3(s: &Run, location: &str) -> Result<Vec<(String, String)>, CliError> {
    let rest = location.strip_prefix("s3://").unwrap_or_default();
    let (bucket, key) = match rest.split_once('/') {
        Some((b, k)) => (b, k),
        None => (rest, ""),
    };
    let bucket = if bucket.is_empty() {
        s.bucket.as_str()
    } else {
        bucket
    };
    let keys: Vec<String> = if key.is_empty() {
        Stack::ALL
            .iter()
            .map(|stack| format!("{stack}/{}/terraform.tfstate", s.env))
            .collect()
    } else {
        vec![key.to_owned()]
    };
    let objects = S3Objects::new(s.aws.s3.clone(), bucket, &s.bucket_region);
    let mut out = Vec::new();
    for key in &keys {
        let name = format!("s3://{bucket}/{key}");
        match objects.get(key).await? {
            Some(o) => out.push((name, String::from_utf8_lossy(&o.body).into_owned())),
            None => s.out.note(&format!("no Terraform state at {name}\n")),
        }
    }
    if out.is_empty() {
        return Err(CliError::Refused(format!(
            "no Terraform state found in s3://{bucket} (looked for {})",
            keys.join(", ")
        )));
    }
    Ok(out)
}

/// A .tfstate file, or a folder: the seed's `{stack}/{env}/terraform.tfstate` under it, and any
/// `*.tfstate` directly in it.
fn read_local(env: &str, path: &Path) -> Result<Vec<(String, String)>, CliError> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| CliError::Refused(format!("{}: {e}", p.display())))
    };
    if !path.is_dir() {
        return Ok(vec![(path.display().to_string(), read(path)?)]);
    }
    let mut files: Vec<PathBuf> = Stack::ALL
        .iter()
        .map(|stack| {
            path.join(stack.as_str())
                .join(env)
                .join("terraform.tfstate")
        })
        .filter(|p| p.is_file())
        .collect();
    let mut top: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "tfstate"))
        .collect();
    top.sort();
    files.extend(top);
    if files.is_empty() {
        return Err(CliError::Refused(format!(
            "{}: no Terraform state in it (looked for {{shared,backend,console}}/{env}/terraform.tfstate and *.tfstate)",
            path.display()
        )));
    }
    files
        .iter()
        .map(|p| Ok((p.display().to_string(), read(p)?)))
        .collect()
}
