//! Names a plan would create that something else already holds in AWS. A create that meets one
//! fails mid-apply (`DBInstanceAlreadyExists` after the network is built) or, for API Gateway,
//! makes a second API beside the one Terraform still manages; both are knowable before anything
//! changes. Pure: the plan says which names it claims, `aws::names` says who holds them, this
//! module decides which are collisions and how to say so, all of them at once.

use std::fmt;

use std::collections::BTreeMap;

use super::types::{Action, Plan};
use crate::model::{Address, Attrs, Owner, Ref, TAG_ENV, TAG_PROJECT, Tags};

pub use crate::model::kinds::NameKind;

/// A name one of the plan's creates would take.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Claim {
    pub address: Address,
    pub kind: NameKind,
    pub name: String,
    /// Where the name must be unique, when that is narrower than the account and region: a
    /// security group's VPC id.
    pub scope: Option<String>,
}

impl Claim {
    /// The spec field the name comes from: what to change to rename it.
    pub fn spec_field(&self) -> String {
        let stack = self.address.stack;
        match self.kind {
            NameKind::DbInstance => format!("{stack}.database.identifier"),
            NameKind::DbSubnetGroup => format!(
                "{stack}.database.identifier (the group is named after it: `{{identifier}}-subnets`)"
            ),
            NameKind::BeanstalkApp => format!("{stack}.beanstalk.application"),
            NameKind::BeanstalkEnv => format!("{stack}.beanstalk.environment"),
            NameKind::CnamePrefix => format!("{stack}.beanstalk.cname_prefix"),
            NameKind::RestApi => "api.name".into(),
            NameKind::ApiKey => "api.api_key_name".into(),
            NameKind::SecurityGroup => format!(
                "security_groups.{}.name (absent, the group is named `{{project}}-{{env}}-{}`)",
                self.address.name.as_deref().unwrap_or_default(),
                self.address.name.as_deref().unwrap_or_default()
            ),
            NameKind::UsagePlan => {
                "api.name (the usage plan is named after it: `{name}-usage`)".into()
            }
            NameKind::IamRole => match self.address.name.as_deref() {
                Some("service") => format!("{stack}.iam.service_role"),
                _ => format!("{stack}.iam.instance_role"),
            },
            NameKind::InstanceProfile => format!(
                "{stack}.iam.instance_role (the profile is named after it: `{{instance_role}}-profile`)"
            ),
            NameKind::SnsTopic => "monitoring.topic".into(),
            NameKind::Alarm => {
                "monitoring.alarm_prefix (alarms are named `{alarm_prefix}-{alarm}`)".into()
            }
            NameKind::Dashboard => "monitoring.dashboard".into(),
        }
    }

    /// The spec field's path alone, as spec origins key it.
    pub fn spec_path(&self) -> String {
        self.spec_field()
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The names a plan's creates and replacements would take, sorted. A plan without them (a
/// converged one, a destroy) claims nothing, so checking it costs no AWS call. `ids` are the
/// physical ids of what exists (by address): a name unique in a VPC is looked up in that VPC,
/// and claims nothing in a VPC the plan creates (nothing can hold it there yet).
pub fn claims(plan: &Plan, ids: &BTreeMap<Address, String>) -> Vec<Claim> {
    let mut out = Vec::new();
    for c in &plan.changes {
        let creates = match c.action {
            Action::Create | Action::Replace => true,
            Action::Update | Action::Delete | Action::Forget | Action::NoOp => false,
        };
        let Some(after) = c.after.as_ref().filter(|_| creates) else {
            continue;
        };
        let names = after.kind().describe().names;
        if names.is_empty() {
            continue;
        }
        let fields = serde_json::to_value(after).expect("attributes serialise");
        let scope = match after {
            Attrs::SecurityGroup(g) => match &g.vpc {
                Ref::Managed(vpc) => match ids.get(vpc) {
                    Some(id) => Some(id.clone()),
                    None => continue,
                },
                Ref::External(id) => Some(id.clone()),
            },
            _ => None,
        };
        for (kind, field) in names {
            // An absent name (no CNAME prefix: AWS makes a unique one) claims nothing.
            if let Some(name) = fields.get(field).and_then(serde_json::Value::as_str) {
                out.push(Claim {
                    address: c.address.clone(),
                    kind: *kind,
                    name: name.to_owned(),
                    scope: scope.clone(),
                });
            }
        }
    }
    out.sort();
    out
}

/// What holds a claimed name, as AWS answered.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    /// A resource this account can see: its physical id (what `import` takes) and its tags.
    Resource {
        id: String,
        tags: Tags,
        /// More about it, e.g. the application an environment belongs to.
        detail: Option<String>,
    },
    /// Taken by nothing this account can see: a CNAME another account's environment holds.
    Elsewhere { what: String },
}

/// A claimed name held by something that is not this environment's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Collision {
    pub claim: Claim,
    pub holder: Holder,
}

/// The holders that are not this environment's, sorted. One of its own (a resource being
/// replaced under the same name) is no collision: `ours` says whether a holder of a claim's
/// kind, with this id and these tags, is this environment's (its tags, or an id its state
/// recorded with no other owner's tags: `aws::Claims`).
pub fn collisions(
    found: Vec<(Claim, Holder)>,
    ours: impl Fn(&Claim, &str, &Tags) -> bool,
) -> Vec<Collision> {
    let mut out: Vec<Collision> = found
        .into_iter()
        .filter(|(c, h)| match h {
            Holder::Resource { id, tags, .. } => !ours(c, id, tags),
            Holder::Elsewhere { .. } => true,
        })
        .map(|(claim, holder)| Collision { claim, holder })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every collision of a plan: nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Collisions {
    pub owner: Owner,
    pub env: String,
    pub list: Vec<Collision>,
    /// Where each spec field was written (`file:line`), by field path, when known.
    pub origins: std::collections::BTreeMap<String, String>,
}

impl fmt::Display for Collisions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.list.len();
        write!(
            f,
            "{n} name{} this plan would create {} already taken in AWS; nothing was changed",
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" },
        )?;
        for c in &self.list {
            write!(f, "\n{}", self.explain(c))?;
        }
        Ok(())
    }
}

impl Collisions {
    fn explain(&self, c: &Collision) -> String {
        let Claim {
            address,
            kind,
            name,
            ..
        } = &c.claim;
        let field = match self.origins.get(&c.claim.spec_path()) {
            Some(at) => format!("{} ({at})", c.claim.spec_field()),
            None => c.claim.spec_field(),
        };
        let rename = format!("rename it in the spec: {field}");
        let mut lines = vec![format!(
            "  {address}: the {} `{name}` is taken",
            kind.label()
        )];
        match &c.holder {
            Holder::Resource { id, tags, detail } => {
                let what = detail
                    .as_ref()
                    .map_or_else(String::new, |d| format!(" ({d})"));
                match self.owner.other(tags).and(foreign_owner(tags)) {
                    Some(owner) => {
                        lines[0].push_str(&format!(
                            " by {id}{what}, which belongs to another provision environment ({owner})"
                        ));
                        lines.push(format!(
                            "    {rename} (do not import it: that would take it from its environment)"
                        ));
                    }
                    None => {
                        let why = match foreign_owner(tags) {
                            Some(some) => format!(
                                "which carries only some of this environment's provision tags \
                                 ({some}) and is not in its state"
                            ),
                            None => "which has no provision tags: made outside provision, e.g. \
                                     by Terraform"
                                .into(),
                        };
                        lines[0].push_str(&format!(" by {id}{what}, {why}"));
                        lines.push(format!(
                            "    import it: provision import --env {} {address} {id}",
                            self.env
                        ));
                        lines.push(format!("    or {rename}"));
                    }
                }
            }
            Holder::Elsewhere { what } => {
                lines[0].push_str(&format!(" by {what}"));
                lines.push(format!("    {rename}"));
            }
        }
        if !kind.unique() {
            lines.push(
                "    (AWS would take a second one of this name, but one that is not this \
                 environment's is almost certainly the one Terraform manages: import it or \
                 rename yours)"
                    .into(),
            );
        }
        lines.join("\n")
    }
}

/// `provision:project=…, provision:env=…` of a holder tagged by some provision environment.
fn foreign_owner(tags: &Tags) -> Option<String> {
    let parts: Vec<String> = [TAG_PROJECT, TAG_ENV]
        .iter()
        .filter_map(|k| tags.get(*k).map(|v| format!("{k}={v}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attrs, BeanstalkEnvAttrs, RestApiAttrs, Tier};
    use crate::plan::Change;

    fn change(address: &str, action: Action, after: Attrs) -> Change {
        Change {
            address: address.parse().unwrap(),
            action,
            level: 0,
            depends_on: Default::default(),
            id: None,
            before: None,
            after: Some(after),
            tags: None,
            fields: Vec::new(),
            reason: None,
            lifecycle: Default::default(),
            final_snapshot: None,
            notes: Vec::new(),
        }
    }

    fn env(prefix: Option<&str>) -> Attrs {
        Attrs::BeanstalkEnv(BeanstalkEnvAttrs {
            name: "agentpass-console-staging".into(),
            application: crate::model::Ref::External("app".into()),
            solution_stack: "stack".into(),
            tier: Tier::WebServer,
            cname_prefix: prefix.map(str::to_owned),
            settings: Default::default(),
        })
    }

    fn api() -> Attrs {
        Attrs::RestApi(RestApiAttrs {
            name: "agentpass-api-staging".into(),
            description: String::new(),
            endpoint_type: crate::model::EndpointType::Regional,
            api_key_required: true,
        })
    }

    #[test]
    fn only_creates_and_replacements_claim_names() {
        let plan = |action| Plan {
            env: "staging".into(),
            changes: vec![change("shared.api", action, api())],
        };
        for action in [Action::Update, Action::Delete, Action::NoOp] {
            assert!(claims(&plan(action), &ids()).is_empty(), "{action:?}");
        }
        for action in [Action::Create, Action::Replace] {
            assert_eq!(claims(&plan(action), &ids()).len(), 1, "{action:?}");
        }
    }

    #[test]
    fn an_environment_claims_its_cname_prefix_only_when_it_has_one() {
        let plan = |attrs| Plan {
            env: "staging".into(),
            changes: vec![change("console.beanstalk", Action::Create, attrs)],
        };
        let kinds = |p: &Plan| {
            claims(p, &ids())
                .into_iter()
                .map(|c| c.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds(&plan(env(None))), [NameKind::BeanstalkEnv]);
        assert_eq!(
            kinds(&plan(env(Some("agentpass-staging")))),
            [NameKind::BeanstalkEnv, NameKind::CnamePrefix]
        );
    }

    fn ids() -> BTreeMap<Address, String> {
        BTreeMap::new()
    }

    fn group(vpc: &str) -> Attrs {
        Attrs::SecurityGroup(crate::model::SecurityGroupAttrs {
            vpc: vpc
                .parse()
                .map_or_else(|_| Ref::External(vpc.into()), Ref::Managed),
            name: "agentpass-staging-api-link".into(),
            description: "link".into(),
            ingress: Default::default(),
            egress: Default::default(),
        })
    }

    /// A group's name is unique in its VPC: looked up there, and not at all in a VPC that
    /// does not exist yet.
    #[test]
    fn a_security_group_claims_its_name_in_its_vpc() {
        let plan = |vpc| Plan {
            env: "staging".into(),
            changes: vec![change(
                "shared.security_group.api-link",
                Action::Create,
                group(vpc),
            )],
        };
        assert!(claims(&plan("shared.vpc"), &ids()).is_empty());
        let live: BTreeMap<Address, String> =
            [("shared.vpc".parse().unwrap(), "vpc-1".to_owned())].into();
        let found = claims(&plan("shared.vpc"), &live);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, NameKind::SecurityGroup);
        assert_eq!(found[0].scope.as_deref(), Some("vpc-1"));
        assert_eq!(
            claims(&plan("vpc-9"), &ids())[0].scope.as_deref(),
            Some("vpc-9")
        );
        // Where to rename it: the group's `name`, whatever name the spec gave it.
        assert_eq!(found[0].spec_path(), "security_groups.api-link.name");
    }

    fn claim() -> Claim {
        Claim {
            address: "backend.rds".parse().unwrap(),
            kind: NameKind::DbInstance,
            name: "agentpass-staging".into(),
            scope: None,
        }
    }

    fn owner() -> Owner {
        Owner {
            project: "agentpass".into(),
            env: "staging".into(),
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn this_environments_own_holder_is_no_collision_and_others_are_explained() {
        let owner = owner();
        let held = |t: Tags| Holder::Resource {
            id: "agentpass-staging".into(),
            tags: t,
            detail: None,
        };
        let ours = tags(&[(TAG_PROJECT, "agentpass"), (TAG_ENV, "staging")]);
        let production = tags(&[(TAG_PROJECT, "agentpass"), (TAG_ENV, "production")]);
        let found = vec![
            (claim(), held(ours)),
            (claim(), held(production)),
            (claim(), held(tags(&[("Name", "db")]))),
        ];
        let list = collisions(found, |_, _, t| owner.owns(t));
        assert_eq!(list.len(), 2);
        let text = Collisions {
            owner: owner.clone(),
            env: "staging".into(),
            list,
            origins: [(
                "backend.database.identifier".to_owned(),
                "specs/base.toml:95:1".to_owned(),
            )]
            .into(),
        }
        .to_string();
        assert!(text.starts_with("2 names this plan would create are already taken"));
        assert!(text.contains("no provision tags: made outside provision, e.g. by Terraform"));
        assert!(text.contains("provision import --env staging backend.rds agentpass-staging"));
        assert!(text.contains("provision:project=agentpass, provision:env=production"));
        assert!(text.contains("backend.database.identifier (specs/base.toml:95:1)"));
    }

    /// A holder with only some of this environment's tags is ours when state says so (the
    /// caller's verdict); when not, it is explained as such, not as another environment's.
    #[test]
    fn a_holder_with_some_of_this_environments_tags_is_ours_when_recorded() {
        let partial = tags(&[(TAG_PROJECT, "agentpass")]);
        let held = Holder::Resource {
            id: "abc123".into(),
            tags: partial,
            detail: None,
        };
        let recorded = |_: &Claim, id: &str, _: &Tags| id == "abc123";
        assert!(collisions(vec![(claim(), held.clone())], recorded).is_empty());
        let list = collisions(vec![(claim(), held)], |_, _, _| false);
        let text = Collisions {
            owner: owner(),
            env: "staging".into(),
            list,
            origins: Default::default(),
        }
        .to_string();
        assert!(
            text.contains("only some of this environment's provision tags"),
            "{text}"
        );
        assert!(!text.contains("another provision environment"), "{text}");
        assert!(text.contains("provision import --env staging"), "{text}");
    }

    /// Every claim of a plan from empty names a spec field the specs really have.
    #[test]
    fn every_claim_names_a_spec_field_that_exists() {
        let loaded = crate::spec::load_one(std::path::Path::new("specs"), "staging")
            .expect("staging validates");
        let desired = crate::spec::desired::build(&loaded.spec);
        let plan = crate::plan::diff(&desired, &Default::default(), &Default::default()).unwrap();
        // As if the VPC existed: then the groups claim their names too.
        let live: BTreeMap<Address, String> =
            [("shared.vpc".parse().unwrap(), "vpc-1".to_owned())].into();
        let claims = claims(&plan, &live);
        let kinds: std::collections::BTreeSet<NameKind> = claims.iter().map(|c| c.kind).collect();
        assert_eq!(kinds.len(), 14, "{claims:?}");
        for c in &claims {
            assert!(
                loaded.spec.origins.contains_key(&c.spec_path()),
                "{}: {} is not a spec field",
                c.address,
                c.spec_path()
            );
        }
    }

    #[test]
    fn api_gateway_collisions_say_aws_would_allow_them() {
        let c = Collision {
            claim: Claim {
                address: "shared.api".parse().unwrap(),
                kind: NameKind::RestApi,
                name: "agentpass-api-staging".into(),
                scope: None,
            },
            holder: Holder::Resource {
                id: "abc123".into(),
                tags: Tags::new(),
                detail: None,
            },
        };
        let text = Collisions {
            owner: owner(),
            env: "staging".into(),
            list: vec![c],
            origins: Default::default(),
        }
        .to_string();
        assert!(text.contains("AWS would take a second one"), "{text}");
        assert!(text.contains("rename it in the spec: api.name"), "{text}");
    }
}
