//! The price table: `prices/{region}.toml`, data in the repository, dated and with a source
//! per section, built into the binary so that `cost` works wherever provision runs (a spec
//! folder outside the repository, an installed binary); `--prices` overrides it. Loading checks
//! it whole (every price a finite number >= 0, a real date, the region the file is named for),
//! and errors name the file, line and field.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::kinds::{Kind, Price, Quantity};

/// A price or quantity in the table: finite and not negative (checked as it is read, so the
/// error carries the line).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Amount(pub f64);

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if v.is_finite() && v >= 0.0 {
            Ok(Amount(v))
        } else {
            Err(serde::de::Error::custom(format!(
                "{v} is not a price: a finite number >= 0 is expected"
            )))
        }
    }
}

/// A day, `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Day(String);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let parts: Vec<&str> = s.split('-').collect();
        let date = match parts[..] {
            [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
                let month = m
                    .parse::<u8>()
                    .ok()
                    .and_then(|m| time::Month::try_from(m).ok());
                match (y.parse::<i32>(), month, d.parse::<u8>()) {
                    (Ok(y), Some(m), Ok(d)) => time::Date::from_calendar_date(y, m, d).ok(),
                    _ => None,
                }
            }
            _ => None,
        };
        match date {
            Some(_) => Ok(Day(s)),
            None => Err(serde::de::Error::custom(format!(
                "`{s}` is not a date YYYY-MM-DD"
            ))),
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Single-AZ and Multi-AZ rates of one RDS item.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AzRates {
    pub single_az: Amount,
    pub multi_az: Amount,
}

impl AzRates {
    pub fn get(&self, multi_az: bool) -> Amount {
        if multi_az {
            self.multi_az
        } else {
            self.single_az
        }
    }
}

/// What the estimate assumes about use: printed with every estimate.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Assumptions {
    pub alb_lcu: Amount,
    pub nat_gb_per_month: Amount,
    pub api_requests_millions: Amount,
    pub instance_root_gb: Amount,
    pub backup_daily_change: Amount,
    /// Alarm e-mails SNS sends to each subscribed address per month.
    pub alarm_emails_per_month: Amount,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2 {
    pub source: String,
    pub hourly: BTreeMap<String, Amount>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ebs {
    pub source: String,
    pub gp3_gb_month: Amount,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rds {
    pub source: String,
    pub backup_gb_month: Amount,
    /// engine -> instance class -> rates.
    pub hourly: BTreeMap<String, BTreeMap<String, AzRates>>,
    /// storage type (`standard`, `gp2`, `gp3`, `io1`, `io2`) -> rates.
    pub storage_gb_month: BTreeMap<String, AzRates>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alb {
    pub source: String,
    pub hourly: Amount,
    pub lcu_hourly: Amount,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hourly {
    pub source: String,
    pub hourly: Amount,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsManager {
    pub source: String,
    pub secret_month: Amount,
}

/// One region's prices, as the file says them: typed sections for what the estimate computes
/// (assumptions, instances, storage, load balancers, addresses, secrets), and the rows the kinds
/// name as their price keys (`crate::kinds::Price::Charges`), checked when the table is read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PriceTable {
    pub region: toml::Spanned<String>,
    pub currency: String,
    pub taken: Day,
    pub hours_per_month: Amount,
    pub assumptions: Assumptions,
    pub ec2: Ec2,
    pub ebs: Ebs,
    pub rds: Rds,
    pub alb: Alb,
    pub public_ipv4: Hourly,
    pub secrets_manager: SecretsManager,
    /// Every price key and assumption a kind's charges name (`nat_gateway.hourly`,
    /// `assumptions.nat_gb_per_month`): present and a price in any table that was read.
    #[serde(skip)]
    pub rates: BTreeMap<String, Amount>,
    /// Where it was read from, for messages.
    #[serde(skip)]
    pub path: PathBuf,
    /// The table compiled into the binary (`path` is then the repository's file it came from).
    #[serde(skip)]
    pub built_in: bool,
}

/// The table's own keys, read into `PriceTable`'s typed fields; every other section holds rows
/// kinds price by.
const TYPED: &[&str] = &[
    "region",
    "currency",
    "taken",
    "hours_per_month",
    "assumptions",
    "ec2",
    "ebs",
    "rds",
    "alb",
    "public_ipv4",
    "secrets_manager",
];

impl PriceTable {
    /// A price key or assumption a kind's charges name (`nat_gateway.hourly`): always there
    /// in a table that was read, which checked every one.
    pub fn rate(&self, key: &str) -> Option<Amount> {
        self.rates.get(key).copied()
    }

    /// Where the prices come from, as estimates print it.
    pub fn origin(&self) -> String {
        if self.built_in {
            format!("{} (built in)", self.path.display())
        } else {
            self.path.display().to_string()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("{path}: cannot read the price table given with --prices or PROVISION_PRICES")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: String,
        line: usize,
        message: String,
    },
    #[error(
        "no price table for region {region} is built in (only {}): give one with --prices FILE (docs/cost.md)",
        built_in_regions().join(", ")
    )]
    NoTable { region: String },
}

/// The tables compiled in: one per region the project's specs use, so that a binary prices its
/// environments without the repository beside it.
const BUILT_IN: &[(&str, &str)] = &[("us-east-2", include_str!("../../prices/us-east-2.toml"))];

pub fn built_in_regions() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(region, _)| *region).collect()
}

/// The table for `region`: from `explicit` (`--prices` or `PROVISION_PRICES`: a table file, or
/// a folder holding `{region}.toml`) when given, else the one built in. An override that cannot
/// be read is an error, never a quiet fall back to the built-in prices.
pub fn load(explicit: Option<&Path>, region: &str) -> Result<PriceTable, PriceError> {
    let Some(given) = explicit.filter(|p| !p.as_os_str().is_empty()) else {
        return built_in(region);
    };
    let path = if given.is_dir() {
        given.join(format!("{region}.toml"))
    } else {
        given.to_path_buf()
    };
    let text = std::fs::read_to_string(&path).map_err(|source| PriceError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, &path, region)
}

/// The built-in table of `region`.
pub fn built_in(region: &str) -> Result<PriceTable, PriceError> {
    let (_, text) =
        BUILT_IN
            .iter()
            .find(|(r, _)| *r == region)
            .ok_or_else(|| PriceError::NoTable {
                region: region.to_owned(),
            })?;
    let mut table = parse(text, Path::new(&format!("prices/{region}.toml")), region)?;
    table.built_in = true;
    Ok(table)
}

/// Parses and checks a table's text; `path` is only for messages.
pub fn parse(text: &str, path: &Path, region: &str) -> Result<PriceTable, PriceError> {
    let invalid = |offset: usize, message: String| PriceError::Invalid {
        path: path.display().to_string(),
        line: line_of(text, offset),
        message: match key_at(text, offset) {
            // Name the field the line sets, unless the message already does.
            Some(key) if !message.starts_with(&format!("{key}:")) => format!("{key}: {message}"),
            _ => message,
        },
    };
    let mut table: PriceTable = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        invalid(offset, e.message().trim_end().to_owned())
    })?;
    if table.region.get_ref() != region {
        return Err(invalid(
            table.region.span().start,
            format!(
                "region: the file is for `{}`, but the spec's region is `{region}`",
                table.region.get_ref()
            ),
        ));
    }
    if table.hours_per_month.0 == 0.0 {
        return Err(invalid(
            text.find("hours_per_month").unwrap_or(0),
            "hours_per_month: must be more than 0".into(),
        ));
    }
    let raw: toml::Table = toml::from_str(text).map_err(|e| invalid(0, e.message().into()))?;
    table.rates = kinds_rates(&raw, text).map_err(|(offset, m)| invalid(offset, m))?;
    table.path = path.to_path_buf();
    Ok(table)
}

/// The rows the kinds' charges name (`crate::kinds::Price::Charges`), each one present and a
/// price; and no section that neither the estimate nor a kind reads (a misspelt one would
/// otherwise be ignored). A section of rows names its `source` as the typed ones do. Errors:
/// the offset of what is wrong, and the message.
fn kinds_rates(raw: &toml::Table, text: &str) -> Result<BTreeMap<String, Amount>, (usize, String)> {
    let mut wanted: BTreeMap<String, Kind> = BTreeMap::new();
    for kind in Kind::ALL {
        if let Price::Charges(charges) = kind.describe().price {
            for c in charges {
                wanted.entry(c.rate.to_owned()).or_insert(kind);
                if let Quantity::Assumed(a) = c.quantity {
                    wanted.entry(format!("assumptions.{a}")).or_insert(kind);
                }
            }
        }
    }
    let sections: BTreeSet<&str> = wanted
        .keys()
        .filter_map(|k| k.split_once('.'))
        .map(|(s, _)| s)
        .collect();
    for (name, value) in raw {
        if TYPED.contains(&name.as_str()) {
            continue;
        }
        let at = offset_of(text, name, None);
        let Some(rows) = value
            .as_table()
            .filter(|_| sections.contains(name.as_str()))
        else {
            return Err((at, format!("[{name}]: no kind is priced by this section")));
        };
        if !rows.get("source").is_some_and(toml::Value::is_str) {
            return Err((
                at,
                format!("[{name}]: `source` is missing: say where its prices come from"),
            ));
        }
        for (row, v) in rows.iter().filter(|(row, _)| *row != "source") {
            amount(v).map_err(|m| (offset_of(text, name, Some(row)), m))?;
        }
    }
    let mut rates = BTreeMap::new();
    for (key, kind) in wanted {
        let (section, row) = key.split_once('.').unwrap_or((&key, ""));
        let Some(v) = raw
            .get(section)
            .and_then(toml::Value::as_table)
            .and_then(|t| t.get(row))
        else {
            return Err((
                offset_of(text, section, None),
                format!(
                    "{key} is missing: the price of every {kind} (add `{row}` under [{section}])"
                ),
            ));
        };
        let rate = amount(v).map_err(|m| (offset_of(text, section, Some(row)), m))?;
        rates.insert(key.clone(), rate);
    }
    Ok(rates)
}

fn amount(v: &toml::Value) -> Result<Amount, String> {
    Amount::deserialize(v.clone()).map_err(|e| e.message().trim_end().to_owned())
}

/// Where `[section]` (or its `row = …` line) is written, for the error's line: 0 when not found.
fn offset_of(text: &str, section: &str, row: Option<&str>) -> usize {
    // The header at the start of a line, not a mention in a comment.
    let Some(start) = text.find(&format!("\n[{section}]")).map(|i| i + 1) else {
        return 0;
    };
    let Some(row) = row else {
        return start;
    };
    let mut lines = text[start..].split_inclusive('\n');
    let mut at = start + lines.next().map_or(0, str::len);
    for line in lines {
        if line.trim_start().starts_with('[') {
            break;
        }
        if line
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"')
            == row
        {
            return at;
        }
        at += line.len();
    }
    start
}
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The key a `key = value` line sets, where `offset` falls on such a line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('#')).then(|| key.to_owned())
}
