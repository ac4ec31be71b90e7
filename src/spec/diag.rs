//! Spec diagnostics: every error names the file, line, column and field, and says what is valid.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A loaded spec file and its line index, for turning byte spans into line:column.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> Arc<Self> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Arc::new(SourceFile {
            path,
            text,
            line_starts,
        })
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, col)
    }
}

/// Where a value came from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
}

impl Origin {
    pub fn path(&self) -> &Path {
        &self.file.path
    }

    pub fn line(&self) -> usize {
        self.file.line_col(self.span.start).0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, col) = self.file.line_col(self.span.start);
        write!(f, "{}:{line}:{col}", self.file.path.display())
    }
}

/// One problem in the specs.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub origin: Origin,
    /// Dotted path of the field, e.g. `network.subnets.public-a.cidr`.
    pub field: String,
    pub message: String,
    /// Other places the problem involves (the other side of an overlap, say).
    pub related: Vec<(Origin, String)>,
}

impl Diagnostic {
    pub fn new(origin: Origin, field: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            origin,
            field: field.into(),
            message: message.into(),
            related: Vec::new(),
        }
    }

    pub fn with_related(mut self, origin: Origin, note: impl Into<String>) -> Self {
        self.related.push((origin, note.into()));
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.origin, self.message)?;
        } else {
            write!(f, "{}: {}: {}", self.origin, self.field, self.message)?;
        }
        for (origin, note) in &self.related {
            write!(f, "\n  {origin}: {note}")?;
        }
        Ok(())
    }
}

/// Everything wrong with a set of specs, reported together.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(diags: &[Diagnostic]) -> String {
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by_key(|d| (d.origin.file.path.clone(), d.origin.span.start));
    let mut out = String::new();
    for (i, d) in sorted.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&d.to_string());
    }
    let n = diags.len();
    out.push_str(&format!(
        "\n{n} error{} in the specs",
        if n == 1 { "" } else { "s" }
    ));
    out
}
