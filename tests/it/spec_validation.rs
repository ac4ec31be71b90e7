//! Spec validation: copy the real specs to a temporary folder, break them one way at a time,
//! and check that the error names the exact file, line and field. Most breakages are rows of one
//! table (`broken_specs!`, a test a row); what needs more than one edit-and-load stays a test.

use std::path::{Path, PathBuf};

use provision::spec::{self, Diagnostic, SpecError};

struct Specs {
    dir: tempfile::TempDir,
}

impl Specs {
    /// A private copy of the project's specs/.
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        for entry in std::fs::read_dir(&src).expect("specs/") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|x| x == "toml") {
                std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).expect("copy");
            }
        }
        Specs { dir }
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir().join(file)
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path(file)).expect("read spec")
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.path(file), text).expect("write spec");
    }

    /// Replaces the only occurrence of `from` after the line `section` (a table header, or ""
    /// for the whole file) and before the next table header.
    fn edit(&self, file: &str, section: &str, from: &str, to: &str) {
        let text = self.read(file);
        let (start, end) = section_range(&text, section);
        let body = &text[start..end];
        assert_eq!(
            body.matches(from).count(),
            1,
            "`{from}` must occur once in {file} {section}"
        );
        let at = start + body.find(from).unwrap();
        let new = format!("{}{to}{}", &text[..at], &text[at + from.len()..]);
        self.write(file, &new);
    }

    /// 1-based line and column where `needle` starts, after `section` as in [`Specs::edit`].
    fn pos(&self, file: &str, section: &str, needle: &str) -> (usize, usize) {
        let text = self.read(file);
        let (start, end) = section_range(&text, section);
        let body = &text[start..end];
        assert_eq!(
            body.matches(needle).count(),
            1,
            "`{needle}` must occur once in {file} {section}"
        );
        let at = start + body.find(needle).unwrap();
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        (
            text[..at].matches('\n').count() + 1,
            text[line_start..at].chars().count() + 1,
        )
    }

    fn line(&self, file: &str, section: &str, needle: &str) -> usize {
        self.pos(file, section, needle).0
    }

    fn diags_one(&self, env: &str) -> Vec<Diagnostic> {
        match spec::load_one(self.dir(), env) {
            Ok(_) => panic!("{env} validated but should not"),
            Err(SpecError::Invalid(d)) => d,
            Err(e) => panic!("expected diagnostics, got: {e}"),
        }
    }

    fn diags(&self, env: &str) -> (Vec<Diagnostic>, String) {
        match spec::load(self.dir(), env) {
            Ok(_) => panic!("{env} validated but should not"),
            Err(e @ SpecError::Invalid(_)) => {
                let text = e.to_string();
                let SpecError::Invalid(d) = e else {
                    unreachable!()
                };
                (d, text)
            }
            Err(e) => panic!("expected diagnostics, got: {e}"),
        }
    }
}

fn section_range(text: &str, section: &str) -> (usize, usize) {
    if section.is_empty() {
        return (0, text.len());
    }
    let header = text
        .match_indices(section)
        .find(|(i, _)| *i == 0 || text.as_bytes()[i - 1] == b'\n')
        .unwrap_or_else(|| panic!("no line `{section}`"))
        .0;
    let start = header + section.len();
    let end = text[start..]
        .find("\n[")
        .map_or(text.len(), |i| start + i + 1);
    (start, end)
}

/// The one diagnostic about `field`, and what the message says.
fn the<'a>(diags: &'a [Diagnostic], field: &str) -> &'a Diagnostic {
    let found: Vec<&Diagnostic> = diags.iter().filter(|d| d.field == field).collect();
    assert_eq!(
        found.len(),
        1,
        "one diagnostic for `{field}`, got: {:#?}",
        diags.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    found[0]
}

#[track_caller]
fn assert_at(d: &Diagnostic, specs: &Specs, file: &str, line: usize) {
    assert_eq!(d.origin.path(), specs.path(file), "{d}");
    assert_eq!(d.origin.line(), line, "{d}");
    let rendered = d.to_string();
    let prefix = format!("{}:{line}:", specs.path(file).display());
    assert!(rendered.starts_with(&prefix), "{rendered}");
    assert!(rendered.contains(&format!(": {}: ", d.field)), "{rendered}");
}

#[track_caller]
fn assert_at_col(d: &Diagnostic, specs: &Specs, file: &str, (line, col): (usize, usize)) {
    assert_at(d, specs, file, line);
    let prefix = format!("{}:{line}:{col}: ", specs.path(file).display());
    assert!(
        d.to_string().starts_with(&prefix),
        "{d} (expected {prefix})"
    );
}

// ---- the table: one way of breaking the specs a row ------------------------------------------

/// One breakage of the project's specs and the diagnostics it must give (each row is a test of
/// its own, named by the row, so one failing row does not hide the others).
struct Case {
    /// `(file, section, from, to)` applied in order, as [`Specs::edit`] does.
    edits: &'static [(&'static str, &'static str, &'static str, &'static str)],
    /// Staging is loaded with production (`spec::load`, the rules across environments) rather
    /// than alone (`spec::load_one`).
    across: bool,
    /// No diagnostic but the expected ones.
    only: bool,
    expect: &'static [Expect],
}

/// One diagnostic, found by the field it names.
struct Expect {
    field: &'static str,
    /// Where it points: the line of `needle` after `section` in `file` (as in [`Specs::pos`]),
    /// and with `col` its column too.
    at: Option<At>,
    says: &'static [Says],
    /// The line of `(file, section, needle)` its first related location points at, and that
    /// location's note.
    related: Option<(&'static str, &'static str, &'static str)>,
    note: Option<&'static str>,
}

struct At {
    file: &'static str,
    section: &'static str,
    needle: &'static str,
    col: bool,
}

enum Says {
    Is(&'static str),
    StartsWith(&'static str),
    Contains(&'static str),
}
use Says::{Contains, Is, StartsWith};

const fn line(file: &'static str, section: &'static str, needle: &'static str) -> Option<At> {
    Some(At {
        file,
        section,
        needle,
        col: false,
    })
}

const fn col(file: &'static str, section: &'static str, needle: &'static str) -> Option<At> {
    Some(At {
        file,
        section,
        needle,
        col: true,
    })
}

const CASE: Case = Case {
    edits: &[],
    across: false,
    only: false,
    expect: &[],
};

const EXPECT: Expect = Expect {
    field: "",
    at: None,
    says: &[],
    related: None,
    note: None,
};

fn check(case: &Case) {
    let s = Specs::new();
    for (file, section, from, to) in case.edits {
        s.edit(file, section, from, to);
    }
    let d = if case.across {
        s.diags("staging").0
    } else {
        s.diags_one("staging")
    };
    if case.only {
        assert_eq!(d.len(), case.expect.len(), "{d:#?}");
    }
    for x in case.expect {
        let e = the(&d, x.field);
        if let Some(at) = &x.at {
            if at.col {
                let pos = s.pos(at.file, at.section, at.needle);
                assert_at_col(e, &s, at.file, pos);
            } else {
                assert_at(e, &s, at.file, s.line(at.file, at.section, at.needle));
            }
        }
        for says in x.says {
            match says {
                Is(text) => assert_eq!(e.message, *text),
                StartsWith(text) => assert!(e.message.starts_with(text), "{e}"),
                Contains(text) => assert!(e.message.contains(text), "{e}"),
            }
        }
        if let Some((file, section, needle)) = x.related {
            assert_eq!(e.related[0].0.line(), s.line(file, section, needle), "{e}");
        }
        if let Some(note) = x.note {
            assert_eq!(e.related[0].1, note, "{e}");
        }
    }
}

/// One `#[test]` a row: `name: Case { ... },`.
macro_rules! broken_specs {
    ($($(#[$meta:meta])* $name:ident: $case:expr,)*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                const ROW: Case = $case;
                check(&ROW);
            }
        )*
    };
}

broken_specs! {
    unknown_key: Case {
        edits: &[("staging.toml", "[network]", "vpc_cidr = ", "colour = \"blue\"\nvpc_cidr = ")],
        expect: &[Expect {
            field: "network.colour",
            at: col("staging.toml", "", "colour"),
            // ... and lists the valid keys.
            says: &[Contains("unknown field `colour`"), Contains("vpc_cidr")],
            ..EXPECT
        }],
        ..CASE
    },
    bad_cidr: Case {
        edits: &[("staging.toml", "[network]", "10.2.0.0/16", "10.2.0.300/16")],
        only: true,
        expect: &[Expect {
            field: "network.vpc_cidr",
            at: col("staging.toml", "", "\"10.2.0.300/16\""),
            says: &[Is("`10.2.0.300/16` is not an IPv4 CIDR block (expected e.g. 10.2.0.0/16)")],
            ..EXPECT
        }],
        ..CASE
    },
    cidr_with_host_bits: Case {
        edits: &[("staging.toml", "", "\"10.2.1.0/24\"", "\"10.2.1.7/24\"")],
        expect: &[Expect {
            field: "network.subnets.public-a.cidr",
            at: line("staging.toml", "", "10.2.1.7/24"),
            says: &[Is("`10.2.1.7/24` has host bits set; the network is 10.2.1.0/24")],
            ..EXPECT
        }],
        ..CASE
    },
    subnet_outside_the_vpc: Case {
        edits: &[("staging.toml", "", "\"10.2.1.0/24\"", "\"10.3.1.0/24\"")],
        expect: &[Expect {
            field: "network.subnets.public-a.cidr",
            at: line("staging.toml", "", "10.3.1.0/24"),
            says: &[Is("10.3.1.0/24 is outside the VPC 10.2.0.0/16")],
            related: Some(("staging.toml", "", "vpc_cidr")),
            note: Some("the VPC is 10.2.0.0/16"),
        }],
        ..CASE
    },
    overlapping_subnets: Case {
        edits: &[("staging.toml", "", "\"10.2.11.0/24\"", "\"10.2.10.128/25\"")],
        expect: &[Expect {
            field: "network.subnets.private-b.cidr",
            at: line("staging.toml", "", "10.2.10.128/25"),
            says: &[Is("10.2.10.128/25 overlaps network.subnets.private-a.cidr (10.2.10.0/24)")],
            related: Some(("staging.toml", "", "private-a.cidr")),
            ..EXPECT
        }],
        ..CASE
    },
    min_greater_than_max: Case {
        edits: &[("staging.toml", "[backend.beanstalk]", "min_instances = 1", "min_instances = 3")],
        expect: &[Expect {
            field: "backend.beanstalk.min_instances",
            at: line("staging.toml", "[backend.beanstalk]", "min_instances"),
            says: &[Is("min_instances 3 is greater than max_instances 1")],
            related: Some(("staging.toml", "[backend.beanstalk]", "max_instances")),
            ..EXPECT
        }],
        ..CASE
    },
    autoscaling_off_needs_min_equal_max: Case {
        edits: &[("staging.toml", "[console.beanstalk]", "max_instances = 1", "max_instances = 2")],
        only: true,
        expect: &[Expect {
            field: "console.beanstalk.autoscaling",
            at: line("staging.toml", "[console.beanstalk]", "autoscaling"),
            says: &[Is("auto-scaling is off, so min_instances (1) must equal max_instances (2)")],
            ..EXPECT
        }],
        ..CASE
    },
    backup_retention_above_35_days: Case {
        edits: &[("staging.toml", "", "backup_retention_days = 3", "backup_retention_days = 36")],
        expect: &[Expect {
            field: "backend.database.backup_retention_days",
            at: line("staging.toml", "", "backup_retention_days"),
            says: &[StartsWith("36 is outside 0..=35 days")],
            ..EXPECT
        }],
        ..CASE
    },
    ten_gib_on_gp3_points_to_magnetic_storage: Case {
        edits: &[("staging.toml", "", "storage_type = \"standard\"", "storage_type = \"gp3\"")],
        expect: &[Expect {
            field: "backend.database.allocated_storage_gb",
            at: line("staging.toml", "", "allocated_storage_gb"),
            says: &[
                StartsWith("10 GiB is outside 20-65536 GiB"),
                Contains("standard"),
                Contains("magnetic"),
            ],
            related: Some(("staging.toml", "", "storage_type")),
            ..EXPECT
        }],
        ..CASE
    },
    storage_above_the_maximum: Case {
        edits: &[("staging.toml", "", "allocated_storage_gb = 10", "allocated_storage_gb = 4000")],
        expect: &[Expect {
            field: "backend.database.allocated_storage_gb",
            at: line("staging.toml", "", "allocated_storage_gb"),
            says: &[Is("4000 GiB is outside 5-3072 GiB, what postgres allows on standard storage")],
            ..EXPECT
        }],
        ..CASE
    },
    unknown_subnet_reference: Case {
        edits: &[("base.toml", "[console.beanstalk]", "\"public-b\"]", "\"public-c\"]")],
        expect: &[Expect {
            field: "console.beanstalk.load_balancer_subnets[1]",
            at: col("base.toml", "", "\"public-c\""),
            says: &[Is("unknown subnet `public-c` (defined: private-a, private-b, public-a, public-b)")],
            ..EXPECT
        }],
        ..CASE
    },
    security_group_name_starting_with_sg: Case {
        edits: &[(
            "base.toml",
            "[security_groups.rds]",
            "description = \"Database",
            "name = \"sg-rds\"\ndescription = \"Database",
        )],
        only: true,
        expect: &[Expect {
            field: "security_groups.rds.name",
            at: col("base.toml", "", "\"sg-rds\""),
            says: &[Is("a security group's name cannot start with `sg-` (AWS keeps that for ids)")],
            ..EXPECT
        }],
        ..CASE
    },
    security_group_name_with_a_character_aws_refuses: Case {
        edits: &[(
            "base.toml",
            "[security_groups.rds]",
            "description = \"Database",
            "name = \"rds|sg\"\ndescription = \"Database",
        )],
        only: true,
        expect: &[Expect {
            field: "security_groups.rds.name",
            at: col("base.toml", "", "\"rds|sg\""),
            says: &[StartsWith("`|` is not allowed in security group names")],
            ..EXPECT
        }],
        ..CASE
    },
    security_group_description_with_a_character_aws_refuses: Case {
        edits: &[(
            "base.toml",
            "[security_groups.rds]",
            "\"Database: PostgreSQL from the backend instances only\"",
            "\"Database \u{e9}\"",
        )],
        only: true,
        expect: &[Expect {
            field: "security_groups.rds.description",
            at: col("base.toml", "", "\"Database \u{e9}\""),
            says: &[StartsWith("`\u{e9}` is not allowed in security group descriptions")],
            ..EXPECT
        }],
        ..CASE
    },
    unknown_security_group_reference: Case {
        edits: &[
            ("base.toml", "[security_groups.rds]", "group = \"backend-app\"", "group = \"backend-ap\""),
            ("base.toml", "[backend.database]", "[\"rds\"]", "[\"rds\", \"db\"]"),
        ],
        expect: &[
            Expect {
                field: "security_groups.rds.ingress[0].group",
                at: col("base.toml", "", "\"backend-ap\""),
                says: &[Is("unknown security group `backend-ap` (defined: api-link, backend-app, console-app, internal-lb, public-lb, rds)")],
                ..EXPECT
            },
            Expect {
                field: "backend.database.security_groups[1]",
                at: col("base.toml", "", "\"db\""),
                says: &[StartsWith("unknown security group `db`")],
                ..EXPECT
            },
        ],
        ..CASE
    },
    unknown_placeholder: Case {
        edits: &[("base.toml", "[api]", "{project}-api-{env}", "{project}-api-{stage}")],
        expect: &[Expect {
            field: "api.name",
            at: line("base.toml", "", "{stage}"),
            says: &[Is("unknown placeholder `{stage}` (valid: {project}, {env})")],
            ..EXPECT
        }],
        ..CASE
    },
    /// staging.toml has no [state] table: the base's is the place.
    missing_table_is_reported_in_the_base: Case {
        edits: &[("base.toml", "[state]", "bucket = \"agentpass-terraform-state\"\n", "")],
        only: true,
        expect: &[Expect {
            field: "state.bucket",
            at: line("base.toml", "", "[state]"),
            ..EXPECT
        }],
        ..CASE
    },
    availability_zone_not_in_the_region: Case {
        edits: &[
            ("base.toml", "[project]", "\"us-east-2b\"]", "\"us-east-2b\", \"us-west-2c\"]"),
            ("base.toml", "[network.subnets.public-b]", "\"us-east-2b\"", "\"us-east-2c\""),
        ],
        expect: &[
            Expect {
                field: "project.availability_zones[2]",
                at: col("base.toml", "", "\"us-west-2c\""),
                says: &[Is("`us-west-2c` is not an availability zone of us-east-2 (expected e.g. us-east-2a)")],
                ..EXPECT
            },
            Expect {
                field: "network.subnets.public-b.availability_zone",
                at: line("base.toml", "", "\"us-east-2c\""),
                says: &[Is("`us-east-2c` is not in project.availability_zones (us-east-2a, us-east-2b, us-west-2c)")],
                ..EXPECT
            },
        ],
        ..CASE
    },
    malformed_toml: Case {
        edits: &[("staging.toml", "[network]", "\"10.2.0.0/16\"", "\"10.2.0.0/16")],
        only: true,
        expect: &[Expect {
            field: "network.vpc_cidr",
            at: line("staging.toml", "", "vpc_cidr"),
            ..EXPECT
        }],
        ..CASE
    },
    /// Beanstalk CNAME prefixes and API names written without {env} collide across environments.
    same_cname_prefix_and_api_name_in_both_environments: Case {
        edits: &[
            ("base.toml", "[console.beanstalk]", "cname_prefix = \"{project}-{env}\"", "cname_prefix = \"agentpass-web\""),
            ("base.toml", "[api]", "name = \"{project}-api-{env}\"", "name = \"agentpass-api\""),
        ],
        across: true,
        expect: &[
            Expect {
                field: "console.beanstalk.cname_prefix",
                at: line("base.toml", "[console.beanstalk]", "cname_prefix"),
                says: &[Contains("`agentpass-web` is also production's")],
                ..EXPECT
            },
            Expect {
                field: "api.name",
                says: &[Contains("`agentpass-api` is also production's")],
                ..EXPECT
            },
        ],
        ..CASE
    },
    /// Written without {env}, the backend's instance role would be staging's and production's
    /// (naming both environments, it passes the rule that a role name carries its environment).
    one_role_name_shared_across_environments_is_refused: Case {
        edits: &[(
            "base.toml",
            "[backend.iam]",
            "instance_role = \"{project}-{env}-backend-ec2\"",
            "instance_role = \"agentpass-staging-production-ec2\"",
        )],
        across: true,
        expect: &[Expect {
            field: "backend.iam.instance_role",
            at: line("base.toml", "[backend.iam]", "instance_role"),
            says: &[Contains("IAM role `agentpass-staging-production-ec2` is also production's")],
            ..EXPECT
        }],
        ..CASE
    },
    role_names_must_name_their_environment: Case {
        edits: &[(
            "base.toml",
            "[console.iam]",
            "instance_role = \"{project}-{env}-console-ec2\"",
            "instance_role = \"{project}-console-ec2-{env}x\"",
        )],
        across: true,
        expect: &[Expect {
            field: "console.iam.instance_role",
            at: line("base.toml", "[console.iam]", "instance_role"),
            says: &[Contains(
                "`agentpass-console-ec2-stagingx` must name the environment `staging` between dashes",
            )],
            ..EXPECT
        }],
        ..CASE
    },
    role_names_must_start_with_the_project_and_differ: Case {
        edits: &[
            (
                "base.toml",
                "[console.iam]",
                "service_role = \"{project}-{env}-console-eb-service\"",
                "service_role = \"{project}-{env}-console-ec2\"",
            ),
            (
                "base.toml",
                "[backend.iam]",
                "service_role = \"{project}-{env}-backend-eb-service\"",
                "service_role = \"other-{env}-eb\"",
            ),
        ],
        across: true,
        expect: &[
            Expect {
                field: "console.iam.service_role",
                says: &[Contains("must not be the instance role")],
                ..EXPECT
            },
            Expect {
                field: "backend.iam.service_role",
                says: &[Contains("must start with the project name `agentpass`")],
                ..EXPECT
            },
        ],
        ..CASE
    },
    /// A password of its own: DB_USER and DB_PASSWORD read a secret RDS does not manage.
    a_password_of_its_own_has_no_secret_to_read: Case {
        edits: &[(
            "staging.toml",
            "[backend.database]",
            "apply_immediately = true",
            "apply_immediately = true\nmaster_password_env = \"STAGING_DB_PASSWORD\"",
        )],
        expect: &[
            Expect {
                field: "backend.beanstalk.settings.aws:elasticbeanstalk:application:environmentsecrets.DB_USER",
                at: line("base.toml", SECRETS, "DB_USER"),
                says: &[Contains("not managed by RDS")],
                ..EXPECT
            },
            Expect {
                field: "backend.beanstalk.settings.aws:elasticbeanstalk:application:environmentsecrets.DB_PASSWORD",
                at: line("base.toml", SECRETS, "DB_PASSWORD"),
                says: &[Contains("not managed by RDS")],
                ..EXPECT
            },
        ],
        ..CASE
    },
}

const SECRETS: &str =
    "[backend.beanstalk.settings.\"aws:elasticbeanstalk:application:environmentsecrets\"]";

// ---- what needs more than one breakage and one load -------------------------------------------

#[test]
fn the_real_specs_validate() {
    let s = Specs::new();
    for env in ["staging", "production"] {
        let (loaded, warnings) = spec::load(s.dir(), env).expect("valid");
        assert_eq!(loaded.spec.env, env);
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}

#[test]
fn the_run_tag_is_the_one_provision_tag_a_spec_may_set() {
    let s = Specs::new();
    let run = "ManagedBy = \"provision\"\n\"provision:run\" = \"acc0123abcd\"";
    s.edit("base.toml", "[tags]", "ManagedBy = \"provision\"", run);
    let (loaded, _) = spec::load(s.dir(), "staging").expect("provision:run is allowed");
    let desired = spec::desired::build(&loaded.spec);
    // On every resource that takes tags (subscriptions take none; the dashboard takes none
    // either: its body's ownership marker holds only the ownership tags).
    let tagged: Vec<_> = desired
        .resources
        .iter()
        .filter(|(a, r)| !r.tags.is_empty() && a.kind != provision::model::Kind::Dashboard)
        .collect();
    assert!(tagged.len() > 30, "{}", tagged.len());
    for (address, r) in tagged {
        assert_eq!(
            r.tags.get(provision::model::TAG_RUN).map(String::as_str),
            Some("acc0123abcd"),
            "{address}"
        );
    }
    // Ownership tags stay reserved.
    s.edit(
        "base.toml",
        "[tags]",
        "\"provision:run\"",
        "\"provision:env\" = \"other\"\n\"provision:run\"",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "tags.provision:env");
    assert_at(
        e,
        &s,
        "base.toml",
        s.line("base.toml", "", "\"provision:env\""),
    );
    assert!(e.message.contains("is reserved"), "{e}");
    assert_eq!(d.len(), 1, "{d:#?}");
}

#[test]
fn production_vpc_overlapping_staging() {
    let s = Specs::new();
    let prod = s.read("production.toml").replace("\"10.0.", "\"10.2.");
    s.write("production.toml", &prod);
    spec::load_one(s.dir(), "production").expect("production alone is fine");
    let (d, text) = s.diags("production");
    let e = the(&d, "network.vpc_cidr");
    let prod_line = s.line("production.toml", "", "vpc_cidr");
    let staging_line = s.line("staging.toml", "", "vpc_cidr");
    assert_at(e, &s, "production.toml", prod_line);
    assert_eq!(
        e.message,
        "10.2.0.0/16 overlaps staging's VPC 10.2.0.0/16; environments must be isolated"
    );
    // The message names both files and lines.
    let here = format!("{}:{prod_line}:", s.path("production.toml").display());
    let there = format!("{}:{staging_line}:", s.path("staging.toml").display());
    assert!(text.contains(&here), "{text}");
    assert!(text.contains(&there), "{text}");
    assert!(text.contains("staging's VPC is 10.2.0.0/16"), "{text}");
    // And the other way round.
    let (d, _) = s.diags("staging");
    assert_at(
        the(&d, "network.vpc_cidr"),
        &s,
        "staging.toml",
        staging_line,
    );
}

#[test]
fn missing_required_field() {
    // (table in base.toml, line removed, field, where the error points in staging.toml)
    let cases = [
        (
            "[backend.database]",
            "engine_version = \"16\"\n",
            "backend.database.engine_version",
            "[backend.database]",
        ),
        (
            "[backend.database]",
            "instance_class = \"db.t3.micro\"\n",
            "backend.database.instance_class",
            "[backend.database]",
        ),
        (
            "[backend.database]",
            "master_username = \"agentpass\"\n",
            "backend.database.master_username",
            "[backend.database]",
        ),
        (
            "[console.beanstalk]",
            "platform = \"Node.js 24 running on 64bit Amazon Linux 2023\"\n",
            "console.beanstalk.platform",
            "[console.beanstalk]",
        ),
    ];
    for (section, line, field, table) in cases {
        let s = Specs::new();
        s.edit("base.toml", section, line, "");
        let d = s.diags_one("staging");
        // Only the missing value: no follow-on complaint about the placeholder standing in.
        assert_eq!(
            d.len(),
            1,
            "{field}: {:#?}",
            d.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        let e = the(&d, field);
        // Reported at the table in the environment file, the likelier place to add it.
        assert_at(e, &s, "staging.toml", s.line("staging.toml", "", table));
        assert_eq!(
            e.message,
            format!(
                "missing; set it in {} or {}",
                s.path("staging.toml").display(),
                s.path("base.toml").display()
            )
        );
    }
}

#[test]
fn same_password_variable_in_both_environments() {
    let s = Specs::new();
    for file in ["staging.toml", "production.toml"] {
        s.edit(
            file,
            "[backend.database]",
            "apply_immediately",
            "master_password_env = \"DB_PASSWORD\"\napply_immediately",
        );
    }
    // A password of its own has no secret for the backend to read.
    for line in [
        "DB_USER = \"${backend.rds.master_secret_arn}:username\"\n",
        "DB_PASSWORD = \"${backend.rds.master_secret_arn}:password\"\n",
    ] {
        s.edit("base.toml", "", line, "");
    }
    spec::load_one(s.dir(), "staging").expect("staging alone is fine");
    let (d, text) = s.diags("staging");
    let e = the(&d, "backend.database.master_password_env");
    let here = s.line("staging.toml", "", "DB_PASSWORD");
    let there = s.line("production.toml", "", "DB_PASSWORD");
    assert_at(e, &s, "staging.toml", here);
    assert!(
        e.message
            .contains("`DB_PASSWORD` is also production's password variable"),
        "{e}"
    );
    assert!(
        text.contains(&format!("{}:{there}:", s.path("production.toml").display())),
        "{text}"
    );
}

#[test]
fn non_utf8_file() {
    let s = Specs::new();
    let mut bytes = s.read("staging.toml").into_bytes();
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    bytes.extend_from_slice(b"# caf\xe9\n");
    std::fs::write(s.path("staging.toml"), bytes).unwrap();
    let d = s.diags_one("staging");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].origin.path(), s.path("staging.toml"));
    assert_eq!(d[0].origin.line(), lines + 1);
    assert_eq!(
        d[0].to_string(),
        format!(
            "{}:{}:6: not valid UTF-8 (TOML files must be UTF-8)",
            s.path("staging.toml").display(),
            lines + 1
        )
    );
}

#[test]
fn file_larger_than_one_mib() {
    let s = Specs::new();
    let mut text = s.read("staging.toml");
    let pad = "# padding padding padding padding padding padding padding padding padding\n";
    while text.len() <= 1024 * 1024 {
        text.push_str(pad);
    }
    s.write("staging.toml", &text);
    let err = spec::load_one(s.dir(), "staging").unwrap_err();
    let SpecError::Io { path, message } = &err else {
        panic!("expected an I/O error, got {err}");
    };
    assert_eq!(path, &s.path("staging.toml"));
    assert_eq!(
        message,
        &format!(
            "{} bytes is larger than a spec can be (1048576 bytes)",
            text.len()
        )
    );
}

#[test]
fn missing_environment_file_lists_the_environments() {
    let s = Specs::new();
    let err = spec::load_one(s.dir(), "qa").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read {}: no spec for environment `qa` (environments in {}: production, staging)",
            s.path("qa.toml").display(),
            s.dir().display()
        )
    );
}

#[test]
fn malformed_toml_in_both_files_is_reported_together() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "[network]",
        "\"10.2.0.0/16\"",
        "\"10.2.0.0/16",
    );
    s.edit("base.toml", "", "[state]", "[state");
    let d = s.diags_one("staging");
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_at(&d[0], &s, "base.toml", s.line("base.toml", "", "[state"));
    assert_at(
        &d[1],
        &s,
        "staging.toml",
        s.line("staging.toml", "", "vpc_cidr"),
    );
}

#[test]
fn several_errors_are_reported_in_one_run() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "",
        "backup_retention_days = 3",
        "backup_retention_days = 36",
    );
    s.edit(
        "staging.toml",
        "[backend.beanstalk]",
        "min_instances = 1",
        "min_instances = 3",
    );
    s.edit("staging.toml", "", "\"10.2.1.0/24\"", "\"10.2.1.7/24\"");
    s.edit(
        "base.toml",
        "[api]",
        "{project}-api-{env}",
        "{project}-api-{stage}",
    );
    let err = spec::load_one(s.dir(), "staging").unwrap_err();
    let text = err.to_string();
    let SpecError::Invalid(d) = err else {
        panic!("{text}")
    };
    for field in [
        "api.name",
        "backend.database.backup_retention_days",
        "backend.beanstalk.min_instances",
        "backend.beanstalk.autoscaling",
        "network.subnets.public-a.cidr",
    ] {
        the(&d, field);
    }
    assert_eq!(d.len(), 5, "{text}");
    assert!(text.ends_with("\n5 errors in the specs"), "{text}");
    // Sorted by file, then position: base.toml first.
    let first = text.lines().next().unwrap();
    assert!(
        first.contains("base.toml:") && first.contains("api.name"),
        "{text}"
    );
}

#[test]
fn vpc_link_fields() {
    // An unknown subnet or group in the link names the file, line and field.
    let s = Specs::new();
    s.edit("base.toml", "[api]", "\"private-b\"]", "\"private-z\"]");
    s.edit("base.toml", "[api]", "[\"api-link\"]", "[\"nope\"]");
    let d = s.diags_one("staging");
    let e = the(&d, "api.vpc_link_subnets[1]");
    assert_at(
        e,
        &s,
        "base.toml",
        s.line("base.toml", "[api]", "vpc_link_subnets"),
    );
    assert!(e.message.contains("private-z"), "{e}");
    let e = the(&d, "api.vpc_link_security_groups[0]");
    assert!(e.message.contains("nope"), "{e}");

    // vpc_link needs subnets (a link provision makes) or an id, not both.
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[api]",
        "vpc_link_subnets = [\"private-a\", \"private-b\"]\n",
        "",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "api.integration");
    assert!(e.message.contains("`vpc_link_subnets`"), "{e}");
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[api]",
        "integration = \"vpc_link\"",
        "integration = \"vpc_link\"\nvpc_link_id = \"abc123\"",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "api.vpc_link_id");
    assert!(e.message.contains("not both"), "{e}");

    // An http_proxy integration takes no link fields.
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[api]",
        "integration = \"vpc_link\"",
        "integration = \"http_proxy\"",
    );
    let d = s.diags_one("staging");
    for field in ["api.vpc_link_subnets", "api.vpc_link_security_groups"] {
        assert!(the(&d, field).message.contains("only apply"), "{field}");
    }
}

#[test]
fn platform_is_a_branch_or_a_pin_not_both_in_one_file() {
    let branch = "platform = \"Node.js 24 running on 64bit Amazon Linux 2023\"\n";
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[console.beanstalk]",
        branch,
        "platform = \"64bit Amazon Linux 2023 v6.11.5 running Node.js 24\"\n",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "console.beanstalk.platform");
    assert!(
        e.message.contains("is not a platform branch"),
        "{}",
        e.message
    );

    let s = Specs::new();
    s.edit(
        "base.toml",
        "[console.beanstalk]",
        branch,
        &format!(
            "{branch}solution_stack = \"64bit Amazon Linux 2023 v6.11.5 running Node.js 24\"\n"
        ),
    );
    let d = s.diags_one("staging");
    assert!(
        the(&d, "console.beanstalk.solution_stack")
            .message
            .contains("not both")
    );

    // The environment file pins what the base leaves to the branch: its pin wins.
    let s = Specs::new();
    let pin = "64bit Amazon Linux 2023 v6.11.5 running Node.js 24";
    s.edit(
        "staging.toml",
        "[console.beanstalk]",
        "autoscaling = false\n",
        &format!("autoscaling = false\nsolution_stack = \"{pin}\"\n"),
    );
    let loaded = spec::load_one(s.dir(), "staging").expect("valid");
    let branches = spec::platform_branches(&loaded.spec);
    assert_eq!(branches.len(), 1, "only the backend follows the branch");
    assert!(
        branches
            .keys()
            .all(|a| a.to_string() == "backend.beanstalk")
    );
}

#[test]
fn bad_setting_references_name_file_line_and_field() {
    let props = "aws:elasticbeanstalk:application:environment";
    let secrets = "aws:elasticbeanstalk:application:environmentsecrets";
    for (ns, from, to, option, says) in [
        (
            props,
            "${backend.rds.endpoint}",
            "${backend.rds.password}",
            "DB_HOST",
            "`${backend.rds.password}`: kind `rds` has no attribute `password` (it has: id, endpoint, port, db_name, master_secret_arn)",
        ),
        (
            props,
            "${backend.rds.port}",
            "${backend.rds.port",
            "DB_PORT",
            "`${` without its closing `}` in `${backend.rds.port`",
        ),
        (
            props,
            "${backend.rds.db_name}",
            "${backend.beanstalk.cname}",
            "DB_NAME",
            "`${backend.beanstalk.cname}` refers to this environment itself",
        ),
        (
            secrets,
            "${backend.rds.master_secret_arn}:password",
            "${shared.subnet.private-z.id}",
            "DB_PASSWORD",
            "`${shared.subnet.private-z.id}`: no resource `shared.subnet.private-z` in this environment",
        ),
    ] {
        let section = format!("[backend.beanstalk.settings.\"{ns}\"]");
        let s = Specs::new();
        s.edit("base.toml", &section, from, to);
        let d = s.diags_one("staging");
        let e = the(&d, &format!("backend.beanstalk.settings.{ns}.{option}"));
        assert_at(e, &s, "base.toml", s.line("base.toml", &section, to));
        assert_eq!(e.message, says);
    }
}

/// Environment properties AWS refuses ("Environment property limits": values hold letters,
/// digits, white space and `_ . : / = + \ - @ ' "`, names letters, digits and `_ . : / + \ -
/// @`, all together at most 4,096 bytes) and secrets that are no ARN, refused before any call.
#[test]
fn settings_aws_refuses_name_file_line_and_field() {
    const PROPS: &str =
        "[backend.beanstalk.settings.\"aws:elasticbeanstalk:application:environment\"]";
    const SECRETS: &str =
        "[backend.beanstalk.settings.\"aws:elasticbeanstalk:application:environmentsecrets\"]";
    let big = "x".repeat(4100);
    // (file, section, from, to, option, namespace is secrets, the message contains)
    let cases: Vec<(&str, &str, &str, String, &str, bool, &str)> = vec![
        (
            "base.toml",
            PROPS,
            "NODE_ENV = \"production\"",
            "NODE_ENV = \"production!\"".into(),
            "NODE_ENV",
            false,
            "`!` is not allowed in a property value (Elastic Beanstalk allows letters, digits, white space and _ . : / = + \\ - @ ' \")",
        ),
        (
            "base.toml",
            PROPS,
            "DB_NAME = \"${backend.rds.db_name}\"",
            "DB_NAME = \"${backend.rds.db_name}\"\nDB_SECRET_ARN = \"${backend.rds.master_secret_arn}\"".into(),
            "DB_SECRET_ARN",
            false,
            "`${backend.rds.master_secret_arn}` always holds `!`",
        ),
        (
            "base.toml",
            PROPS,
            "DB_HOST = \"${backend.rds.endpoint}\"",
            "DB_HOST = \"${backend.rds.endpoint};sslmode=require\"".into(),
            "DB_HOST",
            false,
            "`;` is not allowed in a property value",
        ),
        (
            "base.toml",
            PROPS,
            "NODE_ENV = \"production\"",
            "NODE_ENV = \"production\"\n\"MY VAR\" = \"x\"".into(),
            "MY VAR",
            false,
            "` ` is not allowed in a property name (Elastic Beanstalk allows letters, digits and _ . : / + \\ - @)",
        ),
        (
            "base.toml",
            PROPS,
            "NODE_ENV = \"production\"",
            format!("NODE_ENV = \"production\"\nBIG = \"{big}\""),
            "BIG",
            false,
            "the environment properties take 4147 bytes together (as key=value); Elastic Beanstalk allows 4096, and references add their values to that",
        ),
        (
            "base.toml",
            SECRETS,
            "DB_USER = \"${backend.rds.master_secret_arn}:username\"",
            "DB_USER = \"admin\"".into(),
            "DB_USER",
            true,
            "`admin` is not a secret's or parameter's ARN",
        ),
        (
            "staging.toml",
            "",
            "[backend.database]",
            format!("{PROPS}\nGREETING = \"hello, world\"\n\n[backend.database]"),
            "GREETING",
            false,
            "`,` is not allowed in a property value",
        ),
    ];
    for (file, section, from, to, option, secret, says) in cases {
        let s = Specs::new();
        s.edit(file, section, from, &to);
        let d = s.diags_one("staging");
        let ns = if secret {
            "aws:elasticbeanstalk:application:environmentsecrets"
        } else {
            "aws:elasticbeanstalk:application:environment"
        };
        let e = the(&d, &format!("backend.beanstalk.settings.{ns}.{option}"));
        let written = to.lines().find(|l| l.contains(option)).unwrap();
        assert_at(e, &s, file, s.line(file, "", written));
        assert!(e.message.contains(says), "{option}: {}", e.message);
    }
}

/// A group's stated AWS name is its name in AWS; references to it still go by its key.
#[test]
fn a_security_group_keeps_a_name_it_was_given() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "",
        "[network]\n",
        "[security_groups.rds]\nname = \"agentpass-staging-rds-sg\"\ndescription = \"Managed by Terraform\"\n\n[network]\n",
    );
    let loaded = spec::load_one(s.dir(), "staging").expect("valid");
    let desired = spec::desired::build(&loaded.spec);
    let rds: provision::model::Address = "shared.security_group.rds".parse().unwrap();
    let provision::model::Attrs::SecurityGroup(g) = &desired.resources[&rds].attrs else {
        panic!("not a group");
    };
    assert_eq!(g.name, "agentpass-staging-rds-sg");
    assert_eq!(g.description, "Managed by Terraform");
    let other: provision::model::Address = "shared.security_group.backend-app".parse().unwrap();
    let provision::model::Attrs::SecurityGroup(b) = &desired.resources[&other].attrs else {
        panic!("not a group");
    };
    assert_eq!(
        b.name, "agentpass-staging-backend-app",
        "derived where not stated"
    );
    // The database still refers to the group by its key.
    let db: provision::model::Address = "backend.rds".parse().unwrap();
    let refs = desired.resources[&db].attrs.field_refs();
    assert!(
        refs.iter()
            .any(|(_, r)| **r == provision::model::Ref::Managed(rds.clone())),
        "{refs:?}"
    );
}
