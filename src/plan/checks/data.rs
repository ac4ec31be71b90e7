//! What a change that deletes data keeps of it, and which of those need the operator's word.

use super::Context;
use crate::model::Attrs;
use crate::plan::types::*;

/// Data is never deleted silently. A database that a plan replaces always leaves a final
/// snapshot, named in the plan, and in a protected environment (or with deletion protection
/// on) the replacement needs the same `--confirm ENV` as destroy. A deleted database leaves
/// one when it was protected or the operator confirmed.
pub fn data(plan: &mut Plan, cx: &Context<'_>) -> Result<(), PlanErrors> {
    let mut errors = Vec::new();
    for c in &mut plan.changes {
        if !c.address.kind.describe().holds_data {
            continue;
        }
        let Some(Attrs::DbInstance(before)) = &c.before else {
            continue;
        };
        let id = c.id.clone().unwrap_or_else(|| before.identifier.clone());
        let snapshot = || final_snapshot_id(&id, cx.env, cx.now);
        match c.action {
            Action::Replace => {
                let why = match (cx.protected_env, before.deletion_protection) {
                    (true, _) => Some(format!("`{}` is a protected environment", cx.env)),
                    (false, true) => Some("its deletion protection is on".to_owned()),
                    (false, false) => None,
                };
                if let (Some(why), false) = (why, cx.confirmed) {
                    errors.push(PlanError::UnconfirmedDataReplace {
                        address: c.address.clone(),
                        fields: c.forcing_fields(),
                        env: cx.env.to_owned(),
                        why,
                    });
                }
                c.final_snapshot = Some(snapshot());
            }
            Action::Delete => {
                if before.deletion_protection || cx.confirmed {
                    c.final_snapshot = Some(snapshot());
                }
            }
            Action::Create | Action::Update | Action::Forget | Action::NoOp => {}
        }
        if let Some(snapshot) = &c.final_snapshot {
            c.reason = Some(Reason::FinalSnapshot {
                before: c.reason.take().map(Box::new),
                snapshot: snapshot.clone(),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(PlanErrors(errors))
    }
}

/// `{identifier}-final-{env}-{YYYYMMDDHHMMSS}`, made a valid snapshot identifier: letters,
/// digits and single hyphens, starting with a letter, not ending with a hyphen, ≤ 255.
pub fn final_snapshot_id(identifier: &str, env: &str, at: time::OffsetDateTime) -> String {
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    let clean = |s: &str| -> String {
        let mut out = String::new();
        for c in s.chars() {
            let c = if c.is_ascii_alphanumeric() { c } else { '-' };
            if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
                out.push(c);
            }
        }
        out.trim_end_matches('-').to_owned()
    };
    let tail = format!("-final-{}-{stamp}", clean(env));
    let mut head = clean(identifier);
    if !head.starts_with(|c: char| c.is_ascii_alphabetic()) {
        head.insert_str(0, "db-");
    }
    let keep = 255usize.saturating_sub(tail.len());
    head.truncate(keep);
    let head = head.trim_end_matches('-');
    clean(&format!("{head}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, DbInstanceAttrs, Lifecycle, MasterPassword, Ref, StorageType};

    fn db(protected: bool) -> Attrs {
        Attrs::DbInstance(DbInstanceAttrs {
            identifier: "app-staging".into(),
            engine: "postgres".into(),
            engine_version: "16".into(),
            instance_class: "db.t3.micro".into(),
            storage_type: StorageType::Gp3,
            allocated_storage_gb: 20,
            backup_retention_days: 3,
            multi_az: false,
            publicly_accessible: false,
            deletion_protection: protected,
            db_name: "app".into(),
            master_username: "app".into(),
            master_password: MasterPassword::Managed,
            subnet_group: Ref::External("g".into()),
            security_groups: Default::default(),
        })
    }

    fn plan(action: Action, protected: bool) -> Plan {
        let address: Address = "backend.rds".parse().unwrap();
        Plan {
            env: "staging".into(),
            changes: vec![Change {
                address,
                action,
                level: 0,
                depends_on: Default::default(),
                id: Some("app-staging".into()),
                before: Some(db(protected)),
                after: (action == Action::Replace).then(|| db(protected)),
                tags: None,
                fields: vec![FieldChange {
                    field: crate::model::Field::Attr("db_name".into()),
                    before: "app".into(),
                    after: "app2".into(),
                    forces_replacement: true,
                }],
                reason: None,
                lifecycle: Lifecycle::default(),
                final_snapshot: None,
                notes: Vec::new(),
            }],
        }
    }

    fn cx(protected_env: bool, confirmed: bool) -> Context<'static> {
        Context {
            env: "staging",
            protected_env,
            confirmed,
            executing: false,
            now: time::Date::from_calendar_date(2026, time::Month::November, 30)
                .unwrap()
                .with_hms(12, 0, 0)
                .unwrap()
                .assume_utc(),
        }
    }

    #[test]
    fn a_replaced_database_always_leaves_a_final_snapshot_named_in_the_plan() {
        let mut p = plan(Action::Replace, false);
        data(&mut p, &cx(false, false)).unwrap();
        let snapshot = "app-staging-final-staging-20261130120000";
        assert_eq!(p.changes[0].final_snapshot.as_deref(), Some(snapshot));
        let reason = p.changes[0].reason.as_ref().unwrap().to_string();
        assert!(reason.contains(snapshot), "{reason}");
    }

    #[test]
    fn replacing_a_protected_database_needs_confirmation() {
        for (protected_env, protection) in [(true, false), (false, true), (true, true)] {
            let mut p = plan(Action::Replace, protection);
            let err = data(&mut p, &cx(protected_env, false))
                .unwrap_err()
                .to_string();
            assert!(err.contains("--confirm staging"), "{err}");
            let mut p = plan(Action::Replace, protection);
            data(&mut p, &cx(protected_env, true)).unwrap();
            assert!(p.changes[0].final_snapshot.is_some());
        }
    }

    #[test]
    fn a_deleted_database_keeps_a_snapshot_only_when_protected_or_confirmed() {
        for (protection, confirmed, kept) in [
            (false, false, false),
            (true, false, true),
            (false, true, true),
        ] {
            let mut p = plan(Action::Delete, protection);
            data(&mut p, &cx(false, confirmed)).unwrap();
            assert_eq!(p.changes[0].final_snapshot.is_some(), kept);
        }
    }
}
