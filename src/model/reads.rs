//! What a resource's settings read through their references (`${backend.rds.endpoint}`), apart
//! from `template` so that templates need not know the attributes that hold them.

use std::collections::BTreeSet;

use super::address::Address;
use super::attrs::{Attrs, Ref, SettingValue};

/// Every resource `attrs`' setting references read.
pub fn targets(attrs: &Attrs) -> BTreeSet<Address> {
    let Attrs::BeanstalkEnv(env) = attrs else {
        return BTreeSet::new();
    };
    let mut read = BTreeSet::new();
    for value in env.settings.values().flat_map(|o| o.values()) {
        if let SettingValue::Template(t) = value {
            read.extend(t.template.refs().filter_map(|(r, _)| match r {
                Ref::Managed(a) => Some(a.clone()),
                Ref::External(_) => None,
            }));
        }
    }
    read
}

/// What `attrs` reads only through its settings' references: a value, not something its
/// life depends on. They are no dependency in the plan's graph or in state: a destroy does not wait for the
/// reader to go first (the console's API_URL does not hold up the API stage's delete), and a
/// create or update still comes after them through the references themselves.
pub fn read_only(attrs: &Attrs) -> BTreeSet<Address> {
    let mut read = targets(attrs);
    let mut plain = attrs.clone();
    if let Attrs::BeanstalkEnv(env) = &mut plain {
        for options in env.settings.values_mut() {
            options.retain(|_, v| !matches!(v, SettingValue::Template(_)));
        }
    }
    for r in plain.refs() {
        if let Ref::Managed(a) = r {
            read.remove(a);
        }
    }
    read
}
