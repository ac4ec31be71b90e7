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
