//! References from a setting to another resource's attribute: `${backend.rds.endpoint}`, alone
//! or inside text (`https://${shared.vpc.id}/x`). The plan resolves them from what AWS runs; a
//! value that exists only once apply has made its resource is "known after apply".

use std::collections::BTreeMap;
use std::fmt;

use super::address::{Address, Kind};
use super::reference::Ref;

/// What other resources may read of each kind, besides `id` (every kind's physical id).
pub fn exposed(kind: Kind) -> &'static [&'static str] {
    kind.describe().exposed
}

/// Whether `${address.attribute}` names something a resource of `kind` has.
pub fn exposes(kind: Kind, attribute: &str) -> bool {
    attribute == "id" || exposed(kind).contains(&attribute)
}

/// Attribute values of resources, by address then attribute name.
pub type Exports = BTreeMap<Address, BTreeMap<String, String>>;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Piece {
    Text(String),
    /// `target` is always [`Ref::Managed`]: a `Ref`, so ordering and replacement cascades see
    /// it like any other reference.
    Attr {
        target: Ref,
        attribute: String,
    },
}

/// A setting's value with references in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Template {
    pub pieces: Vec<Piece>,
}

impl Template {
    /// Whether `text` means to hold a reference (and must parse as a template).
    pub fn wanted(text: &str) -> bool {
        text.contains("${")
    }

    pub fn parse(text: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                pieces.push(Piece::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("`${{` without its closing `}}` in `{text}`"))?;
            pieces.push(reference(&after[..end])?);
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Template { pieces })
    }

    /// The addresses it reads from, with the attribute read.
    pub fn refs(&self) -> impl Iterator<Item = (&Ref, &str)> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Attr { target, attribute } => Some((target, attribute.as_str())),
            Piece::Text(_) => None,
        })
    }

    /// The value, when every reference has one in `known`.
    pub fn render(&self, known: &Exports) -> Option<String> {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Attr { target, attribute } => {
                    let Ref::Managed(a) = target else { return None };
                    out.push_str(known.get(a)?.get(attribute)?);
                }
            }
        }
        Some(out)
    }
}

fn reference(inner: &str) -> Result<Piece, String> {
    let (address, attribute) = inner.trim().rsplit_once('.').ok_or_else(|| {
        format!("`${{{inner}}}` is not a reference: write `${{ADDRESS.ATTRIBUTE}}`, e.g. `${{backend.rds.endpoint}}`")
    })?;
    let address: Address = address
        .parse()
        .map_err(|e| format!("`${{{inner}}}`: {e}"))?;
    if !exposes(address.kind, attribute) {
        let mut names = vec!["id"];
        names.extend(exposed(address.kind));
        return Err(format!(
            "`${{{inner}}}`: kind `{}` has no attribute `{attribute}` (it has: {})",
            address.kind,
            names.join(", ")
        ));
    }
    Ok(Piece::Attr {
        target: Ref::Managed(address),
        attribute: attribute.to_owned(),
    })
}

/// The source text, as written in the spec.
impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.pieces {
            match p {
                Piece::Text(t) => f.write_str(t)?,
                Piece::Attr { target, attribute } => write!(f, "${{{target}.{attribute}}}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_print_and_render() {
        let t =
            Template::parse("postgres://${backend.rds.endpoint}:${backend.rds.port}/x").unwrap();
        assert_eq!(
            t.to_string(),
            "postgres://${backend.rds.endpoint}:${backend.rds.port}/x"
        );
        let rds: Address = "backend.rds".parse().unwrap();
        let attrs: Vec<(String, &str)> = t.refs().map(|(r, a)| (r.to_string(), a)).collect();
        assert_eq!(
            attrs,
            [
                ("backend.rds".to_owned(), "endpoint"),
                ("backend.rds".to_owned(), "port")
            ]
        );
        let mut known = Exports::new();
        known
            .entry(rds.clone())
            .or_default()
            .insert("endpoint".into(), "db.example".into());
        assert_eq!(t.render(&known), None, "port is not known yet");
        known
            .entry(rds)
            .or_default()
            .insert("port".into(), "5432".into());
        assert_eq!(
            t.render(&known).as_deref(),
            Some("postgres://db.example:5432/x")
        );
        let id = Template::parse("${shared.subnet.private-a.id}").unwrap();
        assert_eq!(id.to_string(), "${shared.subnet.private-a.id}");
    }

    #[test]
    fn bad_references_say_what_is_wrong() {
        for (text, says) in [
            ("${backend.rds.endpoint", "without its closing"),
            ("${endpoint}", "not a reference"),
            ("${backend.nothing.endpoint}", "unknown kind `nothing`"),
            (
                "${backend.rds.password}",
                "kind `rds` has no attribute `password`",
            ),
            ("${shared.vpc.endpoint}", "it has: id"),
        ] {
            let e = Template::parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
