//! One module per topic of the spec. Each owns its TOML layer types, their validation and
//! typing (`lower`), its validated types and its part of the desired state (`desire`).
//! A new topic is a file here plus one line in each place that lists the topics (see
//! `spec/mod.rs`).

pub mod api;
pub mod beanstalk;
pub mod database;
pub mod iam;
pub mod monitoring;
pub mod network;
pub mod security_groups;
