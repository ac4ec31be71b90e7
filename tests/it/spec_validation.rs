//! Spec validation: copy the real specs to a temporary folder, break them one way at a time,
//! and check that the error names the exact file, line and field.

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

// ---------------------------------------------------------------------------------------------

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
fn unknown_key() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "[network]",
        "vpc_cidr = ",
        "colour = \"blue\"\nvpc_cidr = ",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "network.colour");
    assert_at_col(e, &s, "staging.toml", s.pos("staging.toml", "", "colour"));
    assert!(e.message.contains("unknown field `colour`"), "{e}");
    assert!(e.message.contains("vpc_cidr"), "lists the valid keys: {e}");
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
fn bad_cidr() {
    let s = Specs::new();
    s.edit("staging.toml", "[network]", "10.2.0.0/16", "10.2.0.300/16");
    let d = s.diags_one("staging");
    let e = the(&d, "network.vpc_cidr");
    assert_at_col(
        e,
        &s,
        "staging.toml",
        s.pos("staging.toml", "", "\"10.2.0.300/16\""),
    );
    assert_eq!(
        e.message,
        "`10.2.0.300/16` is not an IPv4 CIDR block (expected e.g. 10.2.0.0/16)"
    );
    assert_eq!(d.len(), 1, "{d:#?}");
}

#[test]
fn cidr_with_host_bits() {
    let s = Specs::new();
    s.edit("staging.toml", "", "\"10.2.1.0/24\"", "\"10.2.1.7/24\"");
    let d = s.diags_one("staging");
    let e = the(&d, "network.subnets.public-a.cidr");
    assert_at(
        e,
        &s,
        "staging.toml",
        s.line("staging.toml", "", "10.2.1.7/24"),
    );
    assert_eq!(
        e.message,
        "`10.2.1.7/24` has host bits set; the network is 10.2.1.0/24"
    );
}

#[test]
fn subnet_outside_the_vpc() {
    let s = Specs::new();
    s.edit("staging.toml", "", "\"10.2.1.0/24\"", "\"10.3.1.0/24\"");
    let d = s.diags_one("staging");
    let e = the(&d, "network.subnets.public-a.cidr");
    assert_at(
        e,
        &s,
        "staging.toml",
        s.line("staging.toml", "", "10.3.1.0/24"),
    );
    assert_eq!(e.message, "10.3.1.0/24 is outside the VPC 10.2.0.0/16");
    let (vpc, note) = &e.related[0];
    assert_eq!(vpc.line(), s.line("staging.toml", "", "vpc_cidr"));
    assert_eq!(note, "the VPC is 10.2.0.0/16");
}

#[test]
fn overlapping_subnets() {
    let s = Specs::new();
    s.edit("staging.toml", "", "\"10.2.11.0/24\"", "\"10.2.10.128/25\"");
    let d = s.diags_one("staging");
    let e = the(&d, "network.subnets.private-b.cidr");
    assert_at(
        e,
        &s,
        "staging.toml",
        s.line("staging.toml", "", "10.2.10.128/25"),
    );
    assert_eq!(
        e.message,
        "10.2.10.128/25 overlaps network.subnets.private-a.cidr (10.2.10.0/24)"
    );
    assert_eq!(
        e.related[0].0.line(),
        s.line("staging.toml", "", "private-a.cidr")
    );
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
fn min_greater_than_max() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "[backend.beanstalk]",
        "min_instances = 1",
        "min_instances = 3",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "backend.beanstalk.min_instances");
    assert_at(
        e,
        &s,
        "staging.toml",
        s.line("staging.toml", "[backend.beanstalk]", "min_instances"),
    );
    assert_eq!(e.message, "min_instances 3 is greater than max_instances 1");
    assert_eq!(
        e.related[0].0.line(),
        s.line("staging.toml", "[backend.beanstalk]", "max_instances")
    );
}

#[test]
fn autoscaling_off_needs_min_equal_max() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "[console.beanstalk]",
        "max_instances = 1",
        "max_instances = 2",
    );
    let d = s.diags_one("staging");
    assert_eq!(d.len(), 1, "{d:#?}");
    let e = the(&d, "console.beanstalk.autoscaling");
    assert_at(
        e,
        &s,
        "staging.toml",
        s.line("staging.toml", "[console.beanstalk]", "autoscaling"),
    );
    assert_eq!(
        e.message,
        "auto-scaling is off, so min_instances (1) must equal max_instances (2)"
    );
}

#[test]
fn backup_retention_above_35_days() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "",
        "backup_retention_days = 3",
        "backup_retention_days = 36",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "backend.database.backup_retention_days");
    assert_at(
        e,
        &s,
        "staging.toml",
        s.line("staging.toml", "", "backup_retention_days"),
    );
    assert!(e.message.starts_with("36 is outside 0..=35 days"), "{e}");
}

#[test]
fn ten_gib_on_gp3_points_to_magnetic_storage() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "",
        "storage_type = \"standard\"",
        "storage_type = \"gp3\"",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "backend.database.allocated_storage_gb");
    assert_at(
        e,
        &s,
        "staging.toml",
        s.line("staging.toml", "", "allocated_storage_gb"),
    );
    assert!(
        e.message.starts_with("10 GiB is outside 20-65536 GiB"),
        "{e}"
    );
    assert!(e.message.contains("standard"), "{e}");
    assert!(e.message.contains("magnetic"), "{e}");
    assert_eq!(
        e.related[0].0.line(),
        s.line("staging.toml", "", "storage_type")
    );
}

#[test]
fn storage_above_the_maximum() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "",
        "allocated_storage_gb = 10",
        "allocated_storage_gb = 4000",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "backend.database.allocated_storage_gb");
    assert_at(
        e,
        &s,
        "staging.toml",
        s.line("staging.toml", "", "allocated_storage_gb"),
    );
    assert_eq!(
        e.message,
        "4000 GiB is outside 5-3072 GiB, what postgres allows on standard storage"
    );
}

#[test]
fn unknown_subnet_reference() {
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[console.beanstalk]",
        "\"public-b\"]",
        "\"public-c\"]",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "console.beanstalk.load_balancer_subnets[1]");
    assert_at_col(e, &s, "base.toml", s.pos("base.toml", "", "\"public-c\""));
    assert_eq!(
        e.message,
        "unknown subnet `public-c` (defined: private-a, private-b, public-a, public-b)"
    );
}

#[test]
fn unknown_security_group_reference() {
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[security_groups.rds]",
        "group = \"backend-app\"",
        "group = \"backend-ap\"",
    );
    s.edit(
        "base.toml",
        "[backend.database]",
        "[\"rds\"]",
        "[\"rds\", \"db\"]",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "security_groups.rds.ingress[0].group");
    assert_at_col(e, &s, "base.toml", s.pos("base.toml", "", "\"backend-ap\""));
    assert_eq!(
        e.message,
        "unknown security group `backend-ap` (defined: api-link, backend-app, console-app, internal-lb, public-lb, rds)"
    );
    let e = the(&d, "backend.database.security_groups[1]");
    assert_at_col(e, &s, "base.toml", s.pos("base.toml", "", "\"db\""));
    assert!(e.message.starts_with("unknown security group `db`"), "{e}");
}

#[test]
fn unknown_placeholder() {
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[api]",
        "{project}-api-{env}",
        "{project}-api-{stage}",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "api.name");
    assert_at(e, &s, "base.toml", s.line("base.toml", "", "{stage}"));
    assert_eq!(
        e.message,
        "unknown placeholder `{stage}` (valid: {project}, {env})"
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
fn missing_table_is_reported_in_the_base() {
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[state]",
        "bucket = \"agentpass-terraform-state\"\n",
        "",
    );
    let d = s.diags_one("staging");
    assert_eq!(d.len(), 1, "{d:#?}");
    // staging.toml has no [state] table: the base's is the place.
    assert_at(
        the(&d, "state.bucket"),
        &s,
        "base.toml",
        s.line("base.toml", "", "[state]"),
    );
}

#[test]
fn availability_zone_not_in_the_region() {
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[project]",
        "\"us-east-2b\"]",
        "\"us-east-2b\", \"us-west-2c\"]",
    );
    s.edit(
        "base.toml",
        "[network.subnets.public-b]",
        "\"us-east-2b\"",
        "\"us-east-2c\"",
    );
    let d = s.diags_one("staging");
    let e = the(&d, "project.availability_zones[2]");
    assert_at_col(e, &s, "base.toml", s.pos("base.toml", "", "\"us-west-2c\""));
    assert_eq!(
        e.message,
        "`us-west-2c` is not an availability zone of us-east-2 (expected e.g. us-east-2a)"
    );
    let e = the(&d, "network.subnets.public-b.availability_zone");
    assert_at(
        e,
        &s,
        "base.toml",
        s.line("base.toml", "", "\"us-east-2c\""),
    );
    assert_eq!(
        e.message,
        "`us-east-2c` is not in project.availability_zones (us-east-2a, us-east-2b, us-west-2c)"
    );
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
fn malformed_toml() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "[network]",
        "\"10.2.0.0/16\"",
        "\"10.2.0.0/16",
    );
    let d = s.diags_one("staging");
    assert_eq!(d.len(), 1, "{d:#?}");
    let e = the(&d, "network.vpc_cidr");
    assert_at(
        e,
        &s,
        "staging.toml",
        s.line("staging.toml", "", "vpc_cidr"),
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
fn same_cname_prefix_and_api_name_in_both_environments() {
    let s = Specs::new();
    // Beanstalk CNAME prefixes and API names written without {env} collide across environments.
    s.edit(
        "base.toml",
        "[console.beanstalk]",
        "cname_prefix = \"{project}-{env}\"",
        "cname_prefix = \"agentpass-web\"",
    );
    s.edit(
        "base.toml",
        "[api]",
        "name = \"{project}-api-{env}\"",
        "name = \"agentpass-api\"",
    );
    let (d, text) = s.diags("staging");
    let e = the(&d, "console.beanstalk.cname_prefix");
    assert!(
        e.message.contains("`agentpass-web` is also production's"),
        "{e}"
    );
    assert_at(
        e,
        &s,
        "base.toml",
        s.line("base.toml", "[console.beanstalk]", "cname_prefix"),
    );
    let e = the(&d, "api.name");
    assert!(
        e.message.contains("`agentpass-api` is also production's"),
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
fn one_role_name_shared_across_environments_is_refused() {
    let s = Specs::new();
    // Written without {env}, the backend's instance role would be staging's and production's
    // (naming both environments, it passes the rule that a role name carries its environment).
    s.edit(
        "base.toml",
        "[backend.iam]",
        "instance_role = \"{project}-{env}-backend-ec2\"",
        "instance_role = \"agentpass-staging-production-ec2\"",
    );
    let (d, text) = s.diags("staging");
    let e = the(&d, "backend.iam.instance_role");
    assert!(
        e.message
            .contains("IAM role `agentpass-staging-production-ec2` is also production's"),
        "{text}"
    );
    assert_at(
        e,
        &s,
        "base.toml",
        s.line("base.toml", "[backend.iam]", "instance_role"),
    );
}

#[test]
fn role_names_must_name_their_environment() {
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[console.iam]",
        "instance_role = \"{project}-{env}-console-ec2\"",
        "instance_role = \"{project}-console-ec2-{env}x\"",
    );
    let (d, text) = s.diags("staging");
    let e = the(&d, "console.iam.instance_role");
    assert!(
        e.message.contains(
            "`agentpass-console-ec2-stagingx` must name the environment `staging` between dashes"
        ),
        "{text}"
    );
    assert_at(
        e,
        &s,
        "base.toml",
        s.line("base.toml", "[console.iam]", "instance_role"),
    );
}

#[test]
fn role_names_must_start_with_the_project_and_differ() {
    let s = Specs::new();
    s.edit(
        "base.toml",
        "[console.iam]",
        "service_role = \"{project}-{env}-console-eb-service\"",
        "service_role = \"{project}-{env}-console-ec2\"",
    );
    s.edit(
        "base.toml",
        "[backend.iam]",
        "service_role = \"{project}-{env}-backend-eb-service\"",
        "service_role = \"other-{env}-eb\"",
    );
    let (d, text) = s.diags("staging");
    assert!(
        the(&d, "console.iam.service_role")
            .message
            .contains("must not be the instance role"),
        "{text}"
    );
    assert!(
        the(&d, "backend.iam.service_role")
            .message
            .contains("must start with the project name `agentpass`"),
        "{text}"
    );
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

#[test]
fn a_password_of_its_own_has_no_secret_to_read() {
    let s = Specs::new();
    s.edit(
        "staging.toml",
        "[backend.database]",
        "apply_immediately = true",
        "apply_immediately = true\nmaster_password_env = \"STAGING_DB_PASSWORD\"",
    );
    let d = s.diags_one("staging");
    let section =
        "[backend.beanstalk.settings.\"aws:elasticbeanstalk:application:environmentsecrets\"]";
    for option in ["DB_USER", "DB_PASSWORD"] {
        let e = the(
            &d,
            &format!(
                "backend.beanstalk.settings.aws:elasticbeanstalk:application:environmentsecrets.{option}"
            ),
        );
        assert_at(e, &s, "base.toml", s.line("base.toml", section, option));
        assert!(e.message.contains("not managed by RDS"), "{e}");
    }
}
