//! Taking over what exists: the pure half of `provision import` and `provision state rm`
//! (what an id must look like, which tags say whose a resource is, what is recorded), and the
//! mapping of a Terraform state onto provision's addresses ([`terraform`]). The AWS half is in
//! `aws::import`; the commands in `cli::import` and `cli::state_rm`.

mod infer;
pub mod stated;
pub mod terraform;
mod ties;

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::ids::{address_of, other_owner};
use crate::model::{
    Address, Attrs, DesiredResource, Kind, LiveResource, LiveState, Owner, RecordedState,
    TAG_ADDRESS, TAG_ENV, TAG_PROJECT, TAG_STACK, Tags,
};
use crate::plan::diff::field_changes;
use crate::plan::types::FieldChange;

/// The four ownership tags, the only tags import sets (the rest is the plan's business).
pub const OWNERSHIP_TAGS: [&str; 4] = [TAG_PROJECT, TAG_ENV, TAG_STACK, TAG_ADDRESS];

/// The prefix AWS gives ids of an EC2 kind; `None` for kinds whose id is a name or an
/// unprefixed id.
pub fn id_prefix(kind: Kind) -> Option<&'static str> {
    kind.describe().id_prefix
}

/// What an id given for `kind` must look like, checked before any AWS call: an EC2 id of
/// another kind is refused naming the kind it is; composite ids must have their parts.
pub fn check_id(kind: Kind, id: &str) -> Result<(), String> {
    if id.trim().is_empty() || id.chars().any(char::is_whitespace) {
        return Err(format!("`{id}` is not an id: it is empty or has spaces"));
    }
    if let Some(prefix) = id_prefix(kind) {
        if id.starts_with(prefix) {
            return Ok(());
        }
        let other = Kind::ALL
            .into_iter()
            .find(|k| id_prefix(*k).is_some_and(|p| id.starts_with(p)));
        return Err(match other {
            Some(other) => format!(
                "`{id}` is the id of a {other}, not of a {kind} (a {kind}'s id starts with `{prefix}`)"
            ),
            None => format!("`{id}` is not the id of a {kind}: it starts with `{prefix}`"),
        });
    }
    match kind.describe().id_shape {
        Some((shape, parts)) if id.split('/').filter(|p| !p.is_empty()).count() != parts => Err(
            format!("`{id}` is not the id of a {kind}: it is written {shape}"),
        ),
        Some(_) => Ok(()),
        None if id.contains('/') => Err(format!("`{id}` is not the id of a {kind}: no `/` in it")),
        None => Ok(()),
    }
}

/// Why the resource under an id may not be imported at `address`, from the tags it carries.
pub fn refusal(owner: &Owner, address: &Address, tags: &Tags) -> Option<String> {
    if let Some(other) = other_owner(owner, tags) {
        return Some(format!(
            "it carries the ownership tags of {other}: it belongs to another provision project or environment, and importing it would take it from there"
        ));
    }
    match address_of(tags) {
        // An integration answers with its REST API's tags, a subscription with its topic's.
        _ if address.kind.describe().borrows_tags => None,
        Some(a) if owner.owns(tags) && a != *address => Some(format!(
            "it is already this environment's {a} (its `{TAG_ADDRESS}` tag says so)"
        )),
        _ => None,
    }
}

/// Why `id` may not be imported at `address` because it is managed already: state records it
/// (or another id) there or records it at another address, or another resource carries the
/// address's ownership tags. `env` names the environment in the `state rm` advice.
pub fn already_managed(
    recorded: &RecordedState,
    live: &LiveState,
    env: &str,
    address: &Address,
    id: &str,
) -> Option<String> {
    if let Some(r) = recorded.resources.get(address) {
        return Some(if r.id == id {
            "already managed: state records it".into()
        } else {
            format!(
                "already managed: state records {} there (`provision state rm --env {env} {address}` forgets it first)",
                r.id
            )
        });
    }
    if let Some((other, _)) = recorded
        .resources
        .iter()
        .find(|(a, r)| r.id == id && a.kind == address.kind)
    {
        return Some(format!("already managed as {other}"));
    }
    live.resources
        .get(address)
        .filter(|l| l.id != id)
        .map(|l| format!("already managed: {} carries its ownership tags", l.id))
}

/// The REST APIs one import takes over: an integration may be imported along with its API.
pub fn apis_imported(items: &BTreeMap<Address, String>) -> BTreeSet<&str> {
    items
        .iter()
        .filter(|(a, _)| {
            Kind::ALL
                .iter()
                .any(|k| k.describe().owned_through == Some(a.kind))
        })
        .map(|(_, id)| id.as_str())
        .collect()
}

/// Whether what `id` holds may be imported at `address`, from its tags: not with another's
/// ownership tags nor as another address of this environment ([`refusal`]); and an integration,
/// which has no tags of its own, only when its REST API is this environment's or comes with it
/// (`apis`, [`apis_imported`]).
pub fn eligible(
    owner: &Owner,
    address: &Address,
    id: &str,
    tags: &Tags,
    apis: &BTreeSet<&str>,
) -> Result<(), String> {
    if let Some(why) = refusal(owner, address, tags) {
        return Err(why);
    }
    let api = id.split('/').next().unwrap_or_default();
    let through_api = address.kind.describe().owned_through.is_some();
    if through_api && !owner.owns(tags) && !apis.contains(api) {
        return Err(
            "its REST API is not this environment's: import the API (shared.api) first".into(),
        );
    }
    Ok(())
}

/// The ownership tags of `address` in this environment.
pub fn ownership(owner: &Owner, address: &Address) -> Tags {
    [
        (TAG_PROJECT, owner.project.clone()),
        (TAG_ENV, owner.env.clone()),
        (TAG_STACK, address.stack.to_string()),
        (TAG_ADDRESS, address.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// What import records: the live attributes, except that a Beanstalk environment keeps only
/// the settings the spec declares. Recorded settings count as declared by the last apply, and
/// every option AWS knows would otherwise be planned for removal.
pub fn recorded_attrs(live: &Attrs, desired: &Attrs) -> Attrs {
    match (live, desired) {
        (Attrs::BeanstalkEnv(l), Attrs::BeanstalkEnv(d)) => {
            let mut out = l.clone();
            for (ns, options) in &mut out.settings {
                options.retain(|name, _| d.settings.get(ns).is_some_and(|o| o.contains_key(name)));
            }
            out.settings.retain(|_, options| !options.is_empty());
            Attrs::BeanstalkEnv(out)
        }
        _ => live.clone(),
    }
}

/// Why the resource found at `address` is not the one the spec describes: the fields that would
/// force replacing it (another CIDR, name, engine …), live value first. Applying such an import
/// would delete the resource, so it is refused.
pub fn mismatch(address: &Address, d: &DesiredResource, l: &LiveResource) -> Vec<String> {
    replacing_changes(address, d, l)
        .into_iter()
        .map(|f| format!("{} is {} where the spec has {}", f.field, f.before, f.after))
        .collect()
}

/// The changes between the spec and what was found that force a replacement. References are
/// left out: they name other resources, which may be imported after this one (and `--write-spec`
/// writes only what the spec states itself).
pub fn replacing_changes(
    address: &Address,
    d: &DesiredResource,
    l: &LiveResource,
) -> Vec<FieldChange> {
    let (fields, _) = field_changes(
        address.kind,
        &d.attrs,
        &d.tags,
        l,
        None,
        &d.lifecycle.ignore,
    );
    let refs: Vec<String> = d
        .attrs
        .field_refs()
        .into_iter()
        .map(|(f, _)| f.to_string())
        .collect();
    fields
        .into_iter()
        .filter(|f| f.forces_replacement && !refs.iter().any(|r| f.field.is_under(r)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_ids_of_another_kind_are_named() {
        assert!(check_id(Kind::Vpc, "vpc-0abc").is_ok());
        let e = check_id(Kind::Vpc, "subnet-0abc").unwrap_err();
        assert!(e.contains("the id of a subnet, not of a vpc"), "{e}");
        let e = check_id(Kind::Subnet, "i-123").unwrap_err();
        assert!(e.contains("starts with `subnet-`"), "{e}");
    }

    #[test]
    fn composite_ids_need_their_parts() {
        assert!(check_id(Kind::ApiStage, "abc123/staging").is_ok());
        assert!(check_id(Kind::ApiStage, "abc123").is_err());
        assert!(check_id(Kind::ApiIntegration, "abc/res1/ANY").is_ok());
        assert!(check_id(Kind::ApiIntegration, "abc/res1").is_err());
        assert!(check_id(Kind::DbInstance, "a/b").is_err());
        assert!(check_id(Kind::DbInstance, "").is_err());
        assert!(check_id(Kind::DbInstance, "agentpass-staging").is_ok());
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn foreign_owners_and_other_addresses_are_refused() {
        let owner = Owner {
            project: "agentpass".into(),
            env: "staging".into(),
        };
        let vpc: Address = "shared.vpc".parse().unwrap();
        assert_eq!(refusal(&owner, &vpc, &tags(&[("Name", "x")])), None);
        let prod = tags(&[(TAG_PROJECT, "agentpass"), (TAG_ENV, "production")]);
        let why = refusal(&owner, &vpc, &prod).unwrap();
        assert!(why.contains("agentpass/production"), "{why}");
        let mut ours = ownership(&owner, &"shared.subnet.public-a".parse().unwrap());
        let why = refusal(&owner, &vpc, &ours).unwrap();
        assert!(why.contains("shared.subnet.public-a"), "{why}");
        ours.insert(TAG_ADDRESS.into(), "shared.vpc".into());
        assert_eq!(refusal(&owner, &vpc, &ours), None);
    }

    #[test]
    fn an_integration_comes_with_its_api_or_after_it() {
        let owner = Owner {
            project: "agentpass".into(),
            env: "staging".into(),
        };
        let integration: Address = "backend.api_integration".parse().unwrap();
        let id = "abc123/res1/ANY";
        // Its API is nobody's yet: refused alone, taken with the API in the same import.
        let untagged = tags(&[]);
        let why = eligible(&owner, &integration, id, &untagged, &BTreeSet::new()).unwrap_err();
        assert!(why.contains("import the API (shared.api) first"), "{why}");
        let with_api = BTreeSet::from(["abc123"]);
        assert_eq!(
            eligible(&owner, &integration, id, &untagged, &with_api),
            Ok(())
        );
        // Its API is this environment's already (the integration answers with the API's tags).
        let api_tags = ownership(&owner, &"shared.api".parse().unwrap());
        assert_eq!(
            eligible(&owner, &integration, id, &api_tags, &BTreeSet::new()),
            Ok(())
        );
        let items = BTreeMap::from([
            ("shared.api".parse().unwrap(), "abc123".to_owned()),
            (integration.clone(), id.to_owned()),
        ]);
        assert_eq!(apis_imported(&items), with_api);
    }

    #[test]
    fn what_state_or_tags_manage_is_not_imported_again() {
        let vpc: Address = "shared.vpc".parse().unwrap();
        let loaded = crate::spec::load_one(std::path::Path::new("specs"), "staging").unwrap();
        let desired = crate::spec::desired::build(&loaded.spec);
        let mut recorded = RecordedState::default();
        let live = LiveState::default();
        assert_eq!(
            already_managed(&recorded, &live, "staging", &vpc, "vpc-1"),
            None
        );
        recorded.resources.insert(
            vpc.clone(),
            crate::model::RecordedResource {
                id: "vpc-2".into(),
                attrs: desired.resources[&vpc].attrs.clone(),
                tags: Tags::new(),
                depends_on: BTreeSet::new(),
            },
        );
        let why = already_managed(&recorded, &live, "staging", &vpc, "vpc-1").unwrap();
        assert!(why.contains("state rm --env staging shared.vpc"), "{why}");
        let why = already_managed(&recorded, &live, "staging", &vpc, "vpc-2").unwrap();
        assert_eq!(why, "already managed: state records it");
    }
}
