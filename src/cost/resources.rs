//! The priced items of a resource: what its kind's description says (`Description::price`),
//! read from the price table, or a database's and a Beanstalk environment's computed lines.

use super::prices::{Amount, PriceTable};
use super::{CostError, Line, Span};
use crate::kinds::{Charge, Price, Quantity};
use crate::model::{
    Address, Attrs, BeanstalkEnvAttrs, DbInstanceAttrs, MasterPassword, SettingValue,
};

/// The lines one resource adds: its kind's price, asked of the kind.
pub(super) fn lines(
    address: &Address,
    attrs: &Attrs,
    p: &PriceTable,
) -> Result<Vec<Line>, CostError> {
    let at = Item {
        resource: address.to_string(),
    };
    match (attrs.kind().describe().price, attrs) {
        (Price::Free, _) => Ok(vec![]),
        (Price::Charges(charges), _) => charges.iter().map(|c| charge(&at, c, p)).collect(),
        (Price::Database, Attrs::DbInstance(db)) => database(&at, db, p),
        (Price::Beanstalk, Attrs::BeanstalkEnv(eb)) => beanstalk(&at, eb, p),
        // The computed prices read their own kind's attributes, which the registry pairs them
        // with: another kind's attributes would have nothing to price.
        (Price::Database | Price::Beanstalk, _) => Ok(vec![]),
    }
}

/// One of a kind's fixed charges, from the rows it names.
fn charge(at: &Item, c: &Charge, p: &PriceTable) -> Result<Line, CostError> {
    let hours = p.hours_per_month.0;
    let rate = |key: &str| {
        let (section, _) = key.split_once('.').unwrap_or((key, ""));
        p.rate(key)
            .ok_or_else(|| at.unpriced(p, format!("`{key}`"), section))
    };
    let quantity = match c.quantity {
        Quantity::Hours => hours,
        Quantity::Days => hours / 24.0,
        Quantity::Month => 1.0,
        Quantity::Assumed(a) => rate(&format!("assumptions.{a}"))?.0,
    };
    Ok(at.line(c.item, rate(c.rate)?, c.unit, Span::fixed(quantity)))
}

struct Item {
    resource: String,
}

impl Item {
    fn line(&self, item: &str, unit_price: Amount, unit: &str, quantity: Span) -> Line {
        Line {
            resource: self.resource.clone(),
            item: item.to_owned(),
            unit_price: unit_price.0,
            unit: unit.to_owned(),
            quantity,
            monthly: quantity.scale(unit_price.0),
        }
    }

    fn unpriced(&self, p: &PriceTable, what: String, section: &str) -> CostError {
        CostError::Unpriced {
            file: p.origin(),
            what,
            resource: self.resource.clone(),
            section: section.to_owned(),
        }
    }
}

fn setting<'a>(eb: &'a BeanstalkEnvAttrs, ns: &str, option: &str) -> Option<&'a SettingValue> {
    eb.settings.get(ns).and_then(|o| o.get(option))
}

fn text<'a>(eb: &'a BeanstalkEnvAttrs, ns: &str, option: &str) -> Option<&'a str> {
    match setting(eb, ns, option)? {
        SettingValue::Text(t) => Some(t.as_str()),
        SettingValue::Template(t) => t.resolved.as_deref(),
        SettingValue::Refs(_) => None,
    }
}

/// An instance count setting, else Beanstalk's default.
fn count(eb: &BeanstalkEnvAttrs, option: &str, default: f64) -> f64 {
    text(eb, "aws:autoscaling:asg", option)
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map_or(default, f64::from)
}

fn beanstalk(at: &Item, eb: &BeanstalkEnvAttrs, p: &PriceTable) -> Result<Vec<Line>, CostError> {
    let hours = p.hours_per_month.0;
    // Beanstalk's own defaults where the settings say nothing: 1 to 4 instances.
    let instances = Span {
        min: count(eb, "MinSize", 1.0),
        max: count(eb, "MaxSize", 4.0),
    };
    // The first listed type is the one launched on demand.
    let instance_type = text(eb, "aws:ec2:instances", "InstanceTypes")
        .and_then(|t| t.split(',').next())
        .map(str::trim)
        .unwrap_or("t3.micro");
    let hourly = *p.ec2.hourly.get(instance_type).ok_or_else(|| {
        at.unpriced(
            p,
            format!("EC2 instance type {instance_type}"),
            "ec2.hourly",
        )
    })?;
    let mut out = vec![
        at.line(
            &format!("EC2 {instance_type}"),
            hourly,
            "instance-hour",
            instances.scale(hours),
        ),
        at.line(
            "EBS gp3 root volumes (assumed size)",
            p.ebs.gp3_gb_month,
            "GB-month",
            instances.scale(p.assumptions.instance_root_gb.0),
        ),
    ];
    let single =
        text(eb, "aws:elasticbeanstalk:environment", "EnvironmentType") == Some("SingleInstance");
    if single {
        // A single-instance environment gives its instance an Elastic IP.
        out.push(at.line(
            "public IPv4 address (instance Elastic IP)",
            p.public_ipv4.hourly,
            "address-hour",
            instances.scale(hours),
        ));
        return Ok(out);
    }
    match text(eb, "aws:elasticbeanstalk:environment", "LoadBalancerType").unwrap_or("application")
    {
        "application" => {}
        other => return Err(at.unpriced(p, format!("a `{other}` load balancer"), "alb")),
    }
    out.push(at.line(
        "Application Load Balancer",
        p.alb.hourly,
        "hour",
        Span::fixed(hours),
    ));
    out.push(at.line(
        "ALB capacity units (assumed)",
        p.alb.lcu_hourly,
        "LCU-hour",
        Span::fixed(p.assumptions.alb_lcu.0 * hours),
    ));
    if text(eb, "aws:ec2:vpc", "ELBScheme") != Some("internal") {
        // An internet-facing ALB holds one public address per subnet (availability zone).
        let zones = match setting(eb, "aws:ec2:vpc", "ELBSubnets") {
            Some(SettingValue::Refs(r)) => r.len(),
            Some(SettingValue::Text(t)) => t.split(',').filter(|s| !s.trim().is_empty()).count(),
            Some(SettingValue::Template(_)) | None => 2,
        };
        out.push(at.line(
            &format!("public IPv4 addresses (ALB, {zones} subnets)"),
            p.public_ipv4.hourly,
            "address-hour",
            Span::fixed(zones as f64 * hours),
        ));
    }
    Ok(out)
}

fn database(at: &Item, db: &DbInstanceAttrs, p: &PriceTable) -> Result<Vec<Line>, CostError> {
    let hours = p.hours_per_month.0;
    let az = if db.multi_az { "Multi-AZ" } else { "Single-AZ" };
    let class = p
        .rds
        .hourly
        .get(&db.engine)
        .and_then(|classes| classes.get(&db.instance_class))
        .ok_or_else(|| {
            at.unpriced(
                p,
                format!("RDS {} {}", db.engine, db.instance_class),
                &format!("rds.hourly.{}", db.engine),
            )
        })?;
    let storage_type = db.storage_type.as_str();
    let storage = p.rds.storage_gb_month.get(storage_type).ok_or_else(|| {
        at.unpriced(
            p,
            format!("RDS {storage_type} storage"),
            "rds.storage_gb_month",
        )
    })?;
    let allocated = f64::from(db.allocated_storage_gb);
    let retention = f64::from(db.backup_retention_days);
    let backups = if retention > 0.0 {
        allocated * (1.0 + p.assumptions.backup_daily_change.0 * retention)
    } else {
        0.0
    };
    let mut out = vec![
        at.line(
            &format!("RDS {} {} {az}", db.engine, db.instance_class),
            class.get(db.multi_az),
            "instance-hour",
            Span::fixed(hours),
        ),
        at.line(
            &format!("RDS {storage_type} storage {az}"),
            storage.get(db.multi_az),
            "GB-month",
            Span::fixed(allocated),
        ),
        at.line(
            &format!(
                "RDS backup storage beyond the free {allocated} GB ({retention} days, assumed)"
            ),
            p.rds.backup_gb_month,
            "GB-month",
            Span::fixed((backups - allocated).max(0.0)),
        ),
    ];
    match &db.master_password {
        // RDS keeps the managed master password as a Secrets Manager secret.
        MasterPassword::Managed => out.push(at.line(
            "Secrets Manager secret (managed master password)",
            p.secrets_manager.secret_month,
            "secret-month",
            Span::fixed(1.0),
        )),
        MasterPassword::EnvVar(_) => {}
    }
    Ok(out)
}
