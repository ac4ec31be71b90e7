//! Elastic Beanstalk platforms: a solution stack names one version of a platform branch
//! (`64bit Amazon Linux 2023 v6.7.2 running Node.js 20` is version 6.7.2 of the branch
//! `Node.js 20 running on 64bit Amazon Linux 2023`, as ListPlatformBranches names it). AWS
//! retires versions as it releases new ones, so a spec names the branch and the plan resolves it
//! to the newest version AWS lists. Pure.

use std::cmp::Ordering;

/// A solution stack's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolutionStack<'a> {
    /// `Amazon Linux 2023`
    pub os: &'a str,
    /// `6.7.2`
    pub version: &'a str,
    /// `Node.js 20`
    pub platform: &'a str,
}

/// `64bit {os} v{version} running {platform}`, or None for another shape (Windows stacks and
/// old named ones have none of a branch's versions to choose between).
pub fn parse(stack: &str) -> Option<SolutionStack<'_>> {
    let rest = stack.strip_prefix("64bit ")?;
    let (os_version, platform) = rest.split_once(" running ")?;
    let (os, version) = os_version.rsplit_once(" v")?;
    let numeric = version
        .split('.')
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (!os.is_empty() && !platform.is_empty() && numeric).then_some(SolutionStack {
        os,
        version,
        platform,
    })
}

/// The branch a solution stack is a version of.
pub fn branch_of(stack: &str) -> Option<String> {
    parse(stack).map(|s| format!("{} running on 64bit {}", s.platform, s.os))
}

/// Whether `branch` has a branch's shape (`{platform} running on 64bit {os}`).
pub fn is_branch(branch: &str) -> bool {
    branch
        .split_once(" running on 64bit ")
        .is_some_and(|(p, os)| !p.is_empty() && !os.is_empty())
}

/// `a`'s version against `b`'s, numerically (`6.10.0` > `6.9.3`).
fn cmp_versions(a: &str, b: &str) -> Ordering {
    let nums = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    nums(a).cmp(&nums(b))
}

/// The newest of `available` on `branch` (by version number: AWS's list order is not relied on).
pub fn newest<'a>(branch: &str, available: &'a [String]) -> Option<&'a str> {
    available
        .iter()
        .filter(|s| branch_of(s).as_deref() == Some(branch))
        .max_by(|a, b| {
            let (a, b) = (parse(a).map(|s| s.version), parse(b).map(|s| s.version));
            cmp_versions(a.unwrap_or("0"), b.unwrap_or("0"))
        })
        .map(String::as_str)
}

/// Whether stack `a` is a newer version than stack `b` (of any branch: callers compare within one).
pub fn is_newer(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => cmp_versions(a.version, b.version) == Ordering::Greater,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODE20: &str = "Node.js 20 running on 64bit Amazon Linux 2023";

    #[test]
    fn a_stack_is_a_version_of_a_branch() {
        let s = parse("64bit Amazon Linux 2023 v6.7.2 running Node.js 20").unwrap();
        assert_eq!(
            (s.os, s.version, s.platform),
            ("Amazon Linux 2023", "6.7.2", "Node.js 20")
        );
        assert_eq!(
            branch_of("64bit Amazon Linux 2023 v6.7.2 running Node.js 20").as_deref(),
            Some(NODE20)
        );
        assert_eq!(
            branch_of("64bit Amazon Linux 2 v5.11.0 running Node.js 18").as_deref(),
            Some("Node.js 18 running on 64bit Amazon Linux 2")
        );
        assert_eq!(
            parse("64bit Windows Server 2022 v2.19.2 running IIS 10.0")
                .unwrap()
                .os,
            "Windows Server 2022"
        );
        assert!(parse("Node.js 20 running on 64bit Amazon Linux 2023").is_none());
        assert!(parse("64bit Amazon Linux 2023 vX running Node.js 20").is_none());
        assert!(is_branch(NODE20));
        assert!(!is_branch(
            "64bit Amazon Linux 2023 v6.7.2 running Node.js 20"
        ));
    }

    #[test]
    fn the_newest_version_is_chosen_by_number_not_by_order() {
        let available: Vec<String> = [
            "64bit Amazon Linux 2023 v6.9.0 running Node.js 20",
            "64bit Amazon Linux 2023 v6.10.1 running Node.js 20",
            "64bit Amazon Linux 2023 v6.11.0 running Node.js 22",
            "64bit Amazon Linux 2 v5.11.0 running Node.js 20",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            newest(NODE20, &available),
            Some("64bit Amazon Linux 2023 v6.10.1 running Node.js 20")
        );
        assert_eq!(
            newest("Node.js 16 running on 64bit Amazon Linux 2023", &available),
            None
        );
        assert!(is_newer(&available[1], &available[0]));
        assert!(!is_newer(&available[0], &available[1]));
    }
}
