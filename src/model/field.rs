//! Typed field paths of a resource: what a plan says changes, so that the executor reads intent
//! from types, never from text. Each path still reads (and serialises) as the dotted text plans
//! have always shown: `cidr`, `master_password.env_var`, `tags.Name`,
//! `settings.aws:ec2:vpc.VPCId`, `deployment`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{Attrs, Tags};

/// Two fields are the same when their text is: equality, order and hash all go by it.
#[derive(Debug, Clone)]
pub enum Field {
    /// An attribute, dotted when nested (`master_password.env_var`).
    Attr(String),
    /// One tag, by key.
    Tag(String),
    /// One Beanstalk option setting.
    Setting { namespace: String, option: String },
    /// No attribute: the API stage must be deployed again (its integration changed).
    Deployment,
}

impl Field {
    /// The field a flattened JSON path names: its segments as serde wrote them.
    pub fn from_segments(segments: &[&str]) -> Field {
        match segments {
            ["tags", key] => Field::Tag((*key).to_owned()),
            ["settings", namespace, option] => Field::Setting {
                namespace: (*namespace).to_owned(),
                option: (*option).to_owned(),
            },
            other => Field::Attr(other.join(".")),
        }
    }

    /// Whether this is the field at `path` (as plans write it) or lies under it.
    pub fn is_under(&self, path: &str) -> bool {
        let text = self.to_string();
        text == path
            || text
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.'))
    }

    /// The tag key, when this is a tag.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Field::Tag(key) => Some(key),
            Field::Attr(_) | Field::Setting { .. } | Field::Deployment => None,
        }
    }

    /// The namespace and option, when this is an option setting.
    pub fn setting(&self) -> Option<(&str, &str)> {
        match self {
            Field::Setting { namespace, option } => Some((namespace, option)),
            Field::Attr(_) | Field::Tag(_) | Field::Deployment => None,
        }
    }
}

impl Field {
    /// The field's text, in pieces (the rest empty): what it displays as, sorts by and
    /// compares with, without building the string.
    fn pieces(&self) -> [&str; 4] {
        match self {
            Field::Attr(path) => [path, "", "", ""],
            Field::Tag(key) => ["tags.", key, "", ""],
            Field::Setting { namespace, option } => ["settings.", namespace, ".", option],
            Field::Deployment => ["deployment", "", "", ""],
        }
    }

    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.pieces().into_iter().flat_map(str::bytes)
    }

    /// The field's text as its non-empty pieces' bytes.
    fn runs(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.pieces()
            .into_iter()
            .map(str::as_bytes)
            .filter(|p| !p.is_empty())
    }

    /// The order of the two fields' texts, a run of equal length at a time: plans sort and
    /// diff thousands of fields, and a byte at a time through iterator adapters was a fifth
    /// of a plan's CPU in the debug builds the tests run.
    fn text_cmp(&self, other: &Field) -> Ordering {
        if let (Field::Attr(a), Field::Attr(b)) = (self, other) {
            return a.cmp(b);
        }
        let (mut left, mut right) = (self.runs(), other.runs());
        let (mut x, mut y): (&[u8], &[u8]) = (&[], &[]);
        loop {
            // Runs are never empty: an empty one after refilling is the end of the text.
            if x.is_empty() {
                x = left.next().unwrap_or_default();
            }
            if y.is_empty() {
                y = right.next().unwrap_or_default();
            }
            if x.is_empty() || y.is_empty() {
                return x.is_empty().cmp(&y.is_empty()).reverse();
            }
            let n = x.len().min(y.len());
            match x[..n].cmp(&y[..n]) {
                Ordering::Equal => (x, y) = (&x[n..], &y[n..]),
                unequal => return unequal,
            }
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces().iter().try_for_each(|p| f.write_str(p))
    }
}

/// The plan's text of a field, read back. Namespaces hold no dots, so the first one after
/// `settings.` ends the namespace.
impl From<&str> for Field {
    fn from(text: &str) -> Field {
        if text == "deployment" {
            return Field::Deployment;
        }
        if let Some(key) = text.strip_prefix("tags.") {
            return Field::Tag(key.to_owned());
        }
        if let Some((namespace, option)) = text
            .strip_prefix("settings.")
            .and_then(|rest| rest.split_once('.'))
        {
            return Field::Setting {
                namespace: namespace.to_owned(),
                option: option.to_owned(),
            };
        }
        Field::Attr(text.to_owned())
    }
}

impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.text_cmp(other) == Ordering::Equal
    }
}

impl Eq for Field {}

impl std::hash::Hash for Field {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes().for_each(|b| state.write_u8(b));
    }
}

/// Fields sort as their text does, so plans list them in the order they always have.
impl Ord for Field {
    fn cmp(&self, other: &Self) -> Ordering {
        self.text_cmp(other)
    }
}

impl PartialOrd for Field {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Whether the field reads as `text`.
impl PartialEq<str> for Field {
    fn eq(&self, text: &str) -> bool {
        self.bytes().eq(text.bytes())
    }
}

impl PartialEq<&str> for Field {
    fn eq(&self, text: &&str) -> bool {
        self == *text
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Field::from(s.as_str()))
    }
}

/// Attributes and tags as field paths to leaf values (arrays stay whole: they are sets).
pub fn flatten(attrs: &Attrs, tags: &Tags) -> BTreeMap<Field, Value> {
    let mut out = BTreeMap::new();
    let mut value = serde_json::to_value(attrs).expect("attributes serialise");
    if let Value::Object(map) = &mut value {
        map.remove("kind");
        // No tags is no field: a resource that lost every tag differs by its tags alone.
        if !tags.is_empty() {
            map.insert(
                "tags".into(),
                serde_json::to_value(tags).expect("tags serialise"),
            );
        }
        walk(&mut Vec::new(), map, &mut out);
    }
    out
}

fn walk<'a>(
    path: &mut Vec<&'a str>,
    map: &'a Map<String, Value>,
    out: &mut BTreeMap<Field, Value>,
) {
    for (k, v) in map {
        path.push(k);
        match v {
            Value::Object(inner) if !inner.is_empty() => walk(path, inner, out),
            other => {
                out.insert(Field::from_segments(path), other.clone());
            }
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_as_the_text_plans_show() {
        for text in [
            "cidr",
            "master_password.env_var",
            "tags.Name",
            "settings.aws:ec2:vpc.VPCId",
            "deployment",
        ] {
            let f = Field::from(text);
            assert_eq!(f.to_string(), text);
            assert!(f == text && f != "other", "{text}");
        }
        assert_eq!(Field::from("tags.Name").tag(), Some("Name"));
        assert_eq!(
            Field::from("settings.aws:ec2:vpc.VPCId").setting(),
            Some(("aws:ec2:vpc", "VPCId"))
        );
        assert!(Field::from("master_password.env_var").is_under("master_password"));
        assert!(!Field::from("master_password_x").is_under("master_password"));
        let mut sorted = [
            Field::from("tags.Name"),
            Field::from("settings.b.X"),
            Field::from("settings.a.Y"),
            Field::Deployment,
            Field::from("cidr"),
        ];
        sorted.sort();
        let text: Vec<String> = sorted.iter().map(ToString::to_string).collect();
        let mut expected = text.clone();
        expected.sort();
        assert_eq!(text, expected);
    }

    #[test]
    fn order_and_equality_are_the_texts_whatever_the_variants() {
        let fields = [
            Field::Attr("tags.Name".into()),
            Field::Tag("Name".into()),
            Field::Tag("Na".into()),
            Field::Tag(String::new()),
            Field::Attr("tags".into()),
            Field::Attr("settings.a.b".into()),
            Field::Setting {
                namespace: "a".into(),
                option: "b".into(),
            },
            Field::Setting {
                namespace: "a".into(),
                option: String::new(),
            },
            Field::Setting {
                namespace: "a.b".into(),
                option: "c".into(),
            },
            Field::Deployment,
            Field::Attr("deployment".into()),
            Field::Attr("deploymentx".into()),
            Field::Attr(String::new()),
        ];
        for a in &fields {
            for b in &fields {
                let (ta, tb) = (a.to_string(), b.to_string());
                assert_eq!(a.cmp(b), ta.cmp(&tb), "{ta:?} vs {tb:?}");
                assert_eq!(a == b, ta == tb, "{ta:?} vs {tb:?}");
            }
        }
    }
}
