//! What Elastic Beanstalk accepts in an environment's properties and environment secrets, checked
//! where a value becomes known: the spec's literal text (`spec::topics::beanstalk`), a value the
//! plan resolved (`plan::checks::settings`) and one apply filled in (`apply::references`).
//!
//! Properties (`aws:elasticbeanstalk:application:environment`), per the developer guide's
//! "Environment property limits"
//! (<https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environments-cfg-softwaresettings.html>):
//! keys hold alphanumerics and `_ . : / + \ - @`, values alphanumerics, white space and
//! `_ . : / = + \ - @ ' "`, and all of them together, as `key=value`, at most 4,096 bytes. The
//! guide does not say which alphabet "alphanumeric" and "white space" mean: provision reads
//! them narrowly (ASCII letters and digits, space and tab), so what it passes AWS accepts.
//!
//! Secrets (`aws:elasticbeanstalk:application:environmentsecrets`), per "Fetching secrets and
//! parameters to Elastic Beanstalk environment variables"
//! (<https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/AWSHowTo.secrets.env-vars.html>):
//! the value is the ARN of a Secrets Manager secret, optionally followed by `:` and a top-level
//! JSON key (platform versions from 2026-01-13), or of a Systems Manager parameter. Beanstalk
//! fetches the value at instance boot (platform versions from 2025-03-26), so neither provision
//! nor the plan ever holds it.

use std::fmt;

use super::address::Kind;
use super::attrs::{OptionSettings, SettingValue};

pub const PROPERTIES: &str = "aws:elasticbeanstalk:application:environment";
pub const SECRETS: &str = "aws:elasticbeanstalk:application:environmentsecrets";
/// All properties together, as `key=value` strings.
pub const MAX_BYTES: usize = 4096;

const VALUE_SYMBOLS: &str = "_.:/=+\\-@'\"";
const KEY_SYMBOLS: &str = "_.:/+\\-@";
const ALLOWED_IN_VALUES: &str = "letters, digits, white space and _ . : / = + \\ - @ ' \"";
const ALLOWED_IN_KEYS: &str = "letters, digits and _ . : / + \\ - @";

/// The first character of a property value that AWS refuses.
pub fn refused_in_value(value: &str) -> Option<char> {
    value.chars().find(|&c| {
        !(c.is_ascii_alphanumeric() || c == ' ' || c == '\t' || VALUE_SYMBOLS.contains(c))
    })
}

/// The first character of a property name that AWS refuses.
pub fn refused_in_key(key: &str) -> Option<char> {
    key.chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || KEY_SYMBOLS.contains(c)))
}

/// What a property counts against the 4,096 bytes: `key=value`.
pub fn bytes(key: &str, value: &str) -> usize {
    key.len() + 1 + value.len()
}

/// Why `value` is not what an environment secret holds: a Secrets Manager secret's ARN (with
/// an optional `:json-key`) or a Systems Manager parameter's.
pub fn secret_problem(value: &str) -> Option<String> {
    const SHAPES: &str = "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:JSON_KEY] or \
                          arn:aws:ssm:REGION:ACCOUNT:parameter/NAME";
    let parts: Vec<&str> = value.split(':').collect();
    let head_ok = parts.len() >= 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit());
    let ok = head_ok
        && match parts[2] {
            // Secret names: AWS's pattern for a secret's ARN, `[a-zA-Z0-9-_/+=.@!]+` (the `!`
            // is RDS's, `rds!db-…`).
            "secretsmanager" => {
                parts[5] == "secret"
                    && (7..=8).contains(&parts.len())
                    && !parts[6].is_empty()
                    && parts[6]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_/+=.@!".contains(c))
                    && parts.get(7).is_none_or(|key| !key.is_empty())
            }
            // A JSON key is for Secrets Manager only; parameter names hold no colon.
            "ssm" => {
                parts.len() == 6
                    && parts[5]
                        .strip_prefix("parameter/")
                        .is_some_and(|n| !n.is_empty())
            }
            _ => false,
        };
    (!ok).then(|| format!("`{value}` is not a secret's or parameter's ARN ({SHAPES})"))
}

/// A value AWS would refuse, or properties too large together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Key {
        option: String,
        refused: char,
    },
    Value {
        option: String,
        value: String,
        refused: char,
    },
    TooLarge {
        bytes: usize,
    },
    Secret {
        option: String,
        problem: String,
    },
}

/// Why a property value is refused, for the `refused` character in it.
pub fn value_message(value: &str, refused: char) -> String {
    let mut message = format!(
        "`{refused}` is not allowed in a property value (Elastic Beanstalk allows {ALLOWED_IN_VALUES})"
    );
    if secret_problem(value).is_none() {
        message.push_str(&format!("; a secret's ARN goes in {SECRETS}"));
    }
    message
}

/// Why a property name is refused, for the `refused` character in it.
pub fn key_message(refused: char) -> String {
    format!(
        "`{refused}` is not allowed in a property name (Elastic Beanstalk allows {ALLOWED_IN_KEYS})"
    )
}

/// Why properties of `bytes` together are refused.
pub fn size_message(bytes: usize) -> String {
    format!(
        "the environment properties take {bytes} bytes together (as key=value); Elastic \
         Beanstalk allows {MAX_BYTES}"
    )
}

/// A reference whose every value AWS refuses as a property: an RDS-managed master secret's ARN
/// holds `!` (RDS names the secret `rds!db-…`).
pub fn refused_reference(kind: Kind, attribute: &str) -> Option<char> {
    (kind == Kind::DbInstance && attribute == "master_secret_arn").then_some('!')
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Key { option, refused } => {
                write!(f, "{PROPERTIES}.{option}: {}", key_message(*refused))
            }
            Refusal::Value {
                option,
                value,
                refused,
            } => write!(
                f,
                "{PROPERTIES}.{option} = `{value}`: {}",
                value_message(value, *refused)
            ),
            Refusal::TooLarge { bytes } => write!(f, "{PROPERTIES}: {}", size_message(*bytes)),
            Refusal::Secret { option, problem } => write!(f, "{SECRETS}.{option}: {problem}"),
        }
    }
}

/// What AWS would refuse among the values of `settings` known now: text, and references
/// already resolved. A value known only after apply is checked once it is; the size counts
/// the known values, so a total already over the limit is refused early.
pub fn refusals(settings: &OptionSettings) -> Vec<Refusal> {
    let known = |v: &SettingValue| match v {
        SettingValue::Text(t) => Some(t.clone()),
        SettingValue::Template(t) => t.resolved.clone(),
        SettingValue::Refs(_) => None,
    };
    let mut out = Vec::new();
    let mut total = 0;
    for (option, value) in settings.get(PROPERTIES).into_iter().flatten() {
        if let Some(refused) = refused_in_key(option) {
            out.push(Refusal::Key {
                option: option.clone(),
                refused,
            });
        }
        let Some(value) = known(value) else { continue };
        total += bytes(option, &value);
        if let Some(refused) = refused_in_value(&value) {
            out.push(Refusal::Value {
                option: option.clone(),
                value,
                refused,
            });
        }
    }
    if total > MAX_BYTES {
        out.push(Refusal::TooLarge { bytes: total });
    }
    for (option, value) in settings.get(SECRETS).into_iter().flatten() {
        if let Some(problem) = known(value).and_then(|v| secret_problem(&v)) {
            out.push(Refusal::Secret {
                option: option.clone(),
                problem,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Template, TemplateValue};

    const RDS_SECRET: &str =
        "arn:aws:secretsmanager:us-east-2:123456789012:secret:rds!db-0f8e7a6b-AbCdEf";

    #[test]
    fn property_characters_follow_aws_list() {
        assert_eq!(refused_in_value("postgres://db.example:5432/app"), None);
        assert_eq!(refused_in_value("a b\tc_d.e:f/g=h+i\\j-k@l'm\"n"), None);
        assert_eq!(refused_in_value(RDS_SECRET), Some('!'));
        for bad in [
            "a,b",
            "x;y",
            "{}",
            "50%",
            "é",
            "line\nbreak",
            "a&b",
            "$HOME",
        ] {
            assert!(refused_in_value(bad).is_some(), "{bad}");
        }
        assert_eq!(refused_in_key("DB_HOST"), None);
        assert_eq!(refused_in_key("a.b:c/d+e\\f-g@h"), None);
        assert_eq!(refused_in_key("A=B"), Some('='));
        assert_eq!(refused_in_key("WITH SPACE"), Some(' '));
    }

    #[test]
    fn secrets_are_arns_of_secrets_or_parameters() {
        for ok in [
            RDS_SECRET.to_owned(),
            format!("{RDS_SECRET}:password"),
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:mysecret-AbCd12".to_owned(),
            "arn:aws:ssm:us-east-1:111122223333:parameter/myparam".to_owned(),
            "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/a/b".to_owned(),
        ] {
            assert_eq!(secret_problem(&ok), None, "{ok}");
        }
        for bad in [
            "hunter2",
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:",
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:s:",
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:s:key:more",
            "arn:aws:secretsmanager:us-east-1:1111:secret:s",
            "arn:aws:ssm:us-east-1:111122223333:parameter/p:key",
            "arn:aws:s3:::bucket",
        ] {
            assert!(secret_problem(bad).is_some(), "{bad}");
        }
    }

    fn settings(ns: &str, pairs: &[(&str, SettingValue)]) -> OptionSettings {
        let mut s = OptionSettings::new();
        for (k, v) in pairs {
            s.entry(ns.to_owned())
                .or_default()
                .insert((*k).to_owned(), v.clone());
        }
        s
    }

    fn text(s: &str) -> SettingValue {
        SettingValue::Text(s.to_owned())
    }

    fn template(source: &str, resolved: Option<&str>) -> SettingValue {
        SettingValue::Template(TemplateValue {
            template: Template::parse(source).unwrap(),
            resolved: resolved.map(str::to_owned),
        })
    }

    #[test]
    fn refusals_check_known_values_and_the_total() {
        let s = settings(
            PROPERTIES,
            &[
                ("NODE_ENV", text("production")),
                (
                    "DB_SECRET_ARN",
                    template("${backend.rds.master_secret_arn}", Some(RDS_SECRET)),
                ),
                ("DB_HOST", template("${backend.rds.endpoint}", None)),
            ],
        );
        let found = refusals(&s);
        assert_eq!(found.len(), 1, "{found:?}");
        let message = found[0].to_string();
        assert!(message.contains("DB_SECRET_ARN"), "{message}");
        assert!(message.contains("`!` is not allowed"), "{message}");
        assert!(message.contains(SECRETS), "{message}");

        // 4,096 bytes exactly pass; one more is refused.
        let at_limit = "x".repeat(MAX_BYTES - "BIG=".len());
        assert!(refusals(&settings(PROPERTIES, &[("BIG", text(&at_limit))])).is_empty());
        let over = format!("{at_limit}x");
        assert_eq!(
            refusals(&settings(PROPERTIES, &[("BIG", text(&over))])),
            [Refusal::TooLarge {
                bytes: MAX_BYTES + 1
            }]
        );

        let secrets = settings(
            SECRETS,
            &[
                (
                    "DB_PASSWORD",
                    template("${backend.rds.master_secret_arn}:password", None),
                ),
                ("TOKEN", text("not-an-arn")),
            ],
        );
        let found = refusals(&secrets);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].to_string().contains("TOKEN"), "{}", found[0]);
    }
}
