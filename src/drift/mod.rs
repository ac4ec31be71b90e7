//! Drift: where live AWS has moved away from what provision last applied, kept apart from what
//! the spec asks for since (the plan). Pure: it compares the three views the planner reads.
//!
//! - **changed**: live differs from the snapshot (someone changed it outside provision);
//! - **missing**: in spec and snapshot, gone from AWS;
//! - **unmanaged**: carries this environment's tags but is in neither spec nor snapshot, or sits
//!   in the environment's VPC without its tags;
//! - **pending**: AWS accepted a change it has not applied yet (converging, not drift);
//! - **spec ahead**: the spec changed since the last apply; `provision plan` shows it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::model::*;
use crate::plan::diff::{field_changes, is_ignored};
use crate::state::Busy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Changed,
    Missing,
    Unmanaged,
    Pending,
    SpecAhead,
}

impl Category {
    /// Whether the finding is drift made outside provision (exit code 2).
    pub fn is_drift(self) -> bool {
        match self {
            Category::Changed | Category::Missing | Category::Unmanaged => true,
            Category::Pending | Category::SpecAhead => false,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Changed => "changed",
            Category::Missing => "missing",
            Category::Unmanaged => "unmanaged",
            Category::Pending => "pending",
            Category::SpecAhead => "spec ahead",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub category: Category,
    pub stack: Option<Stack>,
    /// The resource's address, when it has one (unmanaged resources without tags have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    pub kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What provision last applied (changed), or what AWS is converging to (pending).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    /// What AWS has now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    pub note: String,
    /// How to resolve it.
    pub resolve: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub changed: usize,
    pub missing: usize,
    pub unmanaged: usize,
    pub pending: usize,
    pub spec_ahead: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub env: String,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for f in &self.findings {
            match f.category {
                Category::Changed => s.changed += 1,
                Category::Missing => s.missing += 1,
                Category::Unmanaged => s.unmanaged += 1,
                Category::Pending => s.pending += 1,
                Category::SpecAhead => s.spec_ahead += 1,
            }
        }
        s
    }

    pub fn has_drift(&self) -> bool {
        self.findings.iter().any(|f| f.category.is_drift())
    }
}

struct Builder<'a> {
    env: &'a str,
    out: Vec<Finding>,
}

impl Builder<'_> {
    fn push(
        &mut self,
        category: Category,
        address: &Address,
        id: Option<&str>,
        note: String,
        resolve: String,
    ) {
        self.out.push(Finding {
            category,
            stack: Some(address.stack),
            address: Some(address.clone()),
            kind: address.kind,
            id: id.map(str::to_owned),
            field: None,
            expected: None,
            actual: None,
            note,
            resolve,
        });
    }

    fn apply(&self) -> String {
        format!("`provision apply --env {}`", self.env)
    }
}

pub fn drift(desired: &DesiredState, live: &LiveState, recorded: &RecordedState) -> Report {
    let mut b = Builder {
        env: &desired.env,
        out: Vec::new(),
    };
    let addresses: BTreeSet<&Address> = desired
        .resources
        .keys()
        .chain(live.resources.keys())
        .chain(recorded.resources.keys())
        .collect();
    for address in addresses {
        let d = desired.resources.get(address);
        let l = live.resources.get(address);
        let r = recorded.resources.get(address);
        let ignore = d.map(|d| d.lifecycle.ignore.as_slice()).unwrap_or_default();
        if let (Some(l), Some(r)) = (l, r) {
            changed(&mut b, address, l, r, ignore);
            pending(&mut b, address, l, ignore);
        }
        presence(&mut b, address, d, l, r, ignore);
    }
    duplicates(&mut b, live);
    untagged(&mut b, live);
    b.out.sort_by(|x, y| {
        (x.stack, &x.address, x.category, &x.field, &x.id)
            .cmp(&(y.stack, &y.address, y.category, &y.field, &y.id))
    });
    Report {
        env: desired.env.clone(),
        findings: b.out,
    }
}

/// Where the three views disagree on whether the resource exists, or the spec moved on since
/// the last apply.
fn presence(
    b: &mut Builder<'_>,
    address: &Address,
    d: Option<&DesiredResource>,
    l: Option<&LiveResource>,
    r: Option<&RecordedResource>,
    ignore: &[String],
) {
    match (d, l, r) {
        (Some(d), Some(_), Some(r)) => {
            let fields = spec_fields(&d.attrs, &d.tags, r, ignore);
            if !fields.is_empty() {
                let apply = b.apply();
                b.push(
                    Category::SpecAhead,
                    address,
                    Some(&r.id),
                    format!(
                        "the spec changed since the last apply: {}",
                        fields.join(", ")
                    ),
                    format!("{apply} makes the change (`provision plan` shows it)"),
                );
            }
        }
        (Some(_), Some(l), None) => {
            let apply = b.apply();
            b.push(
                Category::Unmanaged,
                address,
                Some(&l.id),
                "in the spec and in AWS with this environment's tags, but not in state (a run stopped before recording it)".into(),
                format!("{apply} adopts it into state"),
            );
        }
        (Some(_), None, Some(r)) => {
            let apply = b.apply();
            b.push(
                Category::Missing,
                address,
                Some(&r.id),
                format!("recorded as {} but gone from AWS", r.id),
                format!("{apply} creates it again; to be rid of it, remove it from the spec"),
            );
        }
        (Some(_), None, None) => {
            let apply = b.apply();
            b.push(
                Category::SpecAhead,
                address,
                None,
                "new in the spec, not created yet".into(),
                format!("{apply} creates it"),
            );
        }
        (None, Some(l), Some(_)) => {
            let apply = b.apply();
            b.push(
                Category::SpecAhead,
                address,
                Some(&l.id),
                "removed from the spec, still in AWS".into(),
                format!("{apply} deletes it"),
            );
        }
        (None, Some(l), None) => {
            let apply = b.apply();
            b.push(
                Category::Unmanaged,
                address,
                Some(&l.id),
                "carries this environment's ownership tags but is in neither the spec nor state".into(),
                format!("{apply} would delete it; to keep it, add it to the spec or remove its provision:* tags"),
            );
        }
        (None, None, Some(r)) => {
            let apply = b.apply();
            b.push(
                Category::SpecAhead,
                address,
                Some(&r.id),
                "removed from the spec and already gone from AWS".into(),
                format!("{apply} drops it from state"),
            );
        }
        (None, None, None) => {}
    }
}

/// Two live resources under one address: provision refuses to choose.
fn duplicates(b: &mut Builder<'_>, live: &LiveState) {
    for dup in &live.duplicates {
        let apply = b.apply();
        b.push(
            Category::Unmanaged,
            &dup.address,
            Some(&dup.id),
            format!("a second resource carries {}'s ownership tags", dup.address),
            format!("delete the copy that should not exist, or remove its provision:* tags; {apply} refuses until then"),
        );
    }
}

/// Untagged resources in the environment's VPC.
fn untagged(b: &mut Builder<'_>, live: &LiveState) {
    for u in &live.unmanaged {
        b.out.push(Finding {
            category: Category::Unmanaged,
            stack: Some(Stack::Shared),
            address: None,
            kind: u.kind,
            id: Some(u.id.clone()),
            field: None,
            expected: None,
            actual: u.name.clone().map(Value::String),
            note: format!("a {} in the environment's VPC without ownership tags", u.kind),
            resolve: "provision never changes it, but it blocks deleting the VPC: delete it, or describe it in the spec".into(),
        });
    }
}

/// Findings another run can explain are pending, naming the run, never drift. A run records
/// each change only once AWS is done with it (a Beanstalk environment when Ready, a database
/// when available), so while it runs, or when it ran while drift read, its stacks have
/// resources created but not yet recorded, changed but recorded as before, or deleted but still
/// recorded. Untagged resources in the VPC count for a run of any stack: Beanstalk adds its own
/// security groups there, and an emulator may list a new resource a moment before its tags.
/// The commands in `resolve` as they must be typed for state kept with `--state local`: each
/// takes the flag, or it would look for state in S3.
pub fn for_local_state(report: &mut Report) {
    let (from, to) = (
        format!("--env {}", report.env),
        format!("--env {} --state local", report.env),
    );
    for f in &mut report.findings {
        if f.resolve.contains("`provision ") {
            f.resolve = f.resolve.replace(&from, &to);
        }
    }
}

pub fn in_flight(report: &mut Report, busy: &BTreeMap<Stack, Busy>) {
    for f in &mut report.findings {
        let suspect = match f.category {
            Category::Changed | Category::Missing | Category::Unmanaged => true,
            Category::Pending | Category::SpecAhead => false,
        };
        let own = f.stack.and_then(|s| busy.get_key_value(&s));
        let run = match (suspect, &f.address) {
            (false, _) => None,
            (true, Some(_)) => own,
            (true, None) => own.or_else(|| busy.iter().next()),
        };
        let Some((&stack, why)) = run else {
            continue;
        };
        let whose = if f.stack == Some(stack) {
            "this stack".to_owned()
        } else {
            format!("the {stack} stack")
        };
        let what = format!("{} ({})", f.category.label(), f.note);
        (f.note, f.resolve) = match why {
            Busy::Held(h) => (
                format!(
                    "`{}` by {} (pid {}) holds {whose}'s lock since {}, so this may be its work in progress: {what}",
                    h.command,
                    h.who(),
                    h.pid,
                    h.created_at
                ),
                format!(
                    "run drift again once it is done; if no run is going, `provision state unlock --env {} --stack {stack} --force`",
                    report.env
                ),
            ),
            Busy::Moved(Some(h)) => (
                format!(
                    "`{}` by {} (pid {}) changed {whose} while drift read it and has ended since, so this may be its work: {what}",
                    h.command,
                    h.who(),
                    h.pid
                ),
                "run drift again".into(),
            ),
            Busy::Moved(None) => (
                format!(
                    "another run changed {whose}'s state while drift read it, so this may be its work: {what}"
                ),
                "run drift again".into(),
            ),
        };
        f.category = Category::Pending;
    }
}

/// Live against what was last applied: a difference was made outside provision.
fn changed(
    b: &mut Builder<'_>,
    address: &Address,
    l: &LiveResource,
    r: &RecordedResource,
    ignore: &[String],
) {
    let (fields, _) = field_changes(address.kind, &r.attrs, &r.tags, l, Some(r), ignore);
    for f in fields {
        let apply = b.apply();
        b.out.push(Finding {
            category: Category::Changed,
            stack: Some(address.stack),
            address: Some(address.clone()),
            kind: address.kind,
            id: Some(l.id.clone()),
            resolve: format!(
                "{apply} restores {}; to keep {}, change the spec{}",
                crate::plan::render::value(&f.after),
                crate::plan::render::value(&f.before),
                if f.forces_replacement {
                    " (restoring it replaces the resource)"
                } else {
                    ""
                }
            ),
            note: format!("changed outside provision: {}", f.field),
            field: Some(f.field.to_string()),
            expected: Some(f.after),
            actual: Some(f.before),
        });
    }
}

/// Values AWS accepted but has not applied: converging, reported, not drift.
fn pending(b: &mut Builder<'_>, address: &Address, l: &LiveResource, ignore: &[String]) {
    let now = crate::plan::diff::flatten_resource(&l.attrs, &l.tags);
    for (field, value) in &l.pending {
        if is_ignored(field, ignore) || now.get(field) == Some(value) {
            continue;
        }
        b.out.push(Finding {
            category: Category::Pending,
            stack: Some(address.stack),
            address: Some(address.clone()),
            kind: address.kind,
            id: Some(l.id.clone()),
            field: Some(field.clone()),
            expected: Some(value.clone()),
            actual: now.get(field).cloned(),
            note: if field == "status" {
                format!(
                    "AWS is still working on it (status {})",
                    crate::plan::render::value(value)
                )
            } else {
                "AWS has accepted this change and applies it in the maintenance window".into()
            },
            resolve: "nothing to do; it converges on its own".into(),
        });
    }
}

/// Fields where the spec now differs from what was last applied; ignored fields are never
/// planned, so they are not ahead either.
fn spec_fields(attrs: &Attrs, tags: &Tags, r: &RecordedResource, ignore: &[String]) -> Vec<String> {
    let want = crate::plan::diff::flatten_resource(attrs, tags);
    let had = crate::plan::diff::flatten_resource(&r.attrs, &r.tags);
    let keys: BTreeSet<&String> = want.keys().chain(had.keys()).collect();
    keys.into_iter()
        .filter(|k| want.get(*k) != had.get(*k) && !is_ignored(k, ignore))
        .cloned()
        .collect()
}

/// A finding's two lines as text shows them: what and how it differs, then how to resolve it.
pub fn finding_lines(f: &Finding) -> [String; 2] {
    let what = match (&f.address, &f.id) {
        (Some(a), _) => a.to_string(),
        (None, Some(id)) => format!("{} {id}", f.kind),
        (None, None) => f.kind.to_string(),
    };
    let detail = match (&f.field, &f.expected, &f.actual) {
        (Some(field), Some(e), Some(a)) => format!(
            "{field}: expected {}, found {}",
            crate::plan::render::value(e),
            crate::plan::render::value(a)
        ),
        (Some(field), Some(e), None) => {
            format!("{field}: {} pending", crate::plan::render::value(e))
        }
        _ => f.note.clone(),
    };
    [
        format!("  {:<10} {what}: {detail}", f.category.label()),
        format!("             -> {}", f.resolve),
    ]
}

/// Text for people: grouped by stack, one line per finding, then how to resolve it.
pub fn render_text(report: &Report, region: &str) -> String {
    let s = report.summary();
    let mut out = format!(
        "Drift for {} ({region}): {} changed, {} missing, {} unmanaged; {} pending, {} spec ahead\n",
        report.env, s.changed, s.missing, s.unmanaged, s.pending, s.spec_ahead
    );
    let mut by_stack: BTreeMap<Option<Stack>, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_stack.entry(f.stack).or_default().push(f);
    }
    for (stack, findings) in by_stack {
        out.push_str(&format!("\n{}\n", stack.map_or("other", Stack::as_str)));
        for f in findings {
            for line in finding_lines(f) {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    if report.findings.is_empty() {
        out.push_str("\nNo drift: AWS matches the last apply and the spec.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    //! Drift on the real staging spec: live and snapshot start as a clean apply left them.

    use std::path::Path;

    use super::*;

    fn desired() -> DesiredState {
        let loaded =
            crate::spec::load_one(Path::new("specs"), "staging").expect("staging validates");
        crate::spec::desired::build(&loaded.spec)
    }

    fn clean(d: &DesiredState) -> (LiveState, RecordedState) {
        let mut live = LiveState::default();
        let mut rec = RecordedState::default();
        for (a, r) in &d.resources {
            let id = format!("id-{a}");
            live.resources.insert(
                a.clone(),
                LiveResource {
                    id: id.clone(),
                    attrs: r.attrs.clone(),
                    tags: r.tags.clone(),
                    pending: BTreeMap::new(),
                },
            );
            rec.resources.insert(
                a.clone(),
                RecordedResource {
                    id,
                    attrs: r.attrs.clone(),
                    tags: r.tags.clone(),
                    depends_on: r.depends_on(a),
                },
            );
        }
        (live, rec)
    }

    fn at(a: &str) -> Address {
        a.parse().unwrap()
    }

    fn only(report: &Report) -> &Finding {
        assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
        &report.findings[0]
    }

    #[test]
    fn a_clean_apply_has_no_findings() {
        let d = desired();
        let (live, rec) = clean(&d);
        let r = drift(&d, &live, &rec);
        assert!(r.findings.is_empty(), "{:#?}", r.findings);
        assert!(!r.has_drift());
    }

    #[test]
    fn a_hand_change_is_changed_with_expected_and_actual() {
        let d = desired();
        let (mut live, rec) = clean(&d);
        let l = live.resources.get_mut(&at("shared.vpc")).unwrap();
        l.tags.remove("Project");
        let r = drift(&d, &live, &rec);
        let f = only(&r);
        assert_eq!(f.category, Category::Changed);
        assert_eq!(f.field.as_deref(), Some("tags.Project"));
        assert_eq!(f.expected, Some(Value::String("agentpass".into())));
        assert_eq!(f.actual, Some(Value::Null));
        assert!(r.has_drift());
    }

    #[test]
    fn gone_from_aws_is_missing_and_unknown_tagged_is_unmanaged() {
        let d = desired();
        let (mut live, rec) = clean(&d);
        let key = live.resources.remove(&at("shared.api_key")).unwrap();
        live.resources.insert(
            at("shared.security_group.extra"),
            LiveResource {
                id: "sg-x".into(),
                ..key
            },
        );
        live.unmanaged.push(Unmanaged {
            kind: Kind::Subnet,
            id: "subnet-hand".into(),
            name: None,
        });
        let r = drift(&d, &live, &rec);
        let cats: Vec<(Option<String>, Category)> = r
            .findings
            .iter()
            .map(|f| (f.address.as_ref().map(ToString::to_string), f.category))
            .collect();
        assert!(
            cats.contains(&(Some("shared.api_key".into()), Category::Missing)),
            "{cats:?}"
        );
        assert!(
            cats.contains(&(
                Some("shared.security_group.extra".into()),
                Category::Unmanaged
            )),
            "{cats:?}"
        );
        assert!(cats.contains(&(None, Category::Unmanaged)), "{cats:?}");
        assert_eq!(r.summary().missing, 1);
        assert_eq!(r.summary().unmanaged, 2);
    }

    #[test]
    fn converging_is_pending_and_a_newer_spec_is_spec_ahead_neither_is_drift() {
        let mut d = desired();
        let (mut live, rec) = clean(&d);
        live.resources
            .get_mut(&at("backend.beanstalk"))
            .unwrap()
            .pending
            .insert("status".into(), Value::String("Updating".into()));
        d.resources
            .get_mut(&at("shared.vpc"))
            .unwrap()
            .tags
            .insert("Team".into(), "platform".into());
        let r = drift(&d, &live, &rec);
        let s = r.summary();
        assert_eq!(
            (s.pending, s.spec_ahead, s.changed),
            (1, 1, 0),
            "{:#?}",
            r.findings
        );
        assert!(!r.has_drift());
    }

    fn lock(command: &str) -> crate::state::LockInfo {
        crate::state::LockInfo {
            id: "x".into(),
            owner: "ci".into(),
            host: "runner".into(),
            pid: 42,
            command: command.into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            lease_seconds: 900,
            renewed_at: None,
        }
    }

    /// A run destroying backend: its deleted-but-recorded and created-but-unrecorded resources,
    /// and an untagged group in the VPC, are pending; the other stacks' findings stay drift.
    #[test]
    fn what_a_busy_stack_explains_is_pending_naming_the_run() {
        let d = desired();
        let (mut live, rec) = clean(&d);
        live.resources.remove(&at("backend.rds"));
        live.resources.remove(&at("console.beanstalk"));
        live.unmanaged.push(Unmanaged {
            kind: Kind::SecurityGroup,
            id: "sg-new".into(),
            name: None,
        });
        let mut r = drift(&d, &live, &rec);
        assert_eq!(r.summary().missing, 2);
        let busy = BTreeMap::from([(Stack::Backend, Busy::Held(lock("destroy --env staging")))]);
        in_flight(&mut r, &busy);
        let s = r.summary();
        assert_eq!(
            (s.missing, s.pending, s.unmanaged),
            (1, 2, 0),
            "{:#?}",
            r.findings
        );
        let rds = r
            .findings
            .iter()
            .find(|f| f.address == Some(at("backend.rds")))
            .unwrap();
        assert_eq!(rds.category, Category::Pending);
        assert!(
            rds.note.starts_with(
                "`destroy --env staging` by ci@runner (pid 42) holds this stack's lock"
            ),
            "{}",
            rds.note
        );
        assert!(
            rds.note
                .ends_with("missing (recorded as id-backend.rds but gone from AWS)")
        );
        let sg = r.findings.iter().find(|f| f.address.is_none()).unwrap();
        assert!(
            sg.note.contains("holds the backend stack's lock"),
            "{}",
            sg.note
        );
        assert!(
            r.has_drift(),
            "console's missing environment is still drift"
        );

        // A run that ended while drift read, unseen by either reading: pending all the same.
        let mut r = drift(&d, &live, &rec);
        in_flight(
            &mut r,
            &BTreeMap::from([(Stack::Console, Busy::Moved(None))]),
        );
        let env = r
            .findings
            .iter()
            .find(|f| f.address == Some(at("console.beanstalk")))
            .unwrap();
        assert_eq!(env.category, Category::Pending);
        assert!(
            env.note
                .starts_with("another run changed this stack's state while drift read it")
        );
        assert_eq!(env.resolve, "run drift again");
    }
}
