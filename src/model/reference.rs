//! References from one resource to another, in a module of their own: attributes, templates
//! and monitoring all use them, and none of those may depend on another through them (no cycle
//! between `attrs`, `template` and `monitoring`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::address::Address;

/// A reference to another resource: one this environment manages, or an id it does not know.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ref {
    Managed(Address),
    External(String),
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ref::Managed(a) => write!(f, "{a}"),
            Ref::External(id) => f.write_str(id),
        }
    }
}

impl Serialize for Ref {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ref {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(s.parse().map(Ref::Managed).unwrap_or(Ref::External(s)))
    }
}
