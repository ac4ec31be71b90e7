//! Typed resource addresses: `shared.vpc`, `shared.subnet.public-a`, `backend.rds`. The kinds
//! themselves are in `crate::kinds`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::kinds::Kind;

/// The three stacks of the seed, in deploy order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stack {
    Shared,
    Backend,
    Console,
}

impl Stack {
    pub const ALL: [Stack; 3] = [Stack::Shared, Stack::Backend, Stack::Console];

    pub fn as_str(self) -> &'static str {
        match self {
            Stack::Shared => "shared",
            Stack::Backend => "backend",
            Stack::Console => "console",
        }
    }

    /// Stacks that must be applied before this one (the seed's deploy order).
    pub fn depends_on(self) -> &'static [Stack] {
        match self {
            Stack::Shared => &[],
            Stack::Backend | Stack::Console => &[Stack::Shared],
        }
    }
}

impl Serialize for Stack {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stack {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stack::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown stack `{s}` (expected shared, backend or console)"))
    }
}

/// A resource's identity inside an environment, independent of its AWS id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub stack: Stack,
    pub kind: Kind,
    pub name: Option<String>,
}

impl Address {
    pub fn single(stack: Stack, kind: Kind) -> Self {
        debug_assert!(!kind.is_named(), "{kind} needs a name");
        Address {
            stack,
            kind,
            name: None,
        }
    }

    pub fn named(stack: Stack, kind: Kind, name: impl Into<String>) -> Self {
        debug_assert!(kind.is_named(), "{kind} takes no name");
        Address {
            stack,
            kind,
            name: Some(name.into()),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.stack, self.kind)?;
        if let Some(name) = &self.name {
            write!(f, ".{name}")?;
        }
        Ok(())
    }
}

impl FromStr for Address {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, '.');
        let stack: Stack = parts.next().unwrap_or_default().parse()?;
        let kind_str = parts
            .next()
            .ok_or_else(|| format!("address `{s}` has no kind"))?;
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind_str)
            .ok_or_else(|| format!("address `{s}`: unknown kind `{kind_str}`"))?;
        let name = parts.next().map(str::to_owned);
        match (kind.is_named(), &name) {
            (true, None) => Err(format!("address `{s}`: {kind} needs a name")),
            (false, Some(_)) => Err(format!("address `{s}`: {kind} takes no name")),
            _ => Ok(Address { stack, kind, name }),
        }
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for text in [
            "shared.vpc",
            "shared.subnet.public-a",
            "backend.rds",
            "console.beanstalk",
        ] {
            let a: Address = text.parse().unwrap();
            assert_eq!(a.to_string(), text);
        }
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        assert!("shared.subnet".parse::<Address>().is_err());
        assert!("shared.vpc.extra".parse::<Address>().is_err());
        assert!("frontend.vpc".parse::<Address>().is_err());
        assert!("shared.bucket".parse::<Address>().is_err());
    }

    #[test]
    fn addresses_sort_by_stack_then_kind() {
        let mut v: Vec<Address> = [
            "console.beanstalk",
            "shared.subnet.b",
            "shared.vpc",
            "backend.rds",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        v.sort();
        let got: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "shared.vpc",
                "shared.subnet.b",
                "backend.rds",
                "console.beanstalk"
            ]
        );
    }
}
