//! The estimator against totals computed by hand from the table's numbers, and the loader's
//! errors. No network.

use std::path::{Path, PathBuf};

use super::prices::{self, PriceError};
use super::*;
use crate::spec;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn table() -> PriceTable {
    prices::built_in("us-east-2").expect("the built-in table loads")
}

fn estimate_of(env: &str) -> Estimate {
    let (loaded, _) = spec::load(&repo().join("specs"), env).expect("spec loads");
    estimate(&spec::desired::build(&loaded.spec), &table()).expect("every item is priced")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// prices/us-east-2.toml's figures, written out so the arithmetic below reads as the table.
const H: f64 = 730.0;
const T3_MICRO: f64 = 0.0104;
const T3_SMALL: f64 = 0.0208;
const GP3_EBS: f64 = 0.08;
const ROOT_GB: f64 = 8.0;
const ALB: f64 = 0.0225;
const LCU: f64 = 0.008;
const ALB_LCU: f64 = 1.0;
const IPV4: f64 = 0.005;
const NAT: f64 = 0.045;
const NAT_GB: f64 = 0.045;
const NAT_DATA: f64 = 10.0;
const DB_T3_MICRO: f64 = 0.018;
const MAGNETIC: f64 = 0.10;
const GP3_RDS: f64 = 0.115;
const BACKUP: f64 = 0.095;
const CHANGE: f64 = 0.05;
const SECRET: f64 = 0.40;
const REST: f64 = 3.50;
const REQUESTS: f64 = 1.0;
const ALARM: f64 = 0.10;
const DASHBOARD: f64 = 3.00;
const EMAIL: f64 = 0.00002;
const EMAILS: f64 = 20.0;

/// Monitoring: ten alarms (both load balancers are ALBs), one dashboard, and the assumed alarm
/// e-mails of each subscribed address.
fn monitoring(addresses: f64) -> f64 {
    10.0 * ALARM + DASHBOARD + addresses * EMAILS * EMAIL
}

/// What both environments share: two ALBs (the console's internet-facing in two subnets),
/// the NAT gateway and its Elastic IP, the managed secret, the API at its assumed volume.
fn shared_by_both() -> f64 {
    let albs = 2.0 * (ALB * H + ALB_LCU * LCU * H);
    let console_alb_addresses = 2.0 * IPV4 * H;
    let nat = NAT * H + NAT_DATA * NAT_GB;
    let nat_address = IPV4 * H;
    albs + console_alb_addresses + nat + nat_address + SECRET + REQUESTS * REST
}

#[test]
fn staging_matches_the_hand_computed_total() {
    // One t3.micro each for backend and console, with its root volume.
    let instances = 2.0 * (T3_MICRO * H + ROOT_GB * GP3_EBS);
    // db.t3.micro Single-AZ, 10 GB magnetic, 3 days of backups: 10 * (1 + 0.05 * 3) - 10 GB
    // beyond the free 10 GB.
    let database =
        DB_T3_MICRO * H + 10.0 * MAGNETIC + (10.0 * (1.0 + CHANGE * 3.0) - 10.0) * BACKUP;
    // One e-mail address subscribed (specs/staging.toml).
    let expected = instances + database + shared_by_both() + monitoring(1.0);
    let e = estimate_of("staging");
    assert!(
        close(e.total.min, expected),
        "{} != {expected}",
        e.total.min
    );
    assert_eq!(e.total.min, e.total.max, "staging does not scale");
    assert_eq!(money(e.total.min), "$127.43");
    assert_eq!(e.prices_taken, "2026-11-30");
}

#[test]
fn staging_paused_matches_the_hand_computed_total() {
    let (loaded, _) = spec::load(&repo().join("specs"), "staging").expect("spec loads");
    let c = paused_cost(&spec::desired::build(&loaded.spec), &table()).unwrap();
    // Still paid: both ALBs with their LCUs and the console's two public addresses, the
    // stopped database's storage and backups, the managed secret, the API, and the NAT's
    // Elastic IP, kept allocated and idle. Gone: both t3.micro instances and their root
    // volumes, the NAT gateway, the database's instance hours; the NAT's alarm and the
    // dashboard that graphs it (they refer to the NAT, so they go with it: `pause::paused`).
    // The other nine alarms and the e-mail subscription stay.
    let albs = 2.0 * (ALB * H + ALB_LCU * LCU * H) + 2.0 * IPV4 * H;
    let database = 10.0 * MAGNETIC + (10.0 * (1.0 + CHANGE * 3.0) - 10.0) * BACKUP;
    let monitoring = 9.0 * ALARM + EMAILS * EMAIL;
    let idle_ip = IPV4 * H;
    let expected = albs + database + SECRET + REQUESTS * REST + monitoring + idle_ip;
    assert!(
        close(c.paused.min, expected),
        "{} != {expected}",
        c.paused.min
    );
    assert_eq!(c.paused.min, c.paused.max);
    let saving = 2.0 * (T3_MICRO * H + ROOT_GB * GP3_EBS)
        + NAT * H
        + NAT_DATA * NAT_GB
        + DB_T3_MICRO * H
        + ALARM
        + DASHBOARD;
    assert!(close(c.saving.min, saving), "{} != {saving}", c.saving.min);
    assert!(close(c.running.min, estimate_of("staging").total.min));
    assert_eq!(money(c.paused.min), "$61.42");
    assert_eq!(money(c.saving.min), "$66.00");
    assert!(close(c.kept_ips.min, idle_ip), "{:?}", c.kept_ips);
    assert_eq!(money(c.kept_ips.max), "$3.65");
    assert!(
        c.lines
            .iter()
            .any(|l| l.resource == "shared.eip.nat-public-a" && l.item.starts_with("public IPv4")),
        "the kept address is a line of its own"
    );
    assert!(
        !c.lines
            .iter()
            .any(|l| l.resource == "backend.rds" && l.unit == "instance-hour"),
        "a stopped database pays no instance hours"
    );
}

#[test]
fn production_matches_the_hand_computed_range() {
    // Backend t3.small and console t3.micro, 1 to 2 instances each, each with its root volume.
    let per_instance = T3_SMALL * H + T3_MICRO * H + 2.0 * ROOT_GB * GP3_EBS;
    // db.t3.micro Single-AZ, 20 GB gp3, 7 days: 20 * (1 + 0.05 * 7) - 20 = 7 GB beyond free.
    let database = DB_T3_MICRO * H + 20.0 * GP3_RDS + (20.0 * (1.0 + CHANGE * 7.0) - 20.0) * BACKUP;
    let fixed = database + shared_by_both() + monitoring(0.0);
    let e = estimate_of("production");
    assert!(close(e.total.min, fixed + per_instance), "{}", e.total.min);
    assert!(
        close(e.total.max, fixed + 2.0 * per_instance),
        "{}",
        e.total.max
    );
    assert_eq!(money_span(e.total), "$136.84-$160.90");
}

#[test]
fn total_is_the_sum_of_the_lines_and_lines_are_sorted() {
    let e = estimate_of("production");
    let sum: f64 = e.lines.iter().map(|l| l.monthly.max).sum();
    assert!(close(sum, e.total.max));
    let keys: Vec<(&str, &str)> = e.lines.iter().map(|l| (&*l.resource, &*l.item)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // The internal backend ALB holds no public address; the console's holds two.
    let v4: Vec<&Line> = e
        .lines
        .iter()
        .filter(|l| l.item.starts_with("public IPv4"))
        .collect();
    let owners: Vec<&str> = v4.iter().map(|l| l.resource.as_str()).collect();
    assert_eq!(
        owners,
        ["console.beanstalk", "shared.eip.nat-public-a"],
        "{owners:?}"
    );
}

#[test]
fn text_shows_the_total_date_and_assumptions() {
    let text = render_text(&estimate_of("staging"));
    assert!(text.contains("Total: $127.43 a month"), "{text}");
    assert!(text.contains("taken 2026-11-30"), "{text}");
    assert!(text.contains("730 hours a month"), "{text}");
    assert!(text.contains("averages 1 LCU"), "{text}");
}

fn parse(text: &str) -> Result<PriceTable, PriceError> {
    prices::parse(text, Path::new("prices/us-east-2.toml"), "us-east-2")
}

fn repo_text() -> String {
    std::fs::read_to_string(repo().join("prices/us-east-2.toml")).unwrap()
}

fn error_of(text: &str) -> String {
    parse(text).expect_err("refused").to_string()
}

#[test]
fn a_negative_price_names_file_line_and_field() {
    let text = repo_text().replace("\"t3.micro\" = 0.0104", "\"t3.micro\" = -0.0104");
    let line = text.lines().position(|l| l.contains("-0.0104")).unwrap() + 1;
    let e = error_of(&text);
    assert!(
        e.starts_with(&format!("prices/us-east-2.toml:{line}: t3.micro: ")),
        "{e}"
    );
    assert!(e.contains("finite number >= 0"), "{e}");
}

#[test]
fn a_bad_date_an_unknown_field_and_a_missing_section_are_refused() {
    let e = error_of(&repo_text().replace("taken = \"2026-11-30\"", "taken = \"30/11/2026\""));
    assert!(e.contains("taken: `30/11/2026` is not a date"), "{e}");
    let e = error_of(&repo_text().replace("alb_lcu = 1.0", "alb_lcus = 1.0"));
    assert!(e.contains("alb_lcus"), "{e}");
    let e = error_of(&repo_text().replace("[vpc_link]", "[vpc_links]"));
    assert!(e.contains("vpc_link"), "{e}");
}

/// The line of the first line of `text` containing `needle`.
fn line_with(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_row_a_kind_is_priced_by_is_checked_where_it_is_written() {
    let text = repo_text().replace("gb_processed = 0.045", "gb_processed = -1.0");
    let line = line_with(&text, "gb_processed = -1.0");
    let e = error_of(&text);
    assert!(
        e.starts_with(&format!("prices/us-east-2.toml:{line}: gb_processed: ")),
        "{e}"
    );
    assert!(e.contains("finite number >= 0"), "{e}");
    // A row no kind reads yet is still a price.
    let text = repo_text().replace("action_budget_day = 0.10", "action_budget_day = \"free\"");
    let e = error_of(&text);
    let line = line_with(&text, "action_budget_day");
    assert!(
        e.starts_with(&format!(
            "prices/us-east-2.toml:{line}: action_budget_day: "
        )),
        "{e}"
    );
}

#[test]
fn a_row_a_kind_is_priced_by_must_be_there() {
    let text = repo_text().replace("dashboard_month = 3.00", "dashboards_month = 3.00");
    let line = line_with(&text, "[cloudwatch]");
    assert_eq!(
        error_of(&text),
        format!(
            "prices/us-east-2.toml:{line}: cloudwatch.dashboard_month is missing: the price of every dashboard (add `dashboard_month` under [cloudwatch])"
        )
    );
}

#[test]
fn a_section_nothing_reads_or_without_its_source_is_refused() {
    let text = format!(
        "{}\n[acm]\nsource = \"x\"\ncertificate_month = 0.0\n",
        repo_text()
    );
    let line = line_with(&text, "[acm]");
    assert_eq!(
        error_of(&text),
        format!("prices/us-east-2.toml:{line}: [acm]: no kind is priced by this section")
    );
    let text = repo_text().replace("[vpc_link]\nsource =", "[vpc_link]\nsources =");
    let e = error_of(&text);
    assert!(e.contains("[vpc_link]: `source` is missing"), "{e}");
}

#[test]
fn every_charge_of_every_kind_is_read_from_the_table() {
    let p = table();
    for kind in crate::kinds::Kind::ALL {
        let crate::kinds::Price::Charges(charges) = kind.describe().price else {
            continue;
        };
        assert!(!charges.is_empty(), "{kind}: charges none, so is free");
        for c in charges {
            assert!(p.rate(c.rate).is_some(), "{kind}: {}", c.rate);
            if let crate::kinds::Quantity::Assumed(a) = c.quantity {
                assert!(p.rate(&format!("assumptions.{a}")).is_some(), "{kind}: {a}");
            }
        }
    }
}

#[test]
fn a_table_for_another_region_is_refused() {
    let e = prices::parse(&repo_text(), Path::new("x.toml"), "eu-west-1")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "x.toml:9: region: the file is for `us-east-2`, but the spec's region is `eu-west-1`"
    );
}

#[test]
fn an_instance_type_without_a_price_names_the_section() {
    let (mut loaded, _) = spec::load(&repo().join("specs"), "staging").unwrap();
    loaded.spec.backend.instance_type = "x9.huge".into();
    let e = estimate(&spec::desired::build(&loaded.spec), &table())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no price for EC2 instance type x9.huge"), "{e}");
    assert!(e.contains("(used by backend.beanstalk)"), "{e}");
    assert!(e.contains("[ec2.hourly]"), "{e}");
}

#[test]
fn the_built_in_table_is_the_repository_file() {
    let built_in = table();
    assert!(built_in.built_in);
    assert_eq!(built_in.origin(), "prices/us-east-2.toml (built in)");
    let file = repo().join("prices/us-east-2.toml");
    let read = prices::load(Some(&file), "us-east-2").expect("the file loads");
    assert!(!read.built_in);
    assert_eq!(read.origin(), file.display().to_string());
    assert_eq!(
        PriceTable {
            path: built_in.path.clone(),
            built_in: true,
            ..read
        },
        built_in
    );
    // A folder holds one table per region.
    let from_folder = prices::load(Some(&repo().join("prices")), "us-east-2").unwrap();
    assert_eq!(from_folder.path, file);
}

#[test]
fn a_region_without_a_built_in_table_says_how_to_give_one() {
    let e = prices::load(None, "eu-west-1").unwrap_err().to_string();
    assert_eq!(
        e,
        "no price table for region eu-west-1 is built in (only us-east-2): give one with --prices FILE (docs/cost.md)"
    );
    // An empty override (PROVISION_PRICES="") is no override.
    assert!(
        prices::load(Some(Path::new("")), "us-east-2")
            .unwrap()
            .built_in
    );
}

#[test]
fn an_override_that_cannot_be_read_is_an_error_naming_it() {
    let e = prices::load(Some(Path::new("/nonexistent/p.toml")), "us-east-2").unwrap_err();
    assert!(matches!(e, PriceError::Read { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("/nonexistent/p.toml: cannot read"),
        "{e}"
    );
}

#[test]
fn the_model_knows_which_regions_are_priced() {
    // Validation lets a budget's limit default to the estimate only where a table is built in.
    assert_eq!(
        crate::cost::prices::built_in_regions(),
        crate::model::PRICED_REGIONS.to_vec()
    );
}

#[test]
fn a_budget_without_a_limit_gets_the_estimate_rounded_up() {
    let loaded = spec::load_one(std::path::Path::new("specs"), "staging").expect("valid");
    let mut d = spec::desired::build(&loaded.spec);
    let budget = |d: &crate::model::DesiredState| {
        d.resources
            .values()
            .find_map(|r| match &r.attrs {
                crate::model::Attrs::Budget(b) => Some(b.limit_usd.clone()),
                _ => None,
            })
            .expect("staging has a budget")
    };
    assert_eq!(budget(&d), "", "the spec sets no limit");
    crate::cost::fill_budget_limits(&mut d);
    let prices = crate::cost::prices::built_in("us-east-2").unwrap();
    let total = crate::cost::estimate(&d, &prices).unwrap().total.max;
    let limit: f64 = budget(&d).parse().unwrap();
    assert_eq!(limit, total.ceil());
    assert!(limit >= total && limit < total + 1.0, "{limit} for {total}");
}
