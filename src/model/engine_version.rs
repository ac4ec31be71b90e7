//! RDS engine versions as the Terraform provider compares them: a spec may pin a major (`16`)
//! or a minor (`16.4`); AWS reports the concrete version it runs (`16.11`), which its automatic
//! minor upgrades move forward. Pure.

use std::cmp::Ordering;

/// How the live version stands against the spec's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Live is the spec's version, or a version under it (`16` matches `16.11`; `16.4` matches
    /// `16.4` and `16.4.1`, not `16.41`).
    Matches,
    /// Live is newer than the spec's (an automatic upgrade moved it): RDS cannot go back, so
    /// nothing is sent; the plan says so in a note.
    Ahead,
    /// The spec's is newer: an upgrade to send.
    Behind,
}

/// Numeric parts (`16.11` -> [16, 11]); a part that is not a number counts as 0.
fn parts(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Whether `a` is newer than `b`, numerically (`16.11` > `16.9`); a prefix is not newer than
/// what extends it (`14` is not newer than `14.22`), as the Terraform provider's
/// `engineVersionIsNewer`.
pub fn is_newer(a: &str, b: &str) -> bool {
    let (a, b) = (parts(a), parts(b));
    let common = a.len().min(b.len());
    match a[..common].cmp(&b[..common]) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => false,
    }
}

pub fn standing(spec: &str, live: &str) -> Standing {
    if live == spec || live.strip_prefix(spec).is_some_and(|r| r.starts_with('.')) {
        Standing::Matches
    } else if is_newer(spec, live) {
        Standing::Behind
    } else {
        Standing::Ahead
    }
}

/// The major version (`16` of `16.11`).
pub fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_prefix_and_numerically() {
        assert_eq!(standing("16", "16.11"), Standing::Matches);
        assert_eq!(standing("16.4", "16.4"), Standing::Matches);
        assert_eq!(standing("16.4", "16.4.1"), Standing::Matches);
        assert_eq!(standing("16.4", "16.41"), Standing::Ahead);
        assert_eq!(standing("16.4", "16.11"), Standing::Ahead);
        assert_eq!(standing("16.11", "16.9"), Standing::Behind);
        assert_eq!(standing("17", "16.11"), Standing::Behind);
        assert_eq!(standing("16", "17.2"), Standing::Ahead);
        // The Terraform provider's cases (hashicorp/terraform-provider-aws#39579).
        assert!(!is_newer("14", "14.22"));
        assert!(!is_newer("14.22", "14.23"));
        assert!(is_newer("14.23", "14.22"));
        assert!(is_newer("15", "14.22"));
        assert_eq!(major("16.11"), "16");
    }
}
