//! The validation context every topic shares: it collects diagnostics and the origins that
//! cross-environment checks need, and checks the value shapes many topics use (names, regions,
//! CIDRs, integer ranges, choices, `{project}`/`{env}` templates).

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use super::diag::{Diagnostic, Origin};
use super::resolve::At;
use super::types::{NetworkSpec, SecurityGroupSpec};
use crate::model::TAG_RUN;

pub(super) struct Cx {
    /// Every problem found so far; checks append and go on.
    pub(super) d: Vec<Diagnostic>,
    /// What `{env}` and `{project}` expand to.
    pub(super) env: String,
    pub(super) project: String,
    /// Where the values cross-environment checks look at were written (`EnvSpec::origins`).
    pub(super) origins: BTreeMap<String, Origin>,
}

/// What a topic may refer to by name: subnets and security groups, checked by their topics'
/// `subnet_refs` and `group_refs`.
pub(super) struct Refs<'a> {
    pub(super) network: &'a NetworkSpec,
    pub(super) groups: &'a BTreeMap<String, SecurityGroupSpec>,
}

impl Cx {
    pub(super) fn remember<T>(&mut self, at: &At<T>) {
        self.origins.insert(at.field.clone(), at.origin.clone());
    }

    /// Expands `{project}` and `{env}` in a name.
    pub(super) fn template(&mut self, at: &At<String>) -> String {
        let out = at
            .value
            .replace("{project}", &self.project)
            .replace("{env}", &self.env);
        if let Some(start) = out.find('{') {
            let end = out[start..].find('}').map_or(out.len(), |e| start + e + 1);
            self.d.push(at.diag(format!(
                "unknown placeholder `{}` (valid: {{project}}, {{env}})",
                &out[start..end]
            )));
        }
        out
    }

    pub(super) fn check_name(&mut self, at: &At<String>, min: usize, max: usize) {
        let v = &at.value;
        let ok = v.len() >= min
            && v.len() <= max
            && v.starts_with(|c: char| c.is_ascii_lowercase())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            self.d.push(at.diag(format!(
                "`{v}` is not a valid name: {min}-{max} characters, lowercase letters, digits and '-', starting with a letter"
            )));
        }
    }

    pub(super) fn check_region(&mut self, at: &At<String>) {
        let parts: Vec<&str> = at.value.split('-').collect();
        let ok = parts.len() == 3
            && parts[0].len() == 2
            && parts.iter().all(|p| !p.is_empty())
            && parts[2].chars().all(|c| c.is_ascii_digit())
            && parts[..2]
                .iter()
                .all(|p| p.chars().all(|c| c.is_ascii_lowercase()));
        if !ok {
            self.d.push(at.diag(format!(
                "`{}` is not an AWS region (e.g. us-east-2)",
                at.value
            )));
        }
    }

    pub(super) fn check_bucket(&mut self, at: &At<String>) {
        let v = &at.value;
        let ok = (3..=63).contains(&v.len())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            self.d.push(at.diag(format!(
                "`{v}` is not a valid S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'"
            )));
        }
    }

    pub(super) fn check_tag(&mut self, key: &str, v: &At<String>) {
        if key.is_empty() || key.len() > 128 {
            self.d.push(v.diag("tag keys are 1-128 characters"));
        }
        if key.starts_with("aws:") || (key.starts_with("provision:") && key != TAG_RUN) {
            self.d.push(v.diag(format!(
                "tag key `{key}` is reserved (`aws:` belongs to AWS, `provision:` to ownership tags; `{TAG_RUN}` is allowed)"
            )));
        }
        if v.value.len() > 256 {
            self.d.push(v.diag("tag values are at most 256 characters"));
        }
    }

    pub(super) fn cidr(&mut self, at: &At<String>, min_prefix: u8, max_prefix: u8) -> Ipv4Net {
        let fallback = Ipv4Net::default();
        let Ok(net) = at.value.parse::<Ipv4Net>() else {
            self.d.push(at.diag(format!(
                "`{}` is not an IPv4 CIDR block (expected e.g. 10.2.0.0/16)",
                at.value
            )));
            return fallback;
        };
        if net.trunc() != net {
            self.d.push(at.diag(format!(
                "`{}` has host bits set; the network is {}",
                at.value,
                net.trunc()
            )));
        }
        if !(min_prefix..=max_prefix).contains(&net.prefix_len()) {
            self.d.push(at.diag(format!(
                "prefix /{} is outside what AWS allows here (/{min_prefix} to /{max_prefix})",
                net.prefix_len()
            )));
        }
        net.trunc()
    }

    pub(super) fn int(&mut self, at: &At<i64>, lo: i64, hi: i64, what: &str) -> u32 {
        if !(lo..=hi).contains(&at.value) {
            self.d
                .push(at.diag(format!("{} is outside {lo}..={hi} {what}", at.value)));
            return lo.max(0) as u32;
        }
        at.value as u32
    }

    pub(super) fn choice<T: Copy>(&mut self, at: &At<String>, options: &[(&str, T)]) -> Option<T> {
        let found = options
            .iter()
            .find(|(n, _)| *n == at.value)
            .map(|(_, v)| *v);
        if found.is_none() {
            let valid: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            self.d.push(at.diag(format!(
                "`{}` is not one of: {}",
                at.value,
                valid.join(", ")
            )));
        }
        found
    }

    pub(super) fn non_empty(&mut self, at: &At<String>) {
        if at.value.trim().is_empty() {
            self.d.push(at.diag("must not be empty"));
        }
    }
}

pub(super) fn unknown<'a>(
    what: &str,
    name: &str,
    known: impl Iterator<Item = &'a String>,
) -> String {
    let known: Vec<&str> = known.map(String::as_str).collect();
    format!(
        "unknown {what} `{name}` (defined: {})",
        if known.is_empty() {
            "none".into()
        } else {
            known.join(", ")
        }
    )
}
