//! The IAM topic: the roles a Beanstalk environment runs with (both stacks hold one set).
//!
//! AWS no longer creates a default instance profile, so an environment launched without one
//! fails (<https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/iam-instanceprofile.html>).
//! Each stack gets an instance role (trusted by EC2, `AWSElasticBeanstalkWebTier`, and for the
//! backend read access to its own database's RDS-managed secret) with an instance profile, and
//! a service role (trusted by Beanstalk, enhanced health and managed updates:
//! <https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/concepts-roles-service.html>). The
//! environment names both in its option settings, as references.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::spec::desired::{Builder, addr};
use crate::spec::layer::S;
use crate::spec::resolve::{At, Pair};
use crate::spec::topics::beanstalk::env_address;
use crate::spec::validate::Cx;

// ---- TOML layer ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamLayer {
    /// The instance role's name; its instance profile is `{instance_role}-profile`.
    pub instance_role: Option<S<String>>,
    pub service_role: Option<S<String>>,
}

// ---- validated spec --------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct IamSpec {
    pub instance_role: String,
    pub service_role: String,
}

impl IamSpec {
    pub fn instance_profile(&self) -> String {
        format!("{}-profile", self.instance_role)
    }
}

// ---- lowering --------------------------------------------------------------------------------

pub(in crate::spec) fn lower(cx: &mut Cx, p: &Pair<'_, IamLayer>, stack: Stack) -> IamSpec {
    let name = |cx: &mut Cx, field: &str, get: fn(&IamLayer) -> Option<&S<String>>, default| {
        let Some(at) = p.opt(field, get) else {
            // Not written: a name of this environment's own.
            return format!("{}-{}-{stack}-{default}", cx.project, cx.env);
        };
        let value = cx.template(&at);
        let at = At { value, ..at };
        // IAM role names are at most 64 characters; the profile's suffix must fit its 128.
        cx.check_name(&at, 1, 64);
        // The read pass finds roles by the project's name at the start of theirs.
        if !at.value.starts_with(&cx.project) {
            let message = format!(
                "`{}` must start with the project name `{}` (provision finds its roles by it)",
                at.value, cx.project
            );
            cx.d.push(at.diag(message));
        } else if !names_env(&at.value, &cx.env) {
            let message = format!(
                "`{}` must name the environment `{}` between dashes, as `{{project}}-{{env}}-…` does \
                 (provision reads only the roles whose name carries it)",
                at.value, cx.env
            );
            cx.d.push(at.diag(message));
        }
        cx.remember(&at);
        at.value
    };
    let instance_role = name(cx, "instance_role", |l| l.instance_role.as_ref(), "ec2");
    let service_role = name(
        cx,
        "service_role",
        |l| l.service_role.as_ref(),
        "eb-service",
    );
    if instance_role == service_role
        && let Some(at) = p.opt("service_role", |l| l.service_role.as_ref())
    {
        cx.d.push(at.diag("the service role must not be the instance role"));
    }
    IamSpec {
        instance_role,
        service_role,
    }
}

// ---- desired state ---------------------------------------------------------------------------

const EC2_TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}],"Version":"2012-10-17"}"#;
/// As the developer guide's iam-servicerole page writes it.
const BEANSTALK_TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"elasticbeanstalk"}},"Effect":"Allow","Principal":{"Service":"elasticbeanstalk.amazonaws.com"}}],"Version":"2012-10-17"}"#;
pub const WEB_TIER: &str = "arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier";
pub const ENHANCED_HEALTH: &str =
    "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth";
pub const MANAGED_UPDATES: &str =
    "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy";
/// The backend instance role's inline policy: its database's master secret.
pub const SECRET_POLICY: &str = "read-database-secret";

/// Read access to the RDS-managed master secret of the DB instance `identifier` only. The
/// secret's ARN is not known at plan time (RDS names it `rds!db-<uuid>`), so the policy scopes
/// by the tag RDS puts on the secret, `aws:rds:primaryDBInstanceArn`, matched on the instance's
/// identifier in any account and region of this partition.
pub fn secret_policy(identifier: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Resource": "arn:aws:secretsmanager:*:*:secret:rds!db-*",
            "Condition": {"StringLike": {
                "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn":
                    format!("arn:aws:rds:*:*:db:{identifier}")
            }}
        }]
    })
    .to_string()
}

/// The stack's roles and profile, and their names in its Beanstalk environment's settings
/// (unless the spec's `settings` name others, e.g. a profile managed elsewhere).
/// `database`: the DB instance whose managed secret the instances may read, if any.
pub(in crate::spec) fn desire(
    b: &mut Builder<'_>,
    stack: Stack,
    iam: &IamSpec,
    database: Option<&str>,
) {
    let instance_role = Address::named(stack, Kind::IamRole, "instance");
    let service_role = Address::named(stack, Kind::IamRole, "service");
    let profile = addr(stack, Kind::InstanceProfile);
    let inline: BTreeMap<String, String> = database
        .map(|id| (SECRET_POLICY.to_owned(), secret_policy(id)))
        .into_iter()
        .collect();
    let role = |name: &str, trust: &str, managed: &[&str], inline| {
        Attrs::IamRole(IamRoleAttrs {
            name: name.to_owned(),
            trust_policy: trust.to_owned(),
            managed_policies: managed.iter().map(|p| (*p).to_owned()).collect(),
            inline_policies: inline,
        })
    };
    b.add(
        instance_role.clone(),
        role(&iam.instance_role, EC2_TRUST, &[WEB_TIER], inline),
    );
    b.add(
        service_role.clone(),
        role(
            &iam.service_role,
            BEANSTALK_TRUST,
            &[ENHANCED_HEALTH, MANAGED_UPDATES],
            BTreeMap::new(),
        ),
    );
    b.add(
        profile.clone(),
        Attrs::InstanceProfile(InstanceProfileAttrs {
            name: iam.instance_profile(),
            role: Ref::Managed(instance_role),
        }),
    );
    b.default_setting(
        &env_address(stack),
        "aws:autoscaling:launchconfiguration",
        "IamInstanceProfile",
        SettingValue::Refs(vec![Ref::Managed(profile)]),
    );
    b.default_setting(
        &env_address(stack),
        "aws:elasticbeanstalk:environment",
        "ServiceRole",
        SettingValue::Refs(vec![Ref::Managed(service_role)]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_policies_are_canonical_json() {
        for doc in [EC2_TRUST, BEANSTALK_TRUST] {
            let v: serde_json::Value = serde_json::from_str(doc).unwrap();
            assert_eq!(v.to_string(), doc);
        }
        let v: serde_json::Value = serde_json::from_str(&secret_policy("db")).unwrap();
        assert_eq!(v.to_string(), secret_policy("db"));
    }
}
