//! Isolation between environments, the seed's rules: no overlapping VPCs, and nothing secret or
//! globally named shared between two environments.

use super::diag::{Diagnostic, Origin};
use super::types::EnvSpec;
use crate::model::MasterPassword;

/// Every way `spec` is not isolated from the other environments.
pub(super) fn isolation<'a>(
    spec: &EnvSpec,
    others: impl Iterator<Item = &'a EnvSpec>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for other in others {
        out.extend(overlapping_vpc(spec, other));
        out.extend(shared_names(spec, other));
        out.extend(shared_password(spec, other));
        out.extend(shared_roles(spec, other));
        out.extend(shared_monitoring(spec, other));
    }
    out
}

fn at(s: &EnvSpec, field: &str) -> Option<Origin> {
    s.origins.get(field).cloned()
}

fn overlapping_vpc(spec: &EnvSpec, other: &EnvSpec) -> Option<Diagnostic> {
    let (a, b) = (spec.network.vpc_cidr, other.network.vpc_cidr);
    if !(a.contains(&b) || b.contains(&a)) {
        return None;
    }
    let (here, there) = (
        at(spec, "network.vpc_cidr")?,
        at(other, "network.vpc_cidr")?,
    );
    Some(
        Diagnostic::new(
            here,
            "network.vpc_cidr",
            format!(
                "{a} overlaps {}'s VPC {b}; environments must be isolated",
                other.env
            ),
        )
        .with_related(there, format!("{}'s VPC is {b}", other.env)),
    )
}

/// Names AWS or the emulator keep per account (or globally) that two environments hold alike.
fn shared_names(spec: &EnvSpec, other: &EnvSpec) -> Vec<Diagnostic> {
    let mut same: Vec<(&str, String, String)> = vec![
        ("api.name", spec.api.name.clone(), other.api.name.clone()),
        (
            "api.api_key_name",
            spec.api.api_key_name.clone(),
            other.api.api_key_name.clone(),
        ),
        (
            "backend.beanstalk.environment",
            spec.backend.environment.clone(),
            other.backend.environment.clone(),
        ),
        (
            "console.beanstalk.environment",
            spec.console.environment.clone(),
            other.console.environment.clone(),
        ),
        (
            "backend.database.identifier",
            spec.database.identifier.clone(),
            other.database.identifier.clone(),
        ),
    ];
    // CNAME prefixes are global in Beanstalk: two environments cannot hold the same one.
    let prefixes = |s: &EnvSpec| {
        [
            s.backend.cname_prefix.clone(),
            s.console.cname_prefix.clone(),
        ]
    };
    for (field, mine) in [
        "backend.beanstalk.cname_prefix",
        "console.beanstalk.cname_prefix",
    ]
    .into_iter()
    .zip(prefixes(spec))
    {
        if let Some(mine) = mine
            && prefixes(other).contains(&Some(mine.clone()))
        {
            same.push((field, mine.clone(), mine));
        }
    }
    let mut out = Vec::new();
    for (field, mine, theirs) in same {
        if mine == theirs
            && let Some(here) = at(spec, field).or_else(|| spec.origins.values().next().cloned())
        {
            out.push(Diagnostic::new(
                here,
                field,
                format!(
                    "`{mine}` is also {}'s; each environment needs its own",
                    other.env
                ),
            ));
        }
    }
    out
}

/// IAM role names are unique in the account, and the seed asks for roles of each environment's
/// own: no role (or the profile named after one) may be another environment's.
fn shared_roles(spec: &EnvSpec, other: &EnvSpec) -> Vec<Diagnostic> {
    let roles = |s: &EnvSpec| {
        [
            (
                "backend.iam.instance_role",
                s.backend_iam.instance_role.clone(),
            ),
            (
                "backend.iam.service_role",
                s.backend_iam.service_role.clone(),
            ),
            (
                "console.iam.instance_role",
                s.console_iam.instance_role.clone(),
            ),
            (
                "console.iam.service_role",
                s.console_iam.service_role.clone(),
            ),
        ]
    };
    let theirs = roles(other);
    let mut out = Vec::new();
    for (field, mine) in roles(spec) {
        let Some((their_field, _)) = theirs.iter().find(|(_, t)| *t == mine) else {
            continue;
        };
        let Some(here) = at(spec, field) else {
            continue;
        };
        let mut d = Diagnostic::new(
            here,
            field,
            format!(
                "IAM role `{mine}` is also {}'s ({their_field}); each environment needs roles of its own",
                other.env
            ),
        );
        if let Some(there) = at(other, their_field) {
            d = d.with_related(there, format!("{} names it here", other.env));
        }
        out.push(d);
    }
    out
}

fn shared_password(spec: &EnvSpec, other: &EnvSpec) -> Option<Diagnostic> {
    let (MasterPassword::EnvVar(mine), MasterPassword::EnvVar(theirs)) = (
        &spec.database.master_password,
        &other.database.master_password,
    ) else {
        return None;
    };
    if mine != theirs {
        return None;
    }
    let field = "backend.database.master_password_env";
    let (here, there) = (at(spec, field)?, at(other, field)?);
    Some(
        Diagnostic::new(
            here,
            field,
            format!(
                "`{mine}` is also {}'s password variable; never share passwords between environments",
                other.env
            ),
        )
        .with_related(there, format!("{} uses it too", other.env)),
    )
}

/// The alarm topic, the alarm names and the dashboard are this environment's alone: a shared
/// name would let one environment's apply overwrite the other's (CloudWatch's put calls
/// overwrite, and a dashboard carries no tags to tell them apart).
fn shared_monitoring(spec: &EnvSpec, other: &EnvSpec) -> Vec<Diagnostic> {
    let names = |s: &EnvSpec| {
        [
            ("monitoring.topic", s.monitoring.topic.clone()),
            ("monitoring.dashboard", s.monitoring.dashboard.clone()),
            ("monitoring.alarm_prefix", s.monitoring.alarm_prefix.clone()),
        ]
    };
    let theirs = names(other);
    let mut out = Vec::new();
    for ((field, mine), (_, their)) in names(spec).into_iter().zip(theirs) {
        if mine != their {
            continue;
        }
        let Some(here) = at(spec, field) else {
            continue;
        };
        let mut d = Diagnostic::new(
            here,
            field,
            format!(
                "`{mine}` is also {}'s; each environment needs its own (put {{env}} in it)",
                other.env
            ),
        );
        if let Some(there) = at(other, field) {
            d = d.with_related(there, format!("{} names it here", other.env));
        }
        out.push(d);
    }
    out
}
