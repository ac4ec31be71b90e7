//! Where a resource's field is written in the spec, or why the spec cannot take a live value for
//! it: the field is derived (a reference, a name computed from another, a value a topic sets
//! from several fields) and writing it would not make the plan agree.

use crate::model::Address;

/// Where `field` of the resource at `address` lives in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The dotted path of its key, in either spec file.
    At(Vec<String>),
    /// The spec derives it: why, for the operator.
    Derived(String),
}

fn at(parts: &[&str]) -> Place {
    Place::At(parts.iter().map(|p| (*p).to_owned()).collect())
}

/// The database fields the spec states as they are in AWS (`backend.database.*`).
const DATABASE: &[&str] = &[
    "identifier",
    "engine",
    "engine_version",
    "instance_class",
    "storage_type",
    "allocated_storage_gb",
    "backup_retention_days",
    "multi_az",
    "deletion_protection",
    "db_name",
    "master_username",
];

/// `field` as plans write it (`name`, `tags.Owner`, `settings.NS.OPTION`).
pub fn place(address: &Address, field: &str) -> Place {
    let key = address.name.as_deref().unwrap_or_default();
    let stack = address.stack.as_str();
    if field.starts_with("tags.") {
        return Place::Derived(
            "tags come from the spec's [tags], which every resource of the environment carries: change [tags] by hand if every resource should have it".into(),
        );
    }
    if field.starts_with("settings.") {
        return Place::Derived(
            "Beanstalk option settings are made from several spec fields (sizes, subnets, groups, settings): change the spec by hand".into(),
        );
    }
    match (address.kind.describe().segment, field) {
        ("vpc", "dns_hostnames" | "dns_support") => at(&["network", field]),
        ("vpc", "cidr") => at(&["network", "vpc_cidr"]),
        ("subnet", "availability_zone" | "cidr") => at(&["network", "subnets", key, field]),
        ("security_group", "name" | "description") => at(&["security_groups", key, field]),
        ("rds", f) if DATABASE.contains(&f) => at(&[stack, "database", f]),
        ("beanstalk", "name") => at(&[stack, "beanstalk", "environment"]),
        ("beanstalk", "cname_prefix") => at(&[stack, "beanstalk", "cname_prefix"]),
        ("beanstalk_app", "name") => at(&[stack, "beanstalk", "application"]),
        ("api", "name" | "description") => at(&["api", field]),
        ("api_key", "name") => at(&["api", "api_key_name"]),
        ("iam_role", "name") if key == "service" => at(&[stack, "iam", "service_role"]),
        ("iam_role", "name") => at(&[stack, "iam", "instance_role"]),
        ("alarm_topic", "name") => at(&["monitoring", "topic"]),
        ("dashboard", "name") => at(&["monitoring", "dashboard"]),
        (_, "ingress" | "egress") => Place::Derived(
            "rules are a set that may name other groups and the VPC's CIDR: change them in the spec by hand".into(),
        ),
        _ => Place::Derived(format!(
            "no spec field states a {}'s {field}: the spec derives it (docs/specs.md says from what)",
            address.kind
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place_of(address: &str, field: &str) -> Place {
        place(&address.parse().unwrap(), field)
    }

    #[test]
    fn identities_have_their_fields() {
        let path = |p: &str| Place::At(p.split('.').map(str::to_owned).collect());
        assert_eq!(
            place_of("shared.security_group.rds", "name"),
            path("security_groups.rds.name")
        );
        assert_eq!(
            place_of("shared.subnet.public-a", "availability_zone"),
            path("network.subnets.public-a.availability_zone")
        );
        assert_eq!(
            place_of("backend.rds", "identifier"),
            path("backend.database.identifier")
        );
        assert_eq!(
            place_of("console.beanstalk", "cname_prefix"),
            path("console.beanstalk.cname_prefix")
        );
        assert_eq!(
            place_of("shared.vpc", "dns_hostnames"),
            path("network.dns_hostnames")
        );
    }

    #[test]
    fn derived_fields_say_why() {
        for (address, field, why) in [
            ("shared.vpc", "tags.Owner", "[tags]"),
            ("shared.security_group.rds", "ingress", "rules are a set"),
            (
                "shared.nat_gateway.public-a",
                "subnet",
                "the spec derives it",
            ),
            (
                "backend.beanstalk",
                "settings.aws:ec2:vpc.VPCId",
                "several spec fields",
            ),
        ] {
            match place_of(address, field) {
                Place::Derived(reason) => assert!(reason.contains(why), "{reason}"),
                other => panic!("{address} {field}: {other:?}"),
            }
        }
    }
}
