//! Option settings AWS would refuse, once the plan knows their values: a reference resolved to
//! a value with a character environment properties do not allow (an RDS-managed secret's ARN
//! holds `!`), properties over 4,096 bytes together, a secret that is no ARN. Refused here, the
//! run stops before any change instead of at Beanstalk's answer; a value known only after
//! apply is checked by apply right before it is sent (`apply::references`).

use crate::model::Attrs;
use crate::model::properties::refusals;
use crate::plan::types::{Action, Change, PlanError};

pub fn refused(changes: &[Change]) -> Vec<PlanError> {
    changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Replace))
        .filter_map(|c| match &c.after {
            Some(Attrs::BeanstalkEnv(env)) => Some((c, env)),
            _ => None,
        })
        .flat_map(|(c, env)| {
            refusals(&env.settings)
                .into_iter()
                .map(|problem| PlanError::RefusedSetting {
                    address: c.address.clone(),
                    problem,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::model::properties::{PROPERTIES, Refusal};
    use crate::model::*;
    use crate::plan::diff;
    use crate::plan::types::PlanError;

    const RDS_SECRET: &str =
        "arn:aws:secretsmanager:us-east-2:123456789012:secret:rds!db-0f8e7a6b-AbCdEf";

    fn staging() -> DesiredState {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        let loaded = crate::spec::load::load_one(&dir, "staging").expect("staging validates");
        crate::spec::desired::build(&loaded.spec)
    }

    /// Sets a property of the backend environment.
    fn set(d: &mut DesiredState, option: &str, value: SettingValue) {
        let backend = Address::single(Stack::Backend, Kind::BeanstalkEnv);
        let Attrs::BeanstalkEnv(env) = &mut d.resources.get_mut(&backend).unwrap().attrs else {
            panic!("the backend is a Beanstalk environment")
        };
        env.settings
            .entry(PROPERTIES.to_owned())
            .or_default()
            .insert(option.to_owned(), value);
    }

    fn secret_arn(resolved: Option<&str>) -> SettingValue {
        SettingValue::Template(TemplateValue {
            template: Template::parse("${backend.rds.master_secret_arn}").unwrap(),
            resolved: resolved.map(str::to_owned),
        })
    }

    fn plan(d: &DesiredState) -> Result<crate::plan::Plan, crate::plan::PlanErrors> {
        diff(d, &LiveState::default(), &RecordedState::default())
    }

    #[test]
    fn a_resolved_value_aws_refuses_stops_the_plan() {
        let mut d = staging();
        assert!(plan(&d).is_ok(), "the real spec plans");
        // Known after apply: apply checks it once it is known.
        set(&mut d, "DB_SECRET_ARN", secret_arn(None));
        assert!(plan(&d).is_ok());

        set(&mut d, "DB_SECRET_ARN", secret_arn(Some(RDS_SECRET)));
        let Err(errors) = plan(&d).map(|_| ()) else {
            panic!("planned")
        };
        let errors = errors.0;
        let backend = Address::single(Stack::Backend, Kind::BeanstalkEnv);
        assert_eq!(
            errors,
            [PlanError::RefusedSetting {
                address: backend,
                problem: Refusal::Value {
                    option: "DB_SECRET_ARN".into(),
                    value: RDS_SECRET.into(),
                    refused: '!',
                },
            }]
        );
        let message = errors[0].to_string();
        assert!(message.starts_with("backend.beanstalk: Elastic Beanstalk would refuse aws:elasticbeanstalk:application:environment.DB_SECRET_ARN"), "{message}");
        assert!(
            message.contains(
                "a secret's ARN goes in aws:elasticbeanstalk:application:environmentsecrets"
            ),
            "{message}"
        );
    }

    #[test]
    fn properties_over_4096_bytes_together_stop_the_plan() {
        let mut d = staging();
        set(&mut d, "BIG", SettingValue::Text("x".repeat(4100)));
        let Err(errors) = plan(&d).map(|_| ()) else {
            panic!("planned")
        };
        let errors = errors.0;
        assert!(
            matches!(&errors[..], [PlanError::RefusedSetting { problem: Refusal::TooLarge { bytes }, .. }] if *bytes > 4096),
            "{errors:?}"
        );
    }
}
