//! The paused transform on the real staging spec, and on references it must follow whatever
//! their kind. No network.

use std::path::Path;

use super::*;
use crate::model::{DesiredResource, Lifecycle, Stack, SubnetAttrs};
use crate::plan::diff;

fn staging() -> DesiredState {
    let loaded = crate::spec::load_one(Path::new("specs"), "staging").expect("staging validates");
    crate::spec::desired::build(&loaded.spec)
}

fn a(s: &str) -> Address {
    s.parse().expect("valid address")
}

fn setting(d: &DesiredState, address: &str, option: &str) -> Option<SettingValue> {
    match &d.resources[&a(address)].attrs {
        Attrs::BeanstalkEnv(eb) => eb.settings.get(ASG).and_then(|o| o.get(option)).cloned(),
        other => panic!("{address} is {:?}", other.kind()),
    }
}

#[test]
fn staging_paused_keeps_the_nat_ip_but_no_nat_nor_a_route_through_it() {
    let d = staging();
    let nat = d
        .resources
        .keys()
        .find(|a| a.kind == crate::model::Kind::NatGateway)
        .cloned()
        .expect("staging has a NAT gateway");
    let eip = a("shared.eip.nat-public-a");
    let p = paused(&d, ElasticIps::Kept);
    assert!(!p.desired.resources.contains_key(&nat));
    // The outbound address stays allocated, as the spec has it (same attributes and tags).
    assert_eq!(p.desired.resources.get(&eip), d.resources.get(&eip));
    assert_eq!(p.kept_ips.iter().collect::<Vec<_>>(), [&eip]);
    // The NAT's alarm refers to it, and the dashboard to that alarm: they go too.
    assert_eq!(p.removed.len(), 3, "{:?}", p.removed);
    assert!(!p.removed.contains(&eip));
    for (addr, r) in &p.desired.resources {
        assert!(
            !r.extra_deps.contains(&nat),
            "{addr} still waits for the NAT"
        );
        for dep in r.attrs.refs() {
            assert!(
                !matches!(dep, Ref::Managed(t) if p.removed.contains(t)),
                "{addr} still refers to {dep}"
            );
        }
    }
    // The private route table stays, without its default route; the public one keeps its IGW route.
    let routes = |d: &DesiredState| -> usize {
        d.resources
            .values()
            .map(|r| match &r.attrs {
                Attrs::RouteTable(rt) => rt.routes.len(),
                _ => 0,
            })
            .sum()
    };
    assert_eq!(routes(&p.desired), routes(&d) - 1);
    assert_eq!(p.desired.resources.len(), d.resources.len() - 3);
}

#[test]
fn released_the_nat_ip_goes_too() {
    let d = staging();
    let p = paused(&d, ElasticIps::Released);
    assert!(p.kept_ips.is_empty());
    assert!(p.removed.contains(&a("shared.eip.nat-public-a")));
    assert!(
        !p.desired
            .resources
            .keys()
            .any(|a| a.kind == crate::model::Kind::ElasticIp),
        "the NAT's Elastic IP goes too"
    );
    assert_eq!(p.removed.len(), 4, "{:?}", p.removed);
    assert_eq!(p.desired.resources.len(), d.resources.len() - 4);
}

#[test]
fn load_balanced_beanstalk_goes_to_zero_and_the_database_is_listed() {
    let d = staging();
    let p = paused(&d, ElasticIps::Kept);
    for env in ["backend.beanstalk", "console.beanstalk"] {
        assert_eq!(
            setting(&d, env, "MinSize"),
            Some(SettingValue::Text("1".into()))
        );
        assert_eq!(
            setting(&p.desired, env, "MinSize"),
            Some(SettingValue::Text("0".into()))
        );
        assert_eq!(
            setting(&p.desired, env, "MaxSize"),
            Some(SettingValue::Text("0".into()))
        );
        assert!(p.scaled_to_zero.contains(&a(env)));
    }
    assert!(p.kept_running.is_empty());
    assert_eq!(p.databases.len(), 1);
    assert_eq!(p.databases[0].0, a("backend.rds"));
    // Nothing else changes: the same attributes for every resource that stays, but the three.
    let changed: Vec<&Address> = p
        .desired
        .resources
        .iter()
        .filter(|(addr, r)| d.resources[*addr].attrs != r.attrs)
        .map(|(addr, _)| addr)
        .collect();
    assert_eq!(changed.len(), 3, "{changed:?}");
}

#[test]
fn a_single_instance_environment_keeps_running() {
    let mut d = staging();
    if let Attrs::BeanstalkEnv(eb) =
        &mut d.resources.get_mut(&a("console.beanstalk")).unwrap().attrs
    {
        eb.settings.entry(ENVIRONMENT.into()).or_default().insert(
            "EnvironmentType".into(),
            SettingValue::Text("SingleInstance".into()),
        );
    }
    let p = paused(&d, ElasticIps::Kept);
    assert!(p.kept_running.contains(&a("console.beanstalk")));
    assert_eq!(
        setting(&p.desired, "console.beanstalk", "MaxSize"),
        setting(&d, "console.beanstalk", "MaxSize")
    );
}

#[test]
fn whatever_refers_to_the_nat_goes_with_it_transitively() {
    let mut d = staging();
    let nat = d
        .resources
        .keys()
        .find(|a| a.kind == crate::model::Kind::NatGateway)
        .cloned()
        .unwrap();
    // Any kind with a reference will do (the transform knows no list of names): here a subnet
    // "in" the NAT, and another in that one.
    let watcher = Address::named(Stack::Shared, crate::model::Kind::Subnet, "watch-nat");
    let second = Address::named(Stack::Shared, crate::model::Kind::Subnet, "watch-watch");
    for (addr, target) in [(&watcher, &nat), (&second, &watcher)] {
        d.resources.insert(
            addr.clone(),
            DesiredResource {
                attrs: Attrs::Subnet(SubnetAttrs {
                    vpc: Ref::Managed(target.clone()),
                    cidr: "10.2.99.0/24".parse().unwrap(),
                    availability_zone: "us-east-2a".into(),
                    public_ip_on_launch: false,
                }),
                tags: Default::default(),
                extra_deps: Default::default(),
                lifecycle: Lifecycle::default(),
            },
        );
    }
    let p = paused(&d, ElasticIps::Kept);
    assert!(p.removed.contains(&watcher) && p.removed.contains(&second));
    assert!(!p.desired.resources.contains_key(&second));
}

#[test]
fn paused_twice_is_paused_once() {
    for ips in [ElasticIps::Kept, ElasticIps::Released] {
        let once = paused(&staging(), ips);
        let twice = paused(&once.desired, ips);
        assert_eq!(twice.desired, once.desired);
        assert!(twice.removed.is_empty());
    }
}

#[test]
fn the_paused_form_plans_cleanly_from_the_running_one() {
    // Against an empty AWS the paused form is a valid plan of its own: no dangling reference.
    for ips in [ElasticIps::Kept, ElasticIps::Released] {
        let p = paused(&staging(), ips);
        let plan = diff(&p.desired, &Default::default(), &Default::default())
            .expect("the paused form plans");
        assert_eq!(plan.changes.len(), p.desired.resources.len());
    }
}

#[test]
fn pausing_a_running_staging_deletes_the_nat_keeps_its_ip_and_updates_three_resources() {
    use crate::model::{LiveResource, LiveState};
    use crate::plan::Action;
    let d = staging();
    // AWS exactly as the running spec: what a converged staging looks like.
    let live = LiveState {
        resources: d
            .resources
            .iter()
            .map(|(address, r)| {
                let live = LiveResource {
                    id: format!("id-{address}"),
                    attrs: r.attrs.clone(),
                    tags: r.tags.clone(),
                    pending: Default::default(),
                };
                (address.clone(), live)
            })
            .collect(),
        ..Default::default()
    };
    let plan = diff(
        &paused(&d, ElasticIps::Kept).desired,
        &live,
        &Default::default(),
    )
    .unwrap();
    let of = |action: Action| -> std::collections::BTreeSet<String> {
        plan.changes
            .iter()
            .filter(|c| c.action == action)
            .map(|c| c.address.to_string())
            .collect()
    };
    let set = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        of(Action::Delete),
        set(&[
            "shared.alarm.nat-port-allocation",
            "shared.dashboard",
            "shared.nat_gateway.public-a"
        ])
    );
    assert_eq!(
        of(Action::Update),
        set(&[
            "shared.route_table.private",
            "backend.beanstalk",
            "console.beanstalk"
        ])
    );
    assert!(of(Action::Create).is_empty() && of(Action::Replace).is_empty());
    // The address is unchanged: no tag or attribute change on it either.
    assert!(of(Action::NoOp).contains("shared.eip.nat-public-a"));
    // Released, it is deleted too.
    let plan = diff(
        &paused(&d, ElasticIps::Released).desired,
        &live,
        &Default::default(),
    )
    .unwrap();
    assert!(
        plan.changes
            .iter()
            .any(|c| c.action == Action::Delete
                && c.address.to_string() == "shared.eip.nat-public-a")
    );
}

#[test]
fn only_what_its_kind_says_changes_while_paused() {
    let d = staging();
    let p = paused(&d, ElasticIps::Kept);
    let mut changed = Vec::new();
    for (addr, r) in &p.desired.resources {
        if r != &d.resources[addr] {
            changed.push((addr.kind.describe().paused, addr.to_string()));
        }
    }
    changed.sort_by(|x, y| x.1.cmp(&y.1));
    // Stopping the database is the command's own step: its attributes stay as the spec says.
    assert_eq!(
        changed,
        [
            (PausedForm::ScaledToZero, "backend.beanstalk".to_owned()),
            (PausedForm::ScaledToZero, "console.beanstalk".to_owned()),
            (
                PausedForm::RoutesDropped,
                "shared.route_table.private".to_owned()
            ),
        ]
    );
    for addr in &p.removed {
        let form = addr.kind.describe().paused;
        let refers = d.resources[addr].attrs.refs().into_iter().any(
            |t| matches!(t, Ref::Managed(t) if t.kind.describe().paused == PausedForm::Removed),
        );
        assert!(form == PausedForm::Removed || refers, "{addr} removed");
    }
}
