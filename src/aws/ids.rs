//! Physical ids and ownership: how what a read pass finds becomes addresses.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::*;

/// Physical id <-> address, from the ownership tags of everything read.
#[derive(Debug, Default, Clone)]
pub struct Ids {
    by_id: BTreeMap<String, Address>,
}

impl Ids {
    pub fn insert(&mut self, id: &str, address: &Address) {
        self.by_id.insert(id.to_owned(), address.clone());
    }

    /// Another name of an id already mapped (a Beanstalk environment's CNAME).
    pub fn alias(&mut self, alias: &str, id: &str) {
        if let Some(a) = self.by_id.get(id).cloned() {
            self.by_id.insert(alias.to_owned(), a);
        }
    }

    pub fn to_ref(&self, id: &str) -> Ref {
        self.by_id
            .get(id)
            .map_or_else(|| Ref::External(id.to_owned()), |a| Ref::Managed(a.clone()))
    }
}

/// The address a resource's ownership tags give it, if any.
pub fn address_of(tags: &Tags) -> Option<Address> {
    tags.get(TAG_ADDRESS)?.parse().ok()
}

/// Whether a resource's tags say it belongs to this environment. Reads filter by tag on the
/// server too, but that filter is not trusted alone (emulators have ignored it).
pub fn ours(owner: &Owner, tags: &Tags) -> bool {
    owner.owns(tags)
}

/// The provision owner another project's or environment's tags name, if they name one
/// ([`Owner::other`]).
pub fn other_owner(owner: &Owner, tags: &Tags) -> Option<String> {
    owner.other(tags)
}

/// What is provably this environment's: a resource carrying its project and env tags (the
/// address tag says which one it is), or one whose id this environment's state recorded and
/// that carries no other owner's tags. A recorded id that still exists is that resource,
/// whatever happened to its tags, so a lost tag is put back rather than the resource created
/// twice. Where the id is a name anyone can take again (see [`Kind::id_is_name`]), the
/// project tag must still be there: a name alone proves nothing, but this project's tag on
/// the recorded name with the others lost (and none of another owner's) does.
#[derive(Debug, Clone)]
pub struct Claims {
    pub owner: Owner,
    /// By kind and id: ids that are names repeat across kinds (the database and the dashboard
    /// are both `agentpass-staging`).
    recorded: BTreeMap<(Kind, String), Address>,
    /// The names the spec gives resources in AWS (`Description::names`), by kind: what a read
    /// pass that skips a listing must still find. A hint, never a claim: a name proves nothing.
    expected: BTreeSet<(Kind, String)>,
    /// The addresses the spec asks for ([`Claims::expecting`]).
    wanted: BTreeSet<Address>,
}

/// Whether a resource found in AWS may be changed by this environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ours(Address),
    /// It carries another provision owner's tags (`project/env`).
    Foreign(String),
    /// Nothing proves it is ours: no ownership tags, or only a name in common.
    Unproven,
}

impl Claims {
    /// Only what carries the owner's tags (no state to go by).
    pub fn tags_only(owner: Owner) -> Self {
        Claims {
            owner,
            recorded: BTreeMap::new(),
            expected: BTreeSet::new(),
            wanted: BTreeSet::new(),
        }
    }

    pub fn new<'a>(
        owner: Owner,
        recorded: impl IntoIterator<Item = (&'a Address, &'a str)>,
    ) -> Self {
        let recorded = recorded
            .into_iter()
            .map(|(a, id)| ((a.kind, id.to_owned()), a.clone()))
            .collect();
        Claims {
            owner,
            recorded,
            expected: BTreeSet::new(),
            wanted: BTreeSet::new(),
        }
    }

    /// These claims, knowing the names `desired` gives its resources in AWS.
    pub fn expecting(mut self, desired: &DesiredState) -> Self {
        self.wanted.extend(desired.resources.keys().cloned());
        for r in desired.resources.values() {
            let names = r.attrs.kind().describe().names;
            if names.is_empty() {
                continue;
            }
            let fields = serde_json::to_value(&r.attrs).unwrap_or_default();
            for (_, field) in names {
                if let Some(name) = fields.get(field).and_then(serde_json::Value::as_str) {
                    self.expected.insert((r.attrs.kind(), name.to_owned()));
                }
            }
        }
        self
    }

    /// Whether the spec asks for a resource of `kind` that state records no id for: one a
    /// create stopped before its record may have made, which for a kind without a name only a
    /// listing finds until the tag listing shows it (AWS bounds no delay for that).
    pub fn wants_unrecorded(&self, kind: Kind) -> bool {
        self.wanted
            .iter()
            .any(|a| a.kind == kind && !self.recorded.values().any(|r| r == a))
    }

    /// The names the spec gives resources of `kind`, sorted (see [`Claims::expecting`]).
    pub fn expected_names(&self, kind: Kind) -> Vec<String> {
        self.expected
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n.clone())
            .collect()
    }

    /// For a kind whose id is its name: the ids state recorded and the names the spec gives,
    /// the resources a read pass must account for before it may skip a listing.
    pub fn known_names(&self, kind: Kind) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self.recorded_ids(kind).into_iter().collect();
        out.extend(self.expected_names(kind));
        out
    }

    /// Recorded ids of one kind, for the reads that must look them up by id.
    pub fn recorded_ids(&self, kind: Kind) -> Vec<String> {
        self.recorded
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, id), _)| id.clone())
            .collect()
    }

    /// The verdict on a resource of `kind` with physical id `id` and these tags.
    pub fn verdict(&self, id: &str, kind: Kind, tags: &Tags) -> Verdict {
        if let Some(other) = other_owner(&self.owner, tags) {
            return Verdict::Foreign(other);
        }
        let owned = self.owner.owns(tags);
        let project = tags.get(TAG_PROJECT) == Some(&self.owner.project);
        if let Some(a) = self.recorded.get(&(kind, id.to_owned()))
            && (project || !kind.id_is_name())
        {
            return Verdict::Ours(a.clone());
        }
        match address_of(tags).filter(|a| a.kind == kind && owned) {
            Some(a) => Verdict::Ours(a),
            None => Verdict::Unproven,
        }
    }

    /// The address of a resource of `kind`, when it is provably this environment's.
    pub fn address(&self, id: &str, kind: Kind, tags: &Tags) -> Option<Address> {
        match self.verdict(id, kind, tags) {
            Verdict::Ours(a) => Some(a),
            Verdict::Foreign(_) | Verdict::Unproven => None,
        }
    }

    /// Whether a read pass should keep a resource of `kind` to look at further.
    pub fn keeps(&self, id: &str, kind: Kind, tags: &Tags) -> bool {
        self.owner.owns(tags) || self.address(id, kind, tags).is_some()
    }

    /// The address of an id of unknown kind (references read off other resources).
    fn address_any(&self, id: &str, tags: &Tags) -> Option<Address> {
        let recorded: Vec<Kind> = self
            .recorded
            .keys()
            .filter(|(_, i)| i == id)
            .map(|(k, _)| *k)
            .collect();
        // One recorded kind is it; among several, the one its tags name.
        let kind = match (recorded.as_slice(), address_of(tags).map(|a| a.kind)) {
            ([k], _) => *k,
            (_, Some(tagged)) => tagged,
            ([k, ..], None) => *k,
            ([], None) => return None,
        };
        self.address(id, kind, tags)
    }
}

/// Ids of everything a read pass found that is provably this environment's.
pub fn collect<'a>(claims: &Claims, tagged: impl IntoIterator<Item = (String, &'a Tags)>) -> Ids {
    let mut ids = Ids::default();
    for (id, tags) in tagged {
        if let Some(a) = claims.address_any(&id, tags) {
            ids.insert(&id, &a);
        }
    }
    ids
}

/// What a read pass normalised, by address. Two resources carrying the same ownership tags (a
/// copy made outside provision, or the old one of a replacement made first that a stopped run
/// did not delete) do not hide each other: the one state records is the resource (else the
/// first id in sort order), the others are reported, and the planner refuses to act until one
/// is gone.
#[derive(Debug, Default)]
pub struct Found {
    pub resources: BTreeMap<Address, LiveResource>,
    pub duplicates: Vec<Duplicate>,
    /// What other resources may read of these (`model::template::exposed`).
    pub exports: crate::model::Exports,
    /// The duplicates as read, by address and id (see [`Found::prefer_recorded`]).
    others: BTreeMap<(Address, String), LiveResource>,
}

impl Found {
    pub fn insert(&mut self, address: Address, r: LiveResource) {
        match self.resources.get_mut(&address) {
            None => {
                self.resources.insert(address, r);
            }
            Some(kept) => {
                let other = if r.id < kept.id {
                    std::mem::replace(kept, r)
                } else {
                    r
                };
                self.duplicates.push(Duplicate {
                    address: address.clone(),
                    id: other.id.clone(),
                });
                self.others.insert((address, other.id.clone()), other);
            }
        }
    }

    pub fn extend(&mut self, other: Found) {
        self.others.extend(other.others);
        for (address, r) in other.resources {
            self.insert(address, r);
        }
        self.duplicates.extend(other.duplicates);
        self.exports.extend(other.exports);
    }

    /// Among resources under one address, the one state recorded there is the resource.
    pub fn prefer_recorded(&mut self, claims: &Claims) {
        for d in &mut self.duplicates {
            let recorded = |id: &str| {
                claims.recorded.get(&(d.address.kind, id.to_owned())) == Some(&d.address)
            };
            let Some(kept) = self.resources.get_mut(&d.address) else {
                continue;
            };
            if recorded(&kept.id) || !recorded(&d.id) {
                continue;
            }
            let Some(other) = self.others.remove(&(d.address.clone(), d.id.clone())) else {
                continue;
            };
            let was = std::mem::replace(kept, other);
            d.id = was.id.clone();
            self.others.insert((d.address.clone(), was.id.clone()), was);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(id: &str) -> LiveResource {
        LiveResource {
            id: id.into(),
            attrs: Attrs::ElasticIp(ElasticIpAttrs {}),
            tags: Tags::new(),
            pending: BTreeMap::new(),
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn claims() -> Claims {
        let owner = Owner {
            project: "p".into(),
            env: "staging".into(),
        };
        let eip: Address = "shared.eip.nat-public-a".parse().unwrap();
        let db: Address = "backend.rds".parse().unwrap();
        Claims::new(owner, [(&eip, "eipalloc-1"), (&db, "p-staging")])
    }

    /// Staging's spec with Elastic IPs at `addresses`.
    fn wanting(addresses: &[&str]) -> DesiredState {
        let resources = addresses
            .iter()
            .map(|a| {
                let r = DesiredResource {
                    attrs: Attrs::ElasticIp(ElasticIpAttrs {}),
                    tags: Tags::new(),
                    extra_deps: BTreeSet::new(),
                    lifecycle: Default::default(),
                };
                (a.parse().unwrap(), r)
            })
            .collect();
        DesiredState {
            env: "staging".into(),
            region: "us-east-2".into(),
            resources,
        }
    }

    #[test]
    fn an_address_the_spec_wants_and_state_does_not_record_is_one_to_look_for() {
        let recorded = "shared.eip.nat-public-a";
        let c = claims().expecting(&wanting(&[recorded]));
        assert!(
            !c.wants_unrecorded(Kind::ElasticIp),
            "converged: all recorded"
        );
        let c = claims().expecting(&wanting(&[recorded, "shared.eip.nat-public-b"]));
        assert!(
            c.wants_unrecorded(Kind::ElasticIp),
            "a second address added: its create may have happened unrecorded"
        );
        assert!(!c.wants_unrecorded(Kind::NatGateway), "per kind");
        assert!(
            !claims().wants_unrecorded(Kind::ElasticIp),
            "no spec, no want"
        );
    }

    #[test]
    fn one_name_recorded_for_two_kinds_is_each_kinds_own() {
        let owner = Owner {
            project: "p".into(),
            env: "staging".into(),
        };
        let db: Address = "backend.rds".parse().unwrap();
        let board: Address = "shared.dashboard".parse().unwrap();
        let c = Claims::new(owner, [(&board, "p-staging"), (&db, "p-staging")]);
        let ours = tags(&[(TAG_PROJECT, "p"), (TAG_ENV, "staging")]);
        assert_eq!(
            c.verdict("p-staging", Kind::Dashboard, &tags(&[])),
            Verdict::Ours(board)
        );
        assert_eq!(
            c.verdict("p-staging", Kind::DbInstance, &ours),
            Verdict::Ours(db)
        );
        assert_eq!(c.recorded_ids(Kind::Dashboard), ["p-staging"]);
    }

    #[test]
    fn a_recorded_id_is_ours_whatever_happened_to_its_tags_unless_another_owner_tagged_it() {
        let c = claims();
        let eip: Address = "shared.eip.nat-public-a".parse().unwrap();
        let ours = [(TAG_PROJECT, "p"), (TAG_ENV, "staging")];
        for t in [tags(&[]), tags(&ours), tags(&[("Name", "x")])] {
            assert_eq!(
                c.verdict("eipalloc-1", Kind::ElasticIp, &t),
                Verdict::Ours(eip.clone())
            );
        }
        let theirs = tags(&[(TAG_PROJECT, "p"), (TAG_ENV, "production")]);
        assert_eq!(
            c.verdict("eipalloc-1", Kind::ElasticIp, &theirs),
            Verdict::Foreign("p/production".into())
        );
        // Another kind under the same id is not what was recorded.
        assert_eq!(
            c.verdict("eipalloc-1", Kind::Vpc, &tags(&[])),
            Verdict::Unproven
        );
        // Unrecorded and untagged: nothing proves it.
        assert_eq!(
            c.verdict("eipalloc-2", Kind::ElasticIp, &tags(&[])),
            Verdict::Unproven
        );
    }

    #[test]
    fn a_recorded_name_needs_the_owner_tags_since_anyone_can_take_a_free_name() {
        let c = claims();
        let db: Address = "backend.rds".parse().unwrap();
        assert_eq!(
            c.verdict("p-staging", Kind::DbInstance, &tags(&[])),
            Verdict::Unproven
        );
        assert_eq!(
            c.verdict(
                "p-staging",
                Kind::DbInstance,
                &tags(&[(TAG_PROJECT, "other")])
            ),
            Verdict::Foreign("other/?".into())
        );
        // Only the address tag lost: the project and env tags still say whose it is.
        let owned = tags(&[(TAG_PROJECT, "p"), (TAG_ENV, "staging")]);
        assert_eq!(
            c.verdict("p-staging", Kind::DbInstance, &owned),
            Verdict::Ours(db)
        );
    }

    /// Issue 24: a recorded resource that lost some ownership tags (not all) is still ours,
    /// whatever the kind; one that carries another project's or environment's is not.
    #[test]
    fn a_recorded_resource_with_some_ownership_tags_lost_is_ours_whatever_the_kind() {
        let owner = Owner {
            project: "p".into(),
            env: "staging".into(),
        };
        let sg: Address = "shared.security_group.api-link".parse().unwrap();
        let api: Address = "shared.api".parse().unwrap();
        let db: Address = "backend.rds".parse().unwrap();
        let c = Claims::new(owner, [(&sg, "sg-1"), (&api, "abc123"), (&db, "p-staging")]);
        // provision:env lost (project, stack and address intact), as an operator would.
        let no_env = tags(&[
            (TAG_PROJECT, "p"),
            (TAG_STACK, "shared"),
            (TAG_ADDRESS, "shared.security_group.api-link"),
        ]);
        assert_eq!(
            c.verdict("sg-1", Kind::SecurityGroup, &no_env),
            Verdict::Ours(sg)
        );
        // Only the project tag left.
        let project = tags(&[(TAG_PROJECT, "p")]);
        assert_eq!(
            c.verdict("abc123", Kind::RestApi, &project),
            Verdict::Ours(api)
        );
        // A name anyone can take: this project's tag on it is enough, nothing is not.
        assert_eq!(
            c.verdict("p-staging", Kind::DbInstance, &project),
            Verdict::Ours(db)
        );
        // Another environment's or project's tag is never ours, recorded or not.
        for theirs in [
            tags(&[(TAG_PROJECT, "p"), (TAG_ENV, "production")]),
            tags(&[(TAG_ENV, "production")]),
            tags(&[(TAG_PROJECT, "q")]),
        ] {
            assert!(
                matches!(
                    c.verdict("abc123", Kind::RestApi, &theirs),
                    Verdict::Foreign(_)
                ),
                "{theirs:?}"
            );
        }
        // Unrecorded, the same partial tags prove nothing.
        assert_eq!(
            c.verdict("sg-2", Kind::SecurityGroup, &no_env),
            Verdict::Unproven
        );
    }

    #[test]
    fn unrecorded_resources_are_ours_only_by_all_their_tags() {
        let c = claims();
        let a: Address = "shared.vpc".parse().unwrap();
        let full = tags(&[
            (TAG_PROJECT, "p"),
            (TAG_ENV, "staging"),
            (TAG_ADDRESS, "shared.vpc"),
        ]);
        assert_eq!(c.verdict("vpc-1", Kind::Vpc, &full), Verdict::Ours(a));
        assert_eq!(c.verdict("vpc-1", Kind::Subnet, &full), Verdict::Unproven);
        let no_address = tags(&[(TAG_PROJECT, "p"), (TAG_ENV, "staging")]);
        assert_eq!(
            c.verdict("vpc-1", Kind::Vpc, &no_address),
            Verdict::Unproven
        );
        assert!(c.keeps("vpc-1", Kind::Vpc, &no_address));
    }

    /// The old one of a replacement made first, left by a stopped run, carries the address's
    /// tags too: the one state records is the resource, the other is reported.
    #[test]
    fn among_duplicates_the_recorded_one_is_the_resource() {
        let address: Address = "shared.eip.nat-public-a".parse().unwrap();
        let owner = Owner {
            project: "p".into(),
            env: "staging".into(),
        };
        let c = Claims::new(owner, [(&address, "eipalloc-b")]);
        let mut found = Found::default();
        for id in ["eipalloc-b", "eipalloc-a"] {
            found.insert(address.clone(), live(id));
        }
        assert_eq!(found.resources[&address].id, "eipalloc-a");
        found.prefer_recorded(&c);
        assert_eq!(found.resources[&address].id, "eipalloc-b");
        assert_eq!(
            found.duplicates,
            [Duplicate {
                address: address.clone(),
                id: "eipalloc-a".into()
            }]
        );
        // Neither recorded: the first in sort order, as before.
        let mut found = Found::default();
        for id in ["eipalloc-c", "eipalloc-a"] {
            found.insert(address.clone(), live(id));
        }
        found.prefer_recorded(&c);
        assert_eq!(found.resources[&address].id, "eipalloc-a");
    }

    #[test]
    fn a_second_resource_under_an_address_is_reported_and_the_choice_is_stable() {
        let address: Address = "shared.eip.nat-public-a".parse().unwrap();
        for order in [["eipalloc-b", "eipalloc-a"], ["eipalloc-a", "eipalloc-b"]] {
            let mut found = Found::default();
            for id in order {
                found.insert(address.clone(), live(id));
            }
            assert_eq!(found.resources[&address].id, "eipalloc-a");
            assert_eq!(
                found.duplicates,
                [Duplicate {
                    address: address.clone(),
                    id: "eipalloc-b".into()
                }]
            );
        }
    }
}
