//! Physical ids and ownership: how what a read pass finds becomes addresses.

use std::collections::BTreeMap;

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

/// Ids of everything a read pass found that carries this environment's ownership tags.
pub fn collect<'a>(owner: &Owner, tagged: impl IntoIterator<Item = (String, &'a Tags)>) -> Ids {
    let mut ids = Ids::default();
    for (id, tags) in tagged {
        if let Some(a) = address_of(tags).filter(|_| ours(owner, tags)) {
            ids.insert(&id, &a);
        }
    }
    ids
}

/// What a read pass normalised, by address. Two resources carrying the same ownership tags (a
/// copy made outside provision) do not hide each other: the first id in sort order is the
/// resource, the others are reported, and the planner refuses to act until one is gone.
#[derive(Debug, Default)]
pub struct Found {
    pub resources: BTreeMap<Address, LiveResource>,
    pub duplicates: Vec<Duplicate>,
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
                    address,
                    id: other.id,
                });
            }
        }
    }

    pub fn extend(&mut self, other: Found) {
        for (address, r) in other.resources {
            self.insert(address, r);
        }
        self.duplicates.extend(other.duplicates);
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
