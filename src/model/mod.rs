//! The project's spine: addresses, attributes, and the desired/live/recorded views.

pub mod address;
pub mod attrs;
pub mod graph;
pub mod state;

pub use address::{Address, Kind, Stack};
pub use attrs::*;
pub use state::*;
