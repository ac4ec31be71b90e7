//! Elastic Beanstalk platforms: a solution stack names one version of a platform branch
//! (`64bit Amazon Linux 2023 v6.7.2 running Node.js 20` is version 6.7.2 of the branch
//! `Node.js 20 running on 64bit Amazon Linux 2023`, as ListPlatformBranches names it). AWS
//! retires versions as it releases new ones, so a spec names the branch and the plan resolves it
//! to the newest version AWS lists. Pure.
//!
//! Branches move through supported, deprecated and retired ("About Elastic Beanstalk
//! platforms": "Deprecated platform branches continue to receive updates until their retirement
//! date, but aren't recommended for use. Retired platform branches are no longer available for
//! creating new environments"); `ListPlatformBranches` reports each one's state, and AWS
//! publishes retirement dates in its docs only ([`RETIREMENTS`]).

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

/// A branch's support state, as `ListPlatformBranches` reports it (`LifecycleState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Beta,
    Supported,
    Deprecated,
    Retired,
}

impl Lifecycle {
    pub fn parse(state: &str) -> Option<Lifecycle> {
        match state {
            "beta" => Some(Lifecycle::Beta),
            "supported" => Some(Lifecycle::Supported),
            "deprecated" => Some(Lifecycle::Deprecated),
            "retired" => Some(Lifecycle::Retired),
            _ => None,
        }
    }
}

/// One branch as `ListPlatformBranches` summarises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchSummary {
    /// `Node.js 24 running on 64bit Amazon Linux 2023`
    pub name: String,
    /// `Node.js`: the platform the branch is one line of.
    pub platform: String,
    pub lifecycle: Lifecycle,
    /// Larger is newer within the platform (`BranchOrder`).
    pub order: i32,
}

/// Retirement dates AWS has published, by branch: the "End Date" of "Elastic Beanstalk platform
/// versions scheduled for retirement"
/// (https://docs.aws.amazon.com/elasticbeanstalk/latest/platforms/platforms-retiring.html, as
/// it stood in late July 2026). The API gives no date, so these are built in; a deprecated
/// branch not listed here is one whose date AWS had not published then. Update with the page.
pub const RETIREMENTS: &[(&str, &str)] = &[
    (".NET 8 running on 64bit Amazon Linux 2023", "2027-03-31"),
    (".NET 9 running on 64bit Amazon Linux 2023", "2027-03-31"),
    (".NET Core running on 64bit Amazon Linux 2", "2026-06-30"),
    ("Corretto 11 running on 64bit Amazon Linux 2", "2026-06-30"),
    ("Corretto 17 running on 64bit Amazon Linux 2", "2026-06-30"),
    ("Corretto 8 running on 64bit Amazon Linux 2", "2026-06-30"),
    ("Docker running on 64bit Amazon Linux 2", "2026-06-30"),
    ("ECS running on 64bit Amazon Linux 2", "2026-06-30"),
    ("Go 1 running on 64bit Amazon Linux 2", "2026-06-30"),
    (
        "IIS 10.0 running on 64bit Windows Server 2016",
        "2026-09-30",
    ),
    (
        "IIS 10.0 running on 64bit Windows Server Core 2016",
        "2026-09-30",
    ),
    (
        "Node.js 20 running on 64bit Amazon Linux 2023",
        "2026-07-31",
    ),
    ("PHP 8.2 running on 64bit Amazon Linux 2023", "2027-03-31"),
    (
        "Python 3.9 running on 64bit Amazon Linux 2023",
        "2026-07-31",
    ),
    ("Ruby 3.2 running on 64bit Amazon Linux 2023", "2026-07-31"),
    (
        "Tomcat 9 Corretto 11 running on 64bit Amazon Linux 2",
        "2026-06-30",
    ),
    (
        "Tomcat 9 Corretto 8 running on 64bit Amazon Linux 2",
        "2026-06-30",
    ),
];

/// The retirement date AWS published for `branch`, if it did ([`RETIREMENTS`]).
pub fn retirement_date(branch: &str) -> Option<&'static str> {
    RETIREMENTS
        .iter()
        .find(|(b, _)| *b == branch)
        .map(|(_, date)| *date)
}

/// `64bit Amazon Linux 2023` of `Node.js 24 running on 64bit Amazon Linux 2023`.
fn os_of(branch: &str) -> Option<&str> {
    branch.split_once(" running on ").map(|(_, os)| os)
}

/// The branch to move to from `from`: the newest supported branch of its platform, on the same
/// operating system when there is one (a move across systems is a bigger one).
pub fn successor<'a>(from: &BranchSummary, all: &'a [BranchSummary]) -> Option<&'a BranchSummary> {
    let candidates = || {
        all.iter()
            .filter(|b| b.platform == from.platform && b.lifecycle == Lifecycle::Supported)
    };
    let newest = |list: Vec<&'a BranchSummary>| list.into_iter().max_by_key(|b| b.order);
    let same_os: Vec<&BranchSummary> = candidates()
        .filter(|b| os_of(&b.name) == os_of(&from.name))
        .collect();
    newest(same_os).or_else(|| newest(candidates().collect()))
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

    fn branch(name: &str, lifecycle: Lifecycle, order: i32) -> BranchSummary {
        BranchSummary {
            name: name.into(),
            platform: "Node.js".into(),
            lifecycle,
            order,
        }
    }

    #[test]
    fn the_branch_to_move_to_is_the_newest_supported_one_on_the_same_system() {
        let all = [
            branch(
                "Node.js 18 running on 64bit Amazon Linux 2",
                Lifecycle::Retired,
                1,
            ),
            branch(NODE20, Lifecycle::Retired, 3),
            branch(
                "Node.js 22 running on 64bit Amazon Linux 2023",
                Lifecycle::Supported,
                4,
            ),
            branch(
                "Node.js 24 running on 64bit Amazon Linux 2023",
                Lifecycle::Supported,
                5,
            ),
            branch(
                "Node.js 26 running on 64bit Amazon Linux 2023",
                Lifecycle::Beta,
                6,
            ),
            branch(
                "Node.js 26 running on 64bit Amazon Linux 2025",
                Lifecycle::Supported,
                7,
            ),
        ];
        let next = successor(&all[1], &all).unwrap();
        assert_eq!(next.name, "Node.js 24 running on 64bit Amazon Linux 2023");
        // None on its own system: the newest supported one elsewhere.
        let next = successor(&all[0], &all).unwrap();
        assert_eq!(next.name, "Node.js 26 running on 64bit Amazon Linux 2025");
        let mut python = all[1].clone();
        python.platform = "Python".into();
        assert_eq!(successor(&python, &all), None);
        assert_eq!(Lifecycle::parse("deprecated"), Some(Lifecycle::Deprecated));
        assert_eq!(Lifecycle::parse("sunset"), None);
        assert_eq!(retirement_date(NODE20), Some("2026-07-31"));
        assert_eq!(
            retirement_date("Node.js 24 running on 64bit Amazon Linux 2023"),
            None
        );
        assert!(RETIREMENTS.iter().all(|(b, _)| is_branch(b)));
    }
}
