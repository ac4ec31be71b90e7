//! The project's spine: addresses, attributes, and the desired/live/recorded views.

pub mod address;
pub mod attrs;
pub mod engine_version;
pub mod field;
pub mod graph;
pub mod kinds;
pub mod monitoring;
pub mod platform;
pub mod properties;
pub mod reads;
pub mod reference;
pub mod state;
pub mod template;

pub use address::{Address, Kind, Stack};
pub use attrs::*;
pub use field::Field;
pub use monitoring::*;
pub use state::*;
pub use template::{Exports, Template};
