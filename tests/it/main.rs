//! Every integration test in one binary, so the AWS SDK is linked once, not once per file.
//! One module per topic (the former `tests/<topic>.rs`, under the same file name here); `support`
//! holds the shared fixtures: an account of its own per test on LocalStack, and what it runs.
//! Run one topic with `cargo test --test it <topic>::` (for example `cargo test --test it network::`).

mod support;

mod apigateway;
mod bad_input;
mod beanstalk;
mod budget;
mod build_profile;
mod cli;
mod code_shape;
mod collisions;
mod cost;
mod cost_plan;
mod destroy;
mod drift;
mod environment;
mod faults;
mod golden;
mod graph;
mod help;
mod iam;
mod import;
mod import_map;
mod json;
mod module_cycles;
mod monitoring;
mod monitoring_spec;
mod network;
mod ownership;
mod pause;
mod profile;
mod promotion;
mod rds;
mod read_calls;
mod read_cuts;
mod recovery;
mod references;
mod refresh;
mod reliability;
mod saved_plan;
mod secrets_path;
mod spec_validation;
mod state_local;
mod state_s3;
mod target;
mod tfstate_corpus;
mod write_spec;
