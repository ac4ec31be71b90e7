//! Merging: the environment file over `base.toml`, value by value, remembering where each value
//! came from. Missing required values are reported and replaced by a placeholder so that
//! validation still runs and every problem is reported in one go.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::diag::{Diagnostic, Origin, SourceFile};
use super::layer::*;

/// How the message of a missing required value starts.
pub const MISSING: &str = "missing;";

/// A resolved value and the place it was written.
#[derive(Debug, Clone)]
pub struct At<T> {
    pub value: T,
    pub origin: Origin,
    /// Dotted field path, for messages.
    pub field: String,
}

impl<T> At<T> {
    pub fn diag(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.origin.clone(), self.field.clone(), message)
    }
}

/// The two layers of one table (base and environment), with its path.
pub struct Pair<'a, L> {
    pub base: Option<&'a S<L>>,
    pub env: Option<&'a S<L>>,
    pub path: String,
    files: &'a Files,
}

pub struct Files {
    pub base: Arc<SourceFile>,
    pub env: Arc<SourceFile>,
}

impl Files {
    fn origin(&self, in_env: bool, span: std::ops::Range<usize>) -> Origin {
        let file = if in_env { &self.env } else { &self.base };
        Origin {
            file: file.clone(),
            span,
        }
    }
}

impl<'a, L> Pair<'a, L> {
    /// The environment's own file (where it overrides the base).
    pub fn env_path(&self) -> &std::path::Path {
        &self.files.env.path
    }

    pub fn root(base: &'a S<L>, env: &'a S<L>, files: &'a Files) -> Self {
        Pair {
            base: Some(base),
            env: Some(env),
            path: String::new(),
            files,
        }
    }

    fn join(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Where a missing field should have been written: the table in the environment file,
    /// else in the base, else the environment file's start.
    pub fn table_origin(&self) -> Origin {
        match (self.env, self.base) {
            (Some(e), _) => self.files.origin(true, e.span()),
            (None, Some(b)) => self.files.origin(false, b.span()),
            (None, None) => self.files.origin(true, 0..0),
        }
    }

    pub fn opt<T: Clone + 'a>(
        &self,
        name: &str,
        get: impl Fn(&'a L) -> Option<&'a S<T>>,
    ) -> Option<At<T>> {
        let field = self.join(name);
        let from = |s: &'a S<L>, in_env: bool| {
            get(s.get_ref()).map(|v| At {
                value: v.get_ref().clone(),
                origin: self.files.origin(in_env, v.span()),
                field: field.clone(),
            })
        };
        self.env
            .and_then(|e| from(e, true))
            .or_else(|| self.base.and_then(|b| from(b, false)))
    }

    pub fn req<T: Clone + Default + 'a>(
        &self,
        diags: &mut Vec<Diagnostic>,
        name: &str,
        get: impl Fn(&'a L) -> Option<&'a S<T>>,
    ) -> At<T> {
        self.opt(name, get).unwrap_or_else(|| {
            let field = self.join(name);
            let env_name = self.files.env.path.display();
            let base_name = self.files.base.path.display();
            diags.push(Diagnostic::new(
                self.table_origin(),
                field.clone(),
                format!("{MISSING} set it in {env_name} or {base_name}"),
            ));
            At {
                value: T::default(),
                origin: self.table_origin(),
                field,
            }
        })
    }

    pub fn sub<M>(&self, name: &str, get: impl Fn(&'a L) -> Option<&'a S<M>>) -> Pair<'a, M> {
        Pair {
            base: self.base.and_then(|b| get(b.get_ref())),
            env: self.env.and_then(|e| get(e.get_ref())),
            path: self.join(name),
            files: self.files,
        }
    }

    /// A map of tables, merged by key: an entry in the environment overrides the same entry's
    /// fields in the base; entries only in one layer are taken as they are.
    pub fn entries<M: 'a>(
        &self,
        name: &str,
        get: impl Fn(&'a L) -> &'a BTreeMap<String, S<M>>,
    ) -> BTreeMap<String, Pair<'a, M>> {
        let mut out: BTreeMap<String, Pair<'a, M>> = BTreeMap::new();
        let path = self.join(name);
        for (layer, in_env) in [(self.base, false), (self.env, true)] {
            for (key, value) in layer.map(|l| get(l.get_ref())).into_iter().flatten() {
                let entry = out.entry(key.clone()).or_insert_with(|| Pair {
                    base: None,
                    env: None,
                    path: format!("{path}.{key}"),
                    files: self.files,
                });
                if in_env {
                    entry.env = Some(value)
                } else {
                    entry.base = Some(value)
                }
            }
        }
        out
    }

    /// A map of plain values merged by key (tags, option settings).
    pub fn values<T: Clone + 'a>(
        &self,
        name: &str,
        get: impl Fn(&'a L) -> Option<&'a BTreeMap<String, S<T>>>,
    ) -> BTreeMap<String, At<T>> {
        let mut out = BTreeMap::new();
        let path = self.join(name);
        for (layer, in_env) in [(self.base, false), (self.env, true)] {
            for (key, v) in layer.and_then(|l| get(l.get_ref())).into_iter().flatten() {
                out.insert(
                    key.clone(),
                    At {
                        value: v.get_ref().clone(),
                        origin: self.files.origin(in_env, v.span()),
                        field: format!("{path}.{key}"),
                    },
                );
            }
        }
        out
    }

    /// Turns a spanned list into located items.
    pub fn list<T: Clone>(&self, at: &At<Vec<S<T>>>) -> Vec<At<T>> {
        let in_env = Arc::ptr_eq(&at.origin.file, &self.files.env);
        at.value
            .iter()
            .enumerate()
            .map(|(i, s)| At {
                value: s.get_ref().clone(),
                origin: self.files.origin(in_env, s.span()),
                field: format!("{}[{i}]", at.field),
            })
            .collect()
    }

    pub fn files(&self) -> &'a Files {
        self.files
    }
}
