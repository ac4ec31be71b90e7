//! Whether RDS offers the database a plan would create or change: engine version, instance
//! class, storage type and size, Multi-AZ. AWS answers a wrong combination only when the
//! instance is created, after the network and everything before it; `DescribeDBEngineVersions`
//! and `DescribeOrderableDBInstanceOptions` answer it before any change. Pure: the plan says what
//! it asks for (`requests`), `aws::rds::offered` reads what RDS offers for it, this module
//! decides what is wrong and how to say so, every problem at once, naming the spec field.

use std::collections::BTreeMap;
use std::fmt;

use super::types::{Action, Plan};
use crate::model::engine_version::{Standing, is_newer, standing};
use crate::model::{Address, Attrs, StorageType};

/// What a database change asks RDS for. Only a create, a replacement, or an update of the
/// version, class or storage makes one, so a plan without those makes no call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub address: Address,
    pub engine: String,
    /// The spec's version: a major (`16`) or a minor.
    pub version: String,
    /// The version running now, for an update.
    pub live_version: Option<String>,
    pub class: String,
    pub storage_type: StorageType,
    pub size_gb: u32,
    /// The size allocated now, for an update.
    pub live_size_gb: Option<u32>,
    pub multi_az: bool,
}

/// The fields whose update needs RDS's offer checked again.
const OFFER_FIELDS: &[&str] = &[
    "engine_version",
    "instance_class",
    "storage_type",
    "allocated_storage_gb",
    "multi_az",
];

pub fn requests(plan: &Plan) -> Vec<Request> {
    let mut out = Vec::new();
    for c in &plan.changes {
        let Some(Attrs::DbInstance(a)) = &c.after else {
            continue;
        };
        let (live_version, live_size_gb) = match (c.action, &c.before) {
            (Action::Create | Action::Replace, _) => (None, None),
            (Action::Update, Some(Attrs::DbInstance(b)))
                if OFFER_FIELDS.iter().any(|f| c.touches(f)) =>
            {
                (Some(b.engine_version.clone()), Some(b.allocated_storage_gb))
            }
            _ => continue,
        };
        out.push(Request {
            address: c.address.clone(),
            engine: a.engine.clone(),
            version: a.engine_version.clone(),
            live_version,
            class: a.instance_class.clone(),
            storage_type: a.storage_type,
            size_gb: a.allocated_storage_gb,
            live_size_gb,
            multi_az: a.multi_az,
        });
    }
    out
}

impl Request {
    /// The version the instance will run once the change is made: the live one unless the
    /// spec's is newer; for a create, the spec's (a major alone: its newest available minor).
    pub fn target(&self, available: &[String]) -> Option<String> {
        if let Some(live) = &self.live_version
            && !is_newer(&self.version, live)
        {
            return Some(live.clone());
        }
        available
            .iter()
            .filter(|v| standing(&self.version, v) == Standing::Matches)
            .max_by(|a, b| {
                if is_newer(a, b) {
                    std::cmp::Ordering::Greater
                } else if is_newer(b, a) {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .cloned()
    }
}

/// RDS grows allocated storage by at least 10 % at a time: "When you increase the allocated
/// storage, it must be by at least 10 percent. If you try to increase the value by less than 10
/// percent, you get an error" (RDS user guide, USER_PIOPS.ModifyingExisting). A shrink is refused
/// earlier (`PlanError::StorageShrink`). Needs no AWS call: checked before the offer is read.
pub fn growth(r: &Request) -> Option<Problem> {
    let live = r.live_size_gb?;
    // u64: sizes go up to 65536 GiB.
    let too_small = r.size_gb > live && u64::from(r.size_gb) * 10 < u64::from(live) * 11;
    too_small.then(|| Problem {
        address: r.address.clone(),
        field: "allocated_storage_gb",
        message: format!(
            "{live} GiB -> {} GiB grows by less than 10 %, which RDS refuses; ask for {} GiB or more",
            r.size_gb,
            (u64::from(live) * 11).div_ceil(10)
        ),
    })
}

/// One orderable option, as `DescribeOrderableDBInstanceOptions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offering {
    pub storage_type: String,
    pub min_gb: u32,
    pub max_gb: u32,
    pub multi_az: bool,
}

/// What RDS answered for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offered {
    /// Available versions matching the spec's (the major's minors, or the exact one).
    pub versions: Vec<String>,
    /// The version checked, and its options for the spec's class (empty: not orderable).
    pub target: Option<String>,
    pub offerings: Vec<Offering>,
}

/// One thing wrong with a request, on one spec field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub address: Address,
    /// The field under `<stack>.database.`.
    pub field: &'static str,
    pub message: String,
}

pub fn problems(r: &Request, offered: &Offered) -> Vec<Problem> {
    let problem = |field, message: String| Problem {
        address: r.address.clone(),
        field,
        message,
    };
    let Some(target) = &offered.target else {
        return vec![problem(
            "engine_version",
            format!(
                "RDS offers no available {} version `{}` (retired, or never offered); pin a \
                 major (\"16\") to get its newest minor",
                r.engine, r.version
            ),
        )];
    };
    if offered.offerings.is_empty() {
        return vec![problem(
            "instance_class",
            format!(
                "{} cannot run {} {target} (not orderable in this region)",
                r.class, r.engine
            ),
        )];
    }
    let wanted = r.storage_type.as_str();
    let Some(o) = offered.offerings.iter().find(|o| o.storage_type == wanted) else {
        let mut types: Vec<&str> = offered
            .offerings
            .iter()
            .map(|o| o.storage_type.as_str())
            .collect();
        types.sort_unstable();
        types.dedup();
        return vec![problem(
            "storage_type",
            format!(
                "{} {target} on {} offers no `{wanted}` storage (offered: {})",
                r.engine,
                r.class,
                types.join(", ")
            ),
        )];
    };
    let mut out = Vec::new();
    if !(o.min_gb..=o.max_gb).contains(&r.size_gb) {
        out.push(problem(
            "allocated_storage_gb",
            format!(
                "{} GiB is outside {}-{} GiB, what {} {target} on {} offers on `{wanted}` storage",
                r.size_gb, o.min_gb, o.max_gb, r.engine, r.class
            ),
        ));
    }
    if r.multi_az
        && !offered
            .offerings
            .iter()
            .any(|o| o.storage_type == wanted && o.multi_az)
    {
        out.push(problem(
            "multi_az",
            format!(
                "{} {target} on {} is not offered Multi-AZ",
                r.engine, r.class
            ),
        ));
    }
    out
}

/// Every problem of a plan's database changes: nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Unoffered {
    pub list: Vec<Problem>,
    /// Where each spec field was written (`file:line`), by field path, when known.
    pub origins: BTreeMap<String, String>,
}

impl fmt::Display for Unoffered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.list.len();
        write!(
            f,
            "RDS does not offer the database this plan would create or change ({n} problem{}); \
             nothing was changed",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.list {
            let path = format!("{}.database.{}", p.address.stack, p.field);
            let at = self
                .origins
                .get(&path)
                .map_or_else(String::new, |o| format!(" ({o})"));
            write!(f, "\n  {}: {path}{at}: {}", p.address, p.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DesiredState, LiveResource, LiveState};

    fn desired() -> DesiredState {
        let loaded = crate::spec::load_one(std::path::Path::new("specs"), "staging")
            .expect("staging validates");
        crate::spec::desired::build(&loaded.spec)
    }

    /// AWS as the spec says, with the database changed by `edit`.
    fn live(d: &DesiredState, edit: impl Fn(&mut crate::model::DbInstanceAttrs)) -> LiveState {
        let mut live = LiveState::default();
        for (a, r) in &d.resources {
            let mut attrs = r.attrs.clone();
            if let Attrs::DbInstance(db) = &mut attrs {
                edit(db);
            }
            live.resources.insert(
                a.clone(),
                LiveResource {
                    id: a.to_string(),
                    attrs,
                    tags: r.tags.clone(),
                    pending: Default::default(),
                },
            );
        }
        live
    }

    fn plan_requests(live: &LiveState) -> Vec<Request> {
        let plan = crate::plan::diff(&desired(), live, &Default::default()).unwrap();
        requests(&plan)
    }

    #[test]
    fn only_creates_and_version_class_or_storage_updates_are_looked_up() {
        let d = desired();
        let from_empty = plan_requests(&LiveState::default());
        assert_eq!(from_empty.len(), 1);
        assert_eq!(
            (
                from_empty[0].version.as_str(),
                from_empty[0].live_version.as_ref()
            ),
            ("16", None)
        );
        // Converged, a live minor under the spec's major, or a change RDS's offer does not
        // depend on: no lookup, so such plans make no extra call.
        assert!(plan_requests(&live(&d, |_| {})).is_empty());
        assert!(plan_requests(&live(&d, |db| db.engine_version = "16.11".into())).is_empty());
        assert!(plan_requests(&live(&d, |db| db.backup_retention_days = 9)).is_empty());
        let resized = plan_requests(&live(&d, |db| {
            db.engine_version = "16.11".into();
            db.instance_class = "db.t3.small".into();
        }));
        assert_eq!(resized.len(), 1);
        assert_eq!(resized[0].live_version.as_deref(), Some("16.11"));
        // The version it runs stays the live one: the spec's major is not newer.
        assert_eq!(resized[0].target(&[]), Some("16.11".into()));
    }

    fn request() -> Request {
        Request {
            address: "backend.rds".parse().unwrap(),
            engine: "postgres".into(),
            version: "16".into(),
            live_version: None,
            class: "db.t3.micro".into(),
            storage_type: StorageType::Gp2,
            size_gb: 10,
            live_size_gb: None,
            multi_az: true,
        }
    }

    #[test]
    fn storage_grows_by_ten_percent_or_more() {
        let grown = |live, size| {
            growth(&Request {
                live_size_gb: live,
                size_gb: size,
                ..request()
            })
        };
        let p = grown(Some(100), 109).expect("9 % is refused");
        assert_eq!(p.field, "allocated_storage_gb");
        assert_eq!(
            p.message,
            "100 GiB -> 109 GiB grows by less than 10 %, which RDS refuses; ask for 110 GiB or more"
        );
        assert_eq!(
            grown(Some(20), 21).map(|p| p.field),
            Some("allocated_storage_gb")
        );
        assert_eq!(grown(Some(100), 110), None);
        assert_eq!(grown(Some(100), 100), None);
        assert_eq!(
            grown(Some(100), 50),
            None,
            "a shrink is the plan's own error"
        );
        assert_eq!(grown(None, 21), None, "a create has nothing to grow from");
    }

    fn offering(storage: &str, min_gb: u32, multi_az: bool) -> Offering {
        Offering {
            storage_type: storage.into(),
            min_gb,
            max_gb: 65_536,
            multi_az,
        }
    }

    #[test]
    fn a_major_targets_its_newest_available_minor() {
        let versions = ["16.9", "16.11", "16.10"].map(String::from);
        assert_eq!(request().target(&versions), Some("16.11".into()));
        assert_eq!(request().target(&[]), None);
    }

    #[test]
    fn every_problem_names_its_field_and_where_it_was_written() {
        let r = request();
        let unversioned = problems(&r, &Offered::default());
        assert_eq!(unversioned[0].field, "engine_version");
        let target = Some("16.11".to_owned());
        let unorderable = Offered {
            versions: vec!["16.11".into()],
            target: target.clone(),
            offerings: Vec::new(),
        };
        assert_eq!(problems(&r, &unorderable)[0].field, "instance_class");
        let offered = Offered {
            versions: vec!["16.11".into()],
            target,
            offerings: vec![offering("gp2", 20, false), offering("standard", 5, true)],
        };
        let list = problems(&r, &offered);
        let fields: Vec<&str> = list.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["allocated_storage_gb", "multi_az"]);
        let text = Unoffered {
            list,
            origins: [(
                "backend.database.allocated_storage_gb".to_owned(),
                "specs/staging.toml:40".to_owned(),
            )]
            .into(),
        }
        .to_string();
        assert!(
            text.starts_with("RDS does not offer the database"),
            "{text}"
        );
        assert!(text.contains("(2 problems); nothing was changed"), "{text}");
        assert!(
            text.contains(
                "backend.rds: backend.database.allocated_storage_gb (specs/staging.toml:40): 10 GiB is outside 20-65536 GiB"
            ),
            "{text}"
        );
        let wrong_type = Request {
            storage_type: StorageType::Io2,
            ..request()
        };
        assert_eq!(problems(&wrong_type, &offered)[0].field, "storage_type");
    }
}
