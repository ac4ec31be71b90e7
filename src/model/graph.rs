//! Dependency levels: level 0 has no dependencies, level n depends on something at n-1.

use std::collections::{BTreeMap, BTreeSet};

use super::address::Address;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dependency cycle through {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" -> "))]
pub struct CycleError(pub Vec<Address>);

/// Longest-path depth of every node. Edges to addresses outside the graph are ignored (they
/// belong to resources that already exist or to another stack's plan).
pub fn levels(
    edges: &BTreeMap<Address, BTreeSet<Address>>,
) -> Result<BTreeMap<Address, usize>, CycleError> {
    fn visit(
        node: &Address,
        edges: &BTreeMap<Address, BTreeSet<Address>>,
        done: &mut BTreeMap<Address, usize>,
        path: &mut Vec<Address>,
    ) -> Result<usize, CycleError> {
        if let Some(&l) = done.get(node) {
            return Ok(l);
        }
        if let Some(pos) = path.iter().position(|a| a == node) {
            let mut cycle = path[pos..].to_vec();
            cycle.push(node.clone());
            return Err(CycleError(cycle));
        }
        path.push(node.clone());
        let mut level = 0;
        for dep in edges.get(node).into_iter().flatten() {
            if edges.contains_key(dep) {
                level = level.max(visit(dep, edges, done, path)? + 1);
            }
        }
        path.pop();
        done.insert(node.clone(), level);
        Ok(level)
    }

    let mut done = BTreeMap::new();
    for node in edges.keys() {
        visit(node, edges, &mut done, &mut Vec::new())?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn levels_follow_longest_path() {
        let mut edges = BTreeMap::new();
        edges.insert(a("shared.vpc"), BTreeSet::new());
        edges.insert(a("shared.subnet.a"), [a("shared.vpc")].into());
        edges.insert(
            a("shared.nat_gateway.a"),
            [a("shared.subnet.a"), a("shared.vpc")].into(),
        );
        edges.insert(a("backend.rds"), [a("shared.subnet.x")].into()); // outside the graph
        let l = levels(&edges).unwrap();
        assert_eq!(l[&a("shared.vpc")], 0);
        assert_eq!(l[&a("shared.subnet.a")], 1);
        assert_eq!(l[&a("shared.nat_gateway.a")], 2);
        assert_eq!(l[&a("backend.rds")], 0);
    }

    #[test]
    fn cycles_are_named() {
        let mut edges = BTreeMap::new();
        edges.insert(
            a("shared.security_group.x"),
            [a("shared.security_group.y")].into(),
        );
        edges.insert(
            a("shared.security_group.y"),
            [a("shared.security_group.x")].into(),
        );
        let err = levels(&edges).unwrap_err();
        assert!(
            err.to_string()
                .contains("shared.security_group.x -> shared.security_group.y")
        );
    }
}
