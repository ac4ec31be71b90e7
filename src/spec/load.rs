//! Loading: find the files, parse them with spans, merge, validate, and check isolation
//! between environments (`isolation.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::diag::{Diagnostic, Origin, SourceFile, SpecError};
use super::isolation::isolation;
use super::layer::{Layer, S};
use super::lower::lower;
use super::resolve::Files;
use super::types::EnvSpec;

pub const BASE_FILE: &str = "base.toml";
/// Specs are small; anything larger is a mistake, and is refused before parsing.
const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// Environment names are file stems in the specs folder.
pub fn environments(dir: &Path) -> Result<Vec<String>, SpecError> {
    let entries = std::fs::read_dir(dir).map_err(|e| SpecError::Io {
        path: dir.to_owned(),
        message: e.to_string(),
    })?;
    let mut envs: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| p.file_name().is_some_and(|n| n != BASE_FILE))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .collect();
    envs.sort();
    Ok(envs)
}

fn read(path: &Path) -> Result<Arc<SourceFile>, SpecError> {
    let io = |e: std::io::Error| SpecError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let too_large = |len: String| SpecError::Io {
        path: path.to_owned(),
        message: format!("{len} bytes is larger than a spec can be ({MAX_SPEC_BYTES} bytes)"),
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_SPEC_BYTES {
        return Err(too_large(len.to_string()));
    }
    // A pipe or a device (a link to /dev/zero, say) has no size: read no more than a spec can be.
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path).map_err(io)?, MAX_SPEC_BYTES + 1),
        &mut bytes,
    )
    .map_err(io)?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(too_large(format!("more than {MAX_SPEC_BYTES}")));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(path.to_owned(), text)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
            // The key whose value holds the bad byte, as for a parse error.
            let field = field_at(&text, valid);
            let file = SourceFile::new(path.to_owned(), text);
            let origin = Origin {
                file,
                span: valid..valid,
            };
            Err(SpecError::Invalid(vec![Diagnostic::new(
                origin,
                field,
                "not valid UTF-8 (TOML files must be UTF-8)",
            )]))
        }
    }
}

fn parse(file: &Arc<SourceFile>) -> Result<S<Layer>, Diagnostic> {
    toml::from_str::<S<Layer>>(&file.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let origin = Origin {
            file: file.clone(),
            span: span.clone(),
        };
        let field = field_at(&file.text, span.start);
        Diagnostic::new(origin, field, e.message().trim().to_owned())
    })
}

/// The dotted `table.key` written at an offset, for naming the field of a parse error.
fn field_at(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default().trim();
    if line.starts_with('#') {
        return String::new();
    }
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    let key = match line.split_once('=') {
        Some((key, _)) if !line.starts_with('[') => key.trim().to_owned(),
        _ => {
            return line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned();
        }
    };
    match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key,
    }
}

/// One environment, loaded and validated.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub spec: EnvSpec,
    /// Content hash of the files it came from (recorded in snapshots).
    pub files: Vec<Arc<SourceFile>>,
}

pub fn env_file(dir: &Path, env: &str) -> PathBuf {
    dir.join(format!("{env}.toml"))
}

fn check_env_name(dir: &Path, env: &str) -> Result<(), SpecError> {
    let ok = env.starts_with(|c: char| c.is_ascii_lowercase())
        && env.len() <= 32
        && env
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && env != "base";
    if !ok {
        return Err(SpecError::Io {
            path: env_file(dir, env),
            message: format!("`{env}` is not an environment name (lowercase letters, digits, '-')"),
        });
    }
    if !env_file(dir, env).exists() {
        let known = environments(dir).unwrap_or_default();
        return Err(SpecError::Io {
            path: env_file(dir, env),
            message: format!(
                "no spec for environment `{env}` (environments in {}: {})",
                dir.display(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        });
    }
    Ok(())
}

/// Loads one environment without looking at the others.
pub fn load_one(dir: &Path, env: &str) -> Result<Loaded, SpecError> {
    check_env_name(dir, env)?;
    let base = read(&dir.join(BASE_FILE))?;
    let over = read(&env_file(dir, env))?;
    let parsed = (parse(&base), parse(&over));
    let (base_layer, env_layer) = match parsed {
        (Ok(b), Ok(e)) => (b, e),
        (b, e) => {
            return Err(SpecError::Invalid(
                b.err().into_iter().chain(e.err()).collect(),
            ));
        }
    };
    let files = Files {
        base: base.clone(),
        env: over.clone(),
    };
    let spec = lower(env, &base_layer, &env_layer, &files).map_err(SpecError::Invalid)?;
    // Ignored fields must name resources this environment has.
    let desired = super::desired::build(&spec);
    let unknown: Vec<Diagnostic> = spec
        .ignore
        .keys()
        .filter(|a| a.parse().is_ok_and(|a| !desired.resources.contains_key(&a)))
        .filter_map(|a| {
            let field = format!("ignore.{a}");
            let origin = spec.origins.get(&field)?.clone();
            Some(Diagnostic::new(
                origin,
                field,
                format!("no resource `{a}` in this environment"),
            ))
        })
        .chain(super::references::check(&spec, &desired))
        .collect();
    if !unknown.is_empty() {
        return Err(SpecError::Invalid(unknown));
    }
    Ok(Loaded {
        spec,
        files: vec![base, over],
    })
}

/// Loads an environment and checks it against every other environment in the folder: the
/// seed's isolation rules (no overlapping VPCs, nothing secret or named shared between them).
/// Returns warnings for environments that could not be loaded for the comparison.
pub fn load(dir: &Path, env: &str) -> Result<(Loaded, Vec<String>), SpecError> {
    let loaded = load_one(dir, env)?;
    let mut warnings = Vec::new();
    let mut others = BTreeMap::new();
    for other in environments(dir)?.into_iter().filter(|e| e != env) {
        match load_one(dir, &other) {
            Ok(l) => {
                others.insert(other, l.spec);
            }
            Err(_) => warnings.push(format!(
                "skipped the isolation checks against `{other}`: its spec does not validate (run `provision validate --env {other}`)"
            )),
        }
    }
    let diags = isolation(&loaded.spec, others.values());
    if diags.is_empty() {
        Ok((loaded, warnings))
    } else {
        Err(SpecError::Invalid(diags))
    }
}
