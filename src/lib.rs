//! `provision`: owns an application's AWS infrastructure, environment by environment.
//!
//! Data flows one way: specs -> [`spec`] -> desired state; AWS -> live state; both (with the last
//! snapshot) -> [`plan::diff`] -> a plan that is printed, serialised and executed.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod cost;
pub mod drift;
pub mod engine;
pub mod envdiff;
pub mod graph;
pub mod import;
pub mod kinds;
pub mod markdown;
pub mod model;
pub mod pause;
pub mod plan;
pub mod spec;
pub mod state;
