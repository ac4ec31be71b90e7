//! Specs: `base.toml` holds the architecture once; each environment file only what differs.
//!
//! Shared modules: `load` (files, parsing), `resolve` (merging layers, with origins), `diag`
//! (located diagnostics), `validate` (the validation context and common checks), `lower`
//! (validation of one environment: the top-level tables, then each topic), `isolation`
//! (between environments), `types` (`EnvSpec`), `desired` (`EnvSpec` -> `DesiredState`).
//!
//! Topics live in `topics/`, one module each (network, security groups, api, database,
//! beanstalk), owning their TOML tables, validation, typed spec and desired resources. A new
//! topic is one file there plus one line in each list of topics: `topics/mod.rs`, the table
//! holding it (`layer::Layer` or a stack table), `types::EnvSpec`, `lower::lower` and
//! `desired::build` (and `isolation` if it holds names environments must not share).

pub mod desired;
pub mod diag;
mod isolation;
pub mod layer;
pub mod load;
pub mod lower;
mod references;
pub mod resolve;
mod topics;
pub mod types;
mod validate;
pub mod write;

pub use desired::platform_branches;
pub use diag::{Diagnostic, SpecError};
pub use load::{Loaded, environments, load, load_one};
pub use types::EnvSpec;
