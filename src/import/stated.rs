//! Correspondences the operator states (`--map TF_ADDRESS=ADDRESS`, `--map-file FILE`): where
//! Terraform's names differ from the spec's, the operator says once which is which (issue 21).
//! A stated mapping replaces the match by name or CIDR for that Terraform resource and that
//! address, and then goes through the same ties and checks as any other.
//!
//! A mapping file holds one `TF_ADDRESS = ADDRESS` a line; `#` starts a comment line; blank
//! lines are skipped. Terraform addresses hold no `=` outside an index key, provision's none at
//! all, so a line is split at its last `=`.

use std::collections::BTreeMap;

use super::terraform::{Instance, kind_of};
use crate::model::{Address, DesiredState};

/// One correspondence, and where it was stated (`--map …`, `FILE:LINE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub origin: String,
    pub tf_address: String,
    pub address: String,
}

/// A statement checked against the states and the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stated {
    pub address: Address,
    pub origin: String,
}

fn split(origin: &str, text: &str) -> Result<Statement, String> {
    let (tf, address) = text
        .rsplit_once('=')
        .map(|(t, a)| (t.trim(), a.trim()))
        .filter(|(t, a)| !t.is_empty() && !a.is_empty())
        .ok_or_else(|| {
            format!("{origin}: `{text}` is not TF_ADDRESS = ADDRESS (e.g. `module.net.aws_security_group.alb_public = shared.security_group.public-lb`)")
        })?;
    Ok(Statement {
        origin: origin.to_owned(),
        tf_address: tf.to_owned(),
        address: address.to_owned(),
    })
}

/// One `--map TF_ADDRESS=ADDRESS`.
pub fn from_arg(arg: &str) -> Result<Statement, String> {
    split(&format!("--map {arg}"), arg)
}

/// A mapping file's statements, or every malformed line (`FILE:LINE: …`).
pub fn from_file(name: &str, text: &str) -> Result<Vec<Statement>, Vec<String>> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match split(&format!("{name}:{}", n + 1), line) {
            Ok(s) => out.push(s),
            Err(e) => bad.push(e),
        }
    }
    if bad.is_empty() { Ok(out) } else { Err(bad) }
}

/// What needs only the spec: each address is one of the environment's, and neither side is
/// stated twice. Runs before the states are read.
pub fn check_addresses(statements: &[Statement], desired: &DesiredState) -> Vec<String> {
    let mut errors = Vec::new();
    let mut tf_seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut address_seen: BTreeMap<&str, &str> = BTreeMap::new();
    for s in statements {
        match s.address.parse::<Address>() {
            Ok(a) if desired.resources.contains_key(&a) => {}
            Ok(_) | Err(_) => errors.push(format!(
                "{}: unknown address `{}`: the spec of `{}` has no such resource (`provision plan --env {}` lists its addresses)",
                s.origin, s.address, desired.env, desired.env
            )),
        }
        if let Some(first) = tf_seen.insert(&s.tf_address, &s.origin) {
            errors.push(format!(
                "{}: {} is stated twice (first at {first})",
                s.origin, s.tf_address
            ));
        }
        if let Some(first) = address_seen.insert(&s.address, &s.origin) {
            errors.push(format!(
                "{}: {} is stated twice (first at {first}): one Terraform resource per address",
                s.origin, s.address
            ));
        }
    }
    errors
}

/// The statements checked against the states read: each Terraform address is one resource
/// instance of them, of a type that can be the address's kind. Instance index -> stated.
pub fn check(
    statements: &[Statement],
    instances: &[Instance],
    desired: &DesiredState,
) -> Result<BTreeMap<usize, Stated>, Vec<String>> {
    let mut errors = check_addresses(statements, desired);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = BTreeMap::new();
    for s in statements {
        let address: Address = s.address.parse().unwrap_or_else(|_| unreachable!());
        let found: Vec<usize> = (0..instances.len())
            .filter(|i| instances[*i].tf_address == s.tf_address)
            .collect();
        let i = match found.as_slice() {
            [i] => *i,
            [] => {
                errors.push(format!(
                    "{}: {} is in none of the Terraform states read",
                    s.origin, s.tf_address
                ));
                continue;
            }
            several => {
                let mut sources: Vec<&str> = several
                    .iter()
                    .map(|i| instances[*i].source.as_str())
                    .collect();
                sources.sort();
                errors.push(format!(
                    "{}: {} is in several of the states read ({}): read only the current one",
                    s.origin,
                    s.tf_address,
                    sources.join(", ")
                ));
                continue;
            }
        };
        if let Err(why) = can_be(&instances[i], &address) {
            errors.push(format!("{}: {why}", s.origin));
            continue;
        }
        out.insert(
            i,
            Stated {
                address,
                origin: s.origin.clone(),
            },
        );
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Whether the Terraform resource's type can be the address's kind.
fn can_be(inst: &Instance, address: &Address) -> Result<(), String> {
    let wanted = address.kind.describe().terraform.map(|t| t.tf_type);
    let wanted = wanted.map_or("no Terraform type".to_owned(), |t| format!("an {t}"));
    if !inst.managed {
        return Err(format!(
            "{} is a data source, which cannot be {address} (a {} is {wanted})",
            inst.tf_address, address.kind
        ));
    }
    match kind_of(&inst.tf_type) {
        Some((kind, _)) if kind == address.kind => Ok(()),
        _ => Err(format!(
            "{} is an {}, which cannot be {address} (a {} is {wanted})",
            inst.tf_address, inst.tf_type, address.kind
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::terraform::parse;

    fn staging() -> DesiredState {
        let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        let (loaded, _) = crate::spec::load(&specs, "staging").expect("the project's specs load");
        crate::spec::desired::build(&loaded.spec)
    }

    fn instances() -> Vec<Instance> {
        let text = serde_json::json!({
            "version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "l",
            "resources": [
                {"mode": "managed", "type": "aws_security_group", "name": "alb_public",
                 "module": "module.net", "provider": "p",
                 "instances": [{"attributes": {"id": "sg-1", "name": "x", "vpc_id": "vpc-1"}}]},
                {"mode": "managed", "type": "aws_security_group_rule", "name": "in",
                 "provider": "p", "instances": [{"attributes": {"id": "sgrule-1"}}]},
                {"mode": "data", "type": "aws_security_group", "name": "d",
                 "provider": "p", "instances": [{"attributes": {"id": "sg-9"}}]}
            ]
        });
        parse("net.tfstate", &text.to_string()).unwrap().instances
    }

    #[test]
    fn lines_and_arguments_split_at_the_last_equals_sign() {
        let s = from_arg(r#"module.net.aws_security_group.this["a=b"]=shared.security_group.rds"#)
            .unwrap();
        assert_eq!(s.tf_address, r#"module.net.aws_security_group.this["a=b"]"#);
        assert_eq!(s.address, "shared.security_group.rds");
        let e = from_arg("shared.vpc").unwrap_err();
        assert!(e.starts_with("--map shared.vpc: "), "{e}");
        let file =
            "# which is which\n\nmodule.net.aws_vpc.this = shared.vpc\nnonsense\n =shared.vpc\n";
        let e = from_file("map.txt", file).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("map.txt:4: `nonsense`"), "{e:?}");
        assert!(e[1].starts_with("map.txt:5: "), "{e:?}");
        let ok = from_file("map.txt", "module.net.aws_vpc.this = shared.vpc  \n").unwrap();
        assert_eq!(ok[0].origin, "map.txt:1");
        assert_eq!(
            (ok[0].tf_address.as_str(), ok[0].address.as_str()),
            ("module.net.aws_vpc.this", "shared.vpc")
        );
    }

    #[test]
    fn unknown_addresses_and_repeats_are_refused_with_their_line() {
        let file = "a.b = shared.vpc\nc.d = shared.nothing\na.b = shared.api\ne.f = shared.vpc\n";
        let statements = from_file("m.map", file).unwrap();
        let e = check_addresses(&statements, &staging());
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("m.map:2: unknown address `shared.nothing`"));
        assert!(e[1].starts_with("m.map:3: a.b is stated twice (first at m.map:1)"));
        assert!(e[2].starts_with("m.map:4: shared.vpc is stated twice (first at m.map:1)"));
    }

    #[test]
    fn the_terraform_side_must_be_one_instance_of_a_fitting_type() {
        let desired = staging();
        let statement = |tf: &str, address: &str| Statement {
            origin: "--map".into(),
            tf_address: tf.into(),
            address: address.into(),
        };
        let ok = check(
            &[statement(
                "module.net.aws_security_group.alb_public",
                "shared.security_group.public-lb",
            )],
            &instances(),
            &desired,
        )
        .unwrap();
        assert_eq!(
            ok[&0].address.to_string(),
            "shared.security_group.public-lb"
        );
        let cases = [
            (
                "aws_vpc.gone",
                "shared.vpc",
                "is in none of the Terraform states read",
            ),
            (
                "aws_security_group_rule.in",
                "shared.security_group.rds",
                "is an aws_security_group_rule, which cannot be shared.security_group.rds (a security_group is an aws_security_group)",
            ),
            (
                "module.net.aws_security_group.alb_public",
                "shared.vpc",
                "which cannot be shared.vpc (a vpc is an aws_vpc)",
            ),
            (
                "data.aws_security_group.d",
                "shared.security_group.rds",
                "is a data source",
            ),
        ];
        for (tf, address, why) in cases {
            let e = check(&[statement(tf, address)], &instances(), &desired).unwrap_err();
            assert!(e[0].contains(why), "{tf}: {e:?}");
        }
    }
}
