//! The description of a kind lives with the kind, in `crate::kinds`; this re-exports its types
//! for the planner, renderer and checks.

pub use crate::kinds::{Description, NameKind, Normalise, Shown};
