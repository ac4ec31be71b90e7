//! References between resources in option settings (`${backend.rds.endpoint}`): each must name
//! a resource this environment's spec declares, other than the one that holds it.

use super::diag::Diagnostic;
use super::types::EnvSpec;
use crate::model::{Address, Attrs, DesiredState, MasterPassword, Ref, SettingValue};

pub(super) fn check(spec: &EnvSpec, desired: &DesiredState) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (address, r) in &desired.resources {
        let Attrs::BeanstalkEnv(env) = &r.attrs else {
            continue;
        };
        for (ns, options) in &env.settings {
            for (opt, value) in options {
                let SettingValue::Template(t) = value else {
                    continue;
                };
                let field = format!("{}.beanstalk.settings.{ns}.{opt}", address.stack);
                let Some(origin) = spec.origins.get(&field) else {
                    continue;
                };
                for (target, attribute) in t.template.refs() {
                    let Ref::Managed(target) = target else {
                        continue;
                    };
                    let Some(problem) = problem(desired, address, target, attribute) else {
                        continue;
                    };
                    out.push(Diagnostic::new(origin.clone(), field.clone(), problem));
                }
            }
        }
    }
    out
}

/// What is wrong with `holder` reading `${target.attribute}`, if anything.
fn problem(
    desired: &DesiredState,
    holder: &Address,
    target: &Address,
    attribute: &str,
) -> Option<String> {
    let reference = format!("`${{{target}.{attribute}}}`");
    if target == holder {
        return Some(format!("{reference} refers to this environment itself"));
    }
    let Some(r) = desired.resources.get(target) else {
        return Some(format!(
            "{reference}: no resource `{target}` in this environment"
        ));
    };
    // Only a password RDS manages has a secret (ManageMasterUserPassword).
    let unmanaged =
        matches!(&r.attrs, Attrs::DbInstance(db) if db.master_password != MasterPassword::Managed);
    (attribute == "master_secret_arn" && unmanaged).then(|| {
        format!(
            "{reference}: the database's password is not managed by RDS (master_password_env \
             is set), so there is no secret; remove this setting"
        )
    })
}
