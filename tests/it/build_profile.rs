//! The debug build's profile (Cargo.toml): dependencies are optimised a little, except the
//! generated AWS service crates, whose optimisation would cost minutes of every cold build.
//! Offline: reads Cargo.toml and Cargo.lock only.

use std::collections::BTreeSet;

use crate::support::root;

fn read_toml(name: &str) -> toml::Table {
    let text = std::fs::read_to_string(root().join(name)).unwrap();
    text.parse()
        .unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
}

/// Every `aws-sdk-*` package the lock file holds, the ones aws-config pulls in included.
fn service_crates(lock: &toml::Table) -> BTreeSet<String> {
    lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .filter(|n| n.starts_with("aws-sdk-"))
        .map(str::to_owned)
        .collect()
}

/// Packages of the dev profile at `level`, by name ("*" for the default of every dependency).
fn at_opt_level(manifest: &toml::Table, level: i64) -> BTreeSet<String> {
    manifest["profile"]["dev"]["package"]
        .as_table()
        .unwrap()
        .iter()
        .filter(|(_, p)| p.get("opt-level").and_then(|l| l.as_integer()) == Some(level))
        .map(|(name, _)| name.clone())
        .collect()
}

#[test]
fn dependencies_are_optimised_but_not_the_generated_service_crates() {
    let manifest = read_toml("Cargo.toml");
    let services = service_crates(&read_toml("Cargo.lock"));
    assert!(services.contains("aws-sdk-ec2"), "{services:?}");
    assert!(at_opt_level(&manifest, 1).contains("*"));
    let unoptimised = at_opt_level(&manifest, 0);
    let missing: Vec<_> = services.difference(&unoptimised).collect();
    assert!(
        missing.is_empty(),
        "add `[profile.dev.package.NAME] opt-level = 0` to Cargo.toml for {missing:?}: a generated \
         service crate at opt-level 1 costs minutes of every cold build"
    );
    let stale: Vec<_> = unoptimised.difference(&services).collect();
    assert!(stale.is_empty(), "not in Cargo.lock any more: {stale:?}");
}
