//! Specs: `base.toml` holds the architecture once; each environment file only what differs.

pub mod desired;
pub mod diag;
pub mod layer;
pub mod load;
pub mod lower;
pub mod resolve;
pub mod types;

pub use diag::{Diagnostic, SpecError};
pub use load::{Loaded, environments, load, load_one};
pub use types::EnvSpec;
