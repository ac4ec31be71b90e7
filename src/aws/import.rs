//! Taking over what exists (`provision import`) and letting it go (`provision state rm`): what
//! AWS holds under an id given on the command line, and the ownership tags put on or taken off.
//! Both go through the kinds' own `tags_now` and `retag` (`super::kind`), as a change's steps do.

use std::collections::{BTreeMap, BTreeSet};

use super::{ApplyCtx, Aws, AwsError, Claims, Op, Resolver};
use crate::model::{Address, Kind, Owner, Tags};
use crate::plan::{Action, Change};

/// The pieces an `Op` borrows, for a step that is no change of a plan.
struct Bare {
    address: Address,
    change: Change,
    ctx: ApplyCtx,
    ids: BTreeMap<Address, String>,
}

impl Bare {
    fn new(owner: &Owner, address: &Address, id: &str) -> Bare {
        Bare {
            address: address.clone(),
            change: Change {
                address: address.clone(),
                action: Action::NoOp,
                level: 0,
                depends_on: BTreeSet::new(),
                id: Some(id.to_owned()),
                before: None,
                after: None,
                tags: None,
                fields: Vec::new(),
                reason: None,
                lifecycle: Default::default(),
                final_snapshot: None,
                notes: Vec::new(),
            },
            ctx: ApplyCtx {
                owner: owner.clone(),
                claims: Claims::tags_only(owner.clone()),
                env: owner.env.clone(),
                confirmed_destroy: false,
            },
            ids: BTreeMap::new(),
        }
    }

    fn op(&self) -> Op<'_> {
        Op {
            address: &self.address,
            change: &self.change,
            old: Resolver { ids: &self.ids },
            ids: Resolver { ids: &self.ids },
            ctx: &self.ctx,
        }
    }
}

impl Aws {
    /// The tags of what AWS holds under `id` as a resource of `address`'s kind; `None` when it
    /// holds nothing there. An integration answers with its REST API's tags (it has none).
    pub async fn tags_at(
        &self,
        owner: &Owner,
        address: &Address,
        id: &str,
    ) -> Result<Option<Tags>, AwsError> {
        let bare = Bare::new(owner, address, id);
        let op = bare.op();
        self.tags_now(&op).await
    }

    /// Sets and removes tags on what AWS holds under `id` (nothing for an integration).
    pub async fn tag_at(
        &self,
        owner: &Owner,
        address: &Address,
        id: &str,
        set: &Tags,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let bare = Bare::new(owner, address, id);
        let op = bare.op();
        self.retag(&op, set, remove).await
    }
}

/// The call `tags_at` looks a resource of `kind` up with: the one a "not found" comes from.
pub fn lookup_operation(kind: Kind) -> &'static str {
    kind.describe().lookup
}
