//! CloudWatch: the metric alarms (id: the alarm's name) and the dashboard (id: its name).
//!
//! Alarms are read with one `DescribeAlarms` under the project's name prefix, kept when their
//! name carries the environment (validation requires it) or the state recorded them, and their
//! tags are read one by one (`ListTagsForResource`). `PutMetricAlarm` creates and updates alike;
//! it sets tags only on create, so retagging goes through `TagResource`.
//!
//! Dashboards take no tags at all: provision writes its ownership tags into the body, as a
//! text widget under the graphs (`marker`), and reads them back as the dashboard's tags. A
//! dashboard is this environment's by that marker or by the name its state recorded; without
//! either it is never changed, and creating one over its name is refused at plan time
//! (`plan::names`). Recorded dashboards are read by name; with none recorded (state lost),
//! the project's dashboards whose names carry the environment are listed and their markers
//! read. The body is generated from the spec and read back into the same typed widgets: a
//! widget changed by hand (anything provision would not write) reads as a widget of its own,
//! so the dashboard shows as drifted and the next apply writes it again.
//!
//! A load balancer's metrics are keyed by the `app/NAME/ID` end of its ARN, which only the
//! Beanstalk environment knows (`DescribeEnvironmentResources`): resolved at apply time, and on
//! a read mapped back to the environment (one call per recorded environment, and only when
//! something read has such a dimension).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension as CwDimension, Statistic, Tag};
use serde_json::{Value, json};

use super::errors::Code::{Is, Mentions};
use super::errors::ErrorClass::Gone;
use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids};
use super::kind::{AwsKind, mismatch};
use super::marker;
use super::service::ReadPass;
use super::tagging::TagIndex;
use super::{AwsError, Op, Resolver, sdk_err};
use crate::model::*;

/// This service's error table, which classifies what it answers (`errors::classify`).
pub(super) const ERRORS: ErrorTable = <CloudWatch as super::Service>::ERRORS;

/// The dimension that holds a load balancer's `app/NAME/ID`.
pub const LOAD_BALANCER: &str = "LoadBalancer";
/// The dimension that holds a NAT gateway's id.
pub const NAT_GATEWAY: &str = "NatGatewayId";

fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
        .collect()
}

fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The `app/NAME/ID` end of a load balancer ARN, as CloudWatch's `LoadBalancer` dimension
/// wants it.
pub fn load_balancer_dimension(arn: &str) -> Option<&str> {
    arn.split_once(":loadbalancer/").map(|(_, rest)| rest)
}

/// A live dimension value as the spec states it: ids of resources become references.
fn dimension_of(name: &str, value: &str, ids: &Ids) -> Dimension {
    match name {
        NAT_GATEWAY => Dimension::Id(ids.to_ref(value)),
        LOAD_BALANCER => Dimension::LoadBalancerOf(ids.to_ref(value)),
        _ => Dimension::Text(value.to_owned()),
    }
}

// ---- the dashboard body (pure) ----------------------------------------------------------------

/// Width and height of one graph; two per row on CloudWatch's 24-column grid.
const WIDGET_W: usize = 12;
const WIDGET_H: usize = 6;

/// What a widget shows, resolved: a metric's namespace, name and dimension values, or an
/// alarm's ARN.
#[derive(Debug, Clone, PartialEq)]
enum Resolved {
    Metric(Vec<String>),
    Alarm(String),
}

/// One widget's JSON. An alarm widget is CloudWatch's metric widget with the alarm in
/// `annotations.alarms`: it graphs the alarm's metric and threshold.
fn widget_json(i: usize, region: &str, w: &Widget, shows: &Resolved) -> Value {
    let mut properties = json!({
        "title": w.title,
        "region": region,
        "view": "timeSeries",
        "stat": w.statistic,
        "period": w.period_seconds,
    });
    match shows {
        Resolved::Metric(m) => properties["metrics"] = json!([m]),
        Resolved::Alarm(arn) => properties["annotations"] = json!({ "alarms": [arn] }),
    }
    json!({
        "type": "metric",
        "x": (i % 2) * WIDGET_W,
        "y": (i / 2) * WIDGET_H,
        "width": WIDGET_W,
        "height": WIDGET_H,
        "properties": properties,
    })
}

/// An alarm's ARN in this region and account.
fn alarm_arn_of(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch:{region}:{account}:alarm:{name}")
}

/// The dashboard body: canonical JSON (keys sorted, no spaces), widgets in the spec's order,
/// then the ownership marker for `tags`. `resolve` gives each dimension's value; `account` is
/// the alarms' account.
pub fn dashboard_body(
    d: &DashboardAttrs,
    account: &str,
    resolve: &dyn Fn(&Dimension) -> Result<String, AwsError>,
    tags: &Tags,
) -> Result<String, AwsError> {
    let mut widgets = Vec::new();
    for (i, w) in d.widgets.iter().enumerate() {
        let shows = match &w.shows {
            Shows::Metric(m) => {
                let mut parts = vec![m.namespace.clone(), m.name.clone()];
                for (k, v) in &m.dimensions {
                    parts.extend([k.clone(), resolve(v)?]);
                }
                Resolved::Metric(parts)
            }
            Shows::Alarm(name) => Resolved::Alarm(alarm_arn_of(&d.region, account, name)),
        };
        widgets.push(widget_json(i, &d.region, w, &shows));
    }
    let rows = d.widgets.len().div_ceil(2) * WIDGET_H;
    widgets.extend(marker::widget(tags, rows as u64));
    Ok(json!({ "widgets": widgets }).to_string())
}

/// What one widget shows, read back: the metric (ids as references) or the alarm's name.
fn parse_shows(p: &Value, ids: &Ids) -> Option<(Shows, Resolved)> {
    if let Some(alarms) = p.get("annotations").and_then(|a| a.get("alarms")) {
        let [arn] = alarms.as_array()?.as_slice() else {
            return None;
        };
        let arn = arn.as_str()?;
        let name = arn.split_once(":alarm:")?.1;
        return Some((
            Shows::Alarm(name.to_owned()),
            Resolved::Alarm(arn.to_owned()),
        ));
    }
    let [metric] = p.get("metrics")?.as_array()?.as_slice() else {
        return None;
    };
    let parts: Vec<String> = metric
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<_>>()?;
    let [namespace, name, rest @ ..] = parts.as_slice() else {
        return None;
    };
    let mut dimensions = BTreeMap::new();
    for pair in rest.chunks(2) {
        let [k, v] = pair else { return None };
        dimensions.insert(k.clone(), dimension_of(k, v, ids));
    }
    let m = Metric {
        namespace: namespace.clone(),
        name: name.clone(),
        dimensions,
    };
    Some((Shows::Metric(m), Resolved::Metric(parts)))
}

/// Reads one widget as provision writes them; `None` when it is not one.
fn parse_widget(v: &Value, ids: &Ids) -> Option<(Widget, Resolved)> {
    let p = v.get("properties")?;
    let (shows, resolved) = parse_shows(p, ids)?;
    let widget = Widget {
        title: p.get("title")?.as_str()?.to_owned(),
        shows,
        statistic: p.get("stat")?.as_str()?.to_owned(),
        period_seconds: u32::try_from(p.get("period")?.as_u64()?).ok()?,
    };
    Some((widget, resolved))
}

/// The widgets of a live body. A widget that is not exactly what provision would write for it
/// (edited by hand, moved, another region) reads as a widget titled with its JSON, so it
/// differs from every widget the spec wants. The topic the spec names is the dashboard's
/// whatever a body says: its ARN only gives the account.
pub fn parse_dashboard(body: &str, region: &str, ids: &Ids) -> Vec<Widget> {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let list = v.get("widgets").and_then(Value::as_array);
    let Some(list) = list else {
        return vec![edited(&v)];
    };
    list.iter()
        .filter(|w| !marker::is_marker(w))
        .enumerate()
        .map(|(i, w)| match parse_widget(w, ids) {
            Some((widget, raw)) if widget_json(i, region, &widget, &raw) == *w => widget,
            _ => edited(w),
        })
        .collect()
}

fn edited(v: &Value) -> Widget {
    Widget {
        title: format!("edited outside provision: {v}"),
        shows: Shows::Alarm(String::new()),
        statistic: String::new(),
        period_seconds: 0,
    }
}

// ---- read pass --------------------------------------------------------------------------------

#[derive(Debug)]
struct AlarmRead {
    name: String,
    arn: String,
    attrs: AlarmAttrs,
    raw_dims: Vec<(String, String)>,
    actions: Vec<String>,
    tags: Tags,
}

#[derive(Debug, Default)]
pub struct Raw {
    alarms: Vec<AlarmRead>,
    /// (name, body) of each dashboard read: the recorded ones, or with none recorded those
    /// whose marker is this environment's.
    dashboards: Vec<(String, String)>,
    region: String,
    /// (`app/NAME/ID`, Beanstalk environment id).
    load_balancers: Vec<(String, String)>,
}

async fn read(cw: &CloudWatch, claims: &Claims, index: &TagIndex) -> Result<Raw, AwsError> {
    let what = format!("CloudWatch alarms of {}", claims.owner);
    let recorded = claims.recorded_ids(Kind::Alarm);
    let mut found = Vec::new();
    let mut pages = cw
        .client
        .describe_alarms()
        .alarm_name_prefix(&claims.owner.project)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(sdk_err(ERRORS, &what, "DescribeAlarms"))?;
        found.extend(
            p.metric_alarms()
                .iter()
                .filter(|a| {
                    let name = a.alarm_name().unwrap_or_default();
                    names_env(name, &claims.owner.env) || recorded.iter().any(|r| r == name)
                })
                .map(alarm_read),
        );
    }
    let arns: Vec<String> = found.iter().map(|a| a.arn.clone()).collect();
    let tags = index
        .each(arns, |arn| {
            let (client, what) = (cw.client.clone(), what.clone());
            async move { alarm_tags(&client, &what, &arn).await }
        })
        .await?;
    let mut alarms = Vec::new();
    for (mut a, tags) in found.into_iter().zip(tags) {
        if let Some(tags) = super::unless_gone(tags)?
            && claims.keeps(&a.name, Kind::Alarm, &tags)
        {
            a.tags = tags;
            alarms.push(a);
        }
    }
    let dashboards = read_dashboards(cw, claims, &what).await?;
    let wants_lb = alarms
        .iter()
        .any(|a| a.raw_dims.iter().any(|(k, _)| k == LOAD_BALANCER))
        || dashboards.iter().any(|(_, b)| b.contains(LOAD_BALANCER));
    let load_balancers = if wants_lb {
        load_balancers(cw, claims, index, &what).await?
    } else {
        Vec::new()
    };
    Ok(Raw {
        alarms,
        dashboards,
        region: cw.region.clone(),
        load_balancers,
    })
}

/// (`app/NAME/ID`, environment id) of the Beanstalk environments' load balancers
/// (`beanstalk::recorded_or_named`).
async fn load_balancers(
    cw: &CloudWatch,
    claims: &Claims,
    index: &TagIndex,
    what: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let envs = super::beanstalk::recorded_or_named(&cw.beanstalk, claims, what).await?;
    let mut out = Vec::new();
    for env in envs {
        // Beanstalk tags an environment's load balancer with the environment's tags and its id
        // (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/using-features.tagging.html):
        // listed, it needs no DescribeEnvironmentResources.
        let listed = index
            .find("elasticbeanstalk:environment-id", &env)
            .await?
            .and_then(|arn| load_balancer_dimension(&arn).map(str::to_owned))
            .filter(|d| d.starts_with("app/"));
        let lb = match listed {
            Some(lb) => Some(lb),
            None => super::unless_gone(env_load_balancer(cw, what, &env).await)?.flatten(),
        };
        // A single-instance environment has no load balancer: nothing to map back.
        if let Some(lb) = lb {
            out.push((lb, env));
        }
    }
    Ok(out)
}

/// The recorded dashboards; with none recorded (state lost, or a first apply), the project's
/// dashboards whose names carry the environment (validation requires both of the spec's name)
/// that the marker in their body claims. A converged read makes no listing.
async fn read_dashboards(
    cw: &CloudWatch,
    claims: &Claims,
    what: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut names = claims.recorded_ids(Kind::Dashboard);
    let listed = names.is_empty();
    if listed {
        let mut pages = cw
            .client
            .list_dashboards()
            .dashboard_name_prefix(&claims.owner.project)
            .into_paginator()
            .send();
        while let Some(p) = pages.next().await {
            let p = p.map_err(sdk_err(ERRORS, what, "ListDashboards"))?;
            names.extend(
                p.dashboard_entries()
                    .iter()
                    .filter_map(|e| e.dashboard_name())
                    .filter(|n| names_env(n, &claims.owner.env))
                    .map(str::to_owned),
            );
        }
    }
    let mut out = Vec::new();
    for name in names {
        let Some(body) = dashboard_now(&cw.client, what, &name).await? else {
            continue;
        };
        if !listed || claims.keeps(&name, Kind::Dashboard, &marker::tags(&body)) {
            out.push((name, body));
        }
    }
    Ok(out)
}

fn alarm_read(a: &aws_sdk_cloudwatch::types::MetricAlarm) -> AlarmRead {
    let raw_dims: Vec<(String, String)> = a
        .dimensions()
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_owned(),
                d.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let name = a.alarm_name().unwrap_or_default().to_owned();
    // Alarm and OK actions are one set in the spec; a difference between them shows as a
    // second entry.
    let actions: BTreeSet<String> = a
        .alarm_actions()
        .iter()
        .chain(a.ok_actions())
        .cloned()
        .collect();
    AlarmRead {
        arn: a.alarm_arn().unwrap_or_default().to_owned(),
        attrs: AlarmAttrs {
            name: name.clone(),
            description: a.alarm_description().unwrap_or_default().to_owned(),
            metric: Metric {
                namespace: a.namespace().unwrap_or_default().to_owned(),
                name: a.metric_name().unwrap_or_default().to_owned(),
                dimensions: BTreeMap::new(),
            },
            statistic: a
                .statistic()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            period_seconds: a.period().unwrap_or_default().max(0) as u32,
            evaluation_periods: a.evaluation_periods().unwrap_or_default().max(0) as u32,
            threshold: Threshold(a.threshold().unwrap_or_default()),
            comparison: a
                .comparison_operator()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            treat_missing_data: a.treat_missing_data().unwrap_or("missing").to_owned(),
            actions: BTreeSet::new(),
        },
        name,
        raw_dims,
        actions: actions.into_iter().collect(),
        tags: Tags::new(),
    }
}

async fn alarm_tags(client: &Client, res: &str, arn: &str) -> Result<Tags, AwsError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "ListTagsForResource"))?;
    Ok(tags_of(out.tags()))
}

async fn dashboard_now(client: &Client, res: &str, name: &str) -> Result<Option<String>, AwsError> {
    let out = client
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "GetDashboard"));
    Ok(super::unless_gone(out)?.map(|o| o.dashboard_body().unwrap_or_default().to_owned()))
}

/// The `app/NAME/ID` of a Beanstalk environment's load balancer; `None` without one (a
/// single-instance environment).
async fn env_load_balancer(
    cw: &CloudWatch,
    res: &str,
    env_id: &str,
) -> Result<Option<String>, AwsError> {
    let out = cw
        .beanstalk
        .describe_environment_resources()
        .environment_id(env_id)
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk(
                super::beanstalk::ERRORS,
                res,
                "DescribeEnvironmentResources",
                e,
            )
        })?;
    let names: Vec<&str> = out
        .environment_resources()
        .map(|r| r.load_balancers())
        .unwrap_or_default()
        .iter()
        .filter_map(|l| l.name())
        .collect();
    Ok(names
        .iter()
        .find_map(|n| load_balancer_dimension(n).filter(|d| d.starts_with("app/")))
        .map(str::to_owned))
}

impl ReadPass for Raw {
    fn tagged(&self) -> Vec<(String, Tags)> {
        let dashboards = self
            .dashboards
            .iter()
            .map(|(name, body)| (name.clone(), marker::tags(body)));
        self.alarms
            .iter()
            .map(|a| (a.name.clone(), a.tags.clone()))
            .chain(dashboards)
            .collect()
    }

    fn aliases(&self) -> Vec<(String, String)> {
        self.load_balancers.clone()
    }

    fn normalise(self: Box<Self>, claims: &Claims, ids: &Ids) -> Found {
        let mut found = Found::default();
        for a in self.alarms {
            let Some(address) = claims.address(&a.name, Kind::Alarm, &a.tags) else {
                continue;
            };
            let mut attrs = a.attrs;
            attrs.metric.dimensions = a
                .raw_dims
                .iter()
                .map(|(k, v)| (k.clone(), dimension_of(k, v, ids)))
                .collect();
            attrs.actions = a.actions.iter().map(|arn| ids.to_ref(arn)).collect();
            found.insert(address, live(a.name, Attrs::Alarm(attrs), a.tags));
        }
        for (name, body) in self.dashboards {
            let tags = marker::tags(&body);
            let Some(address) = claims.address(&name, Kind::Dashboard, &tags) else {
                continue;
            };
            let attrs = Attrs::Dashboard(DashboardAttrs {
                name: name.clone(),
                region: self.region.clone(),
                // Not held by AWS: the topic only gives the alarms' account, which a body's
                // alarm ARNs show (and a widget of another account does not read back).
                topic: Ref::Managed(Address::single(Stack::Shared, Kind::AlarmTopic)),
                widgets: parse_dashboard(&body, &self.region, ids),
            });
            found.insert(address, live(name, attrs, tags));
        }
        found
    }
}

fn live(id: String, attrs: Attrs, tags: Tags) -> LiveResource {
    LiveResource {
        id,
        attrs,
        tags,
        pending: BTreeMap::new(),
    }
}

// ---- changes ----------------------------------------------------------------------------------

/// A dimension's value for AWS: text as is, ids resolved, load balancers looked up.
async fn resolve(
    cw: &CloudWatch,
    res: &str,
    ids: &Resolver<'_>,
    d: &Dimension,
) -> Result<String, AwsError> {
    match d {
        Dimension::Text(t) => Ok(t.clone()),
        Dimension::Id(r) => ids.id(r),
        Dimension::LoadBalancerOf(r) => {
            let env = ids.id(r)?;
            env_load_balancer(cw, res, &env)
                .await?
                .ok_or_else(|| AwsError::Invalid {
                    resource: res.to_owned(),
                    message: format!(
                        "the Beanstalk environment {env} has no Application Load Balancer"
                    ),
                })
        }
    }
}

async fn resolved(
    cw: &CloudWatch,
    op: &Op<'_>,
    m: &Metric,
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    for (k, v) in &m.dimensions {
        out.insert(k.clone(), resolve(cw, &op.resource(), &op.ids, v).await?);
    }
    Ok(out)
}

async fn put_alarm(
    cw: &CloudWatch,
    op: &Op<'_>,
    a: &AlarmAttrs,
    tags: bool,
) -> Result<(), AwsError> {
    let dims: Vec<CwDimension> = resolved(cw, op, &a.metric)
        .await?
        .into_iter()
        .map(|(k, v)| CwDimension::builder().name(k).value(v).build())
        .collect();
    let mut actions = Vec::new();
    for r in &a.actions {
        actions.push(op.ids.id(r)?);
    }
    let mut req = cw
        .client
        .put_metric_alarm()
        .alarm_name(&a.name)
        .alarm_description(&a.description)
        .namespace(&a.metric.namespace)
        .metric_name(&a.metric.name)
        .set_dimensions(Some(dims))
        .statistic(Statistic::from(a.statistic.as_str()))
        .period(a.period_seconds as i32)
        .evaluation_periods(a.evaluation_periods as i32)
        .threshold(a.threshold.0)
        .comparison_operator(ComparisonOperator::from(a.comparison.as_str()))
        .treat_missing_data(&a.treat_missing_data)
        .set_alarm_actions(Some(actions.clone()))
        .set_ok_actions(Some(actions));
    // Tags given to PutMetricAlarm count only on create.
    if tags {
        req = req.set_tags(Some(tag_list(&op.tags())));
    }
    req.send()
        .await
        .map_err(sdk_err(ERRORS, &op.resource(), "PutMetricAlarm"))?;
    Ok(())
}

async fn put_dashboard(cw: &CloudWatch, op: &Op<'_>, d: &DashboardAttrs) -> Result<(), AwsError> {
    let mut values = BTreeMap::new();
    for w in &d.widgets {
        let Shows::Metric(m) = &w.shows else {
            continue;
        };
        for v in m.dimensions.values() {
            if !values.contains_key(v) {
                values.insert(v.clone(), resolve(cw, &op.resource(), &op.ids, v).await?);
            }
        }
    }
    // arn:aws:sns:REGION:ACCOUNT:NAME
    let topic = op.ids.id(&d.topic)?;
    let account = topic.split(':').nth(4).unwrap_or_default();
    let resolve = |v: &Dimension| Ok(values.get(v).cloned().unwrap_or_default());
    let body = dashboard_body(d, account, &resolve, &op.tags())?;
    let out = cw
        .client
        .put_dashboard()
        .dashboard_name(&d.name)
        .dashboard_body(body)
        .send()
        .await
        .map_err(sdk_err(ERRORS, &op.resource(), "PutDashboard"))?;
    // AWS stores a body with validation messages too (a widget that will not draw, e.g. an
    // alarm another stack has not made yet): worth a warning, not a failure.
    for m in out.dashboard_validation_messages() {
        tracing::warn!(
            resource = %op.resource(),
            path = m.data_path().unwrap_or_default(),
            "PutDashboard: {}",
            m.message().unwrap_or_default()
        );
    }
    Ok(())
}

async fn alarm_arn(client: &Client, res: &str, name: &str) -> Result<Option<String>, AwsError> {
    let out = client
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "DescribeAlarms"))?;
    Ok(out
        .metric_alarms()
        .first()
        .and_then(|a| a.alarm_arn())
        .map(str::to_owned))
}

/// A dashboard's tags are its marker: the body as AWS has it, with the marker written again.
/// An update that writes the spec's body (with the spec's marker) has done it already.
async fn retag_dashboard(
    cw: &CloudWatch,
    op: &Op<'_>,
    set: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    if op.change.changes_attributes() {
        return Ok(());
    }
    let res = op.resource();
    let Some(body) = dashboard_now(&cw.client, &res, op.id()).await? else {
        return Err(op.invalid("the dashboard is gone"));
    };
    let mut tags = marker::tags(&body);
    tags.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
    tags.retain(|k, _| !remove.contains(k));
    cw.client
        .put_dashboard()
        .dashboard_name(op.id())
        .dashboard_body(marker::with_tags(&body, &tags))
        .send()
        .await
        .map_err(sdk_err(ERRORS, &res, "PutDashboard"))?;
    Ok(())
}

/// Who holds an alarm name: `PutMetricAlarm` would overwrite it without a word.
pub(super) async fn alarm_holder(
    client: &Client,
    res: &str,
    name: &str,
) -> Result<Vec<crate::plan::names::Holder>, AwsError> {
    let Some(arn) = alarm_arn(client, res, name).await? else {
        return Ok(Vec::new());
    };
    let tags = super::unless_gone(alarm_tags(client, res, &arn).await)?.unwrap_or_default();
    Ok(vec![crate::plan::names::Holder::Resource {
        id: name.to_owned(),
        tags,
        detail: None,
    }])
}

/// Who holds a dashboard name: `PutDashboard` would overwrite it. A dashboard carries no tags:
/// the marker in its body stands for them (a dashboard without one is not provably anyone's).
pub(super) async fn dashboard_holder(
    client: &Client,
    res: &str,
    name: &str,
) -> Result<Vec<crate::plan::names::Holder>, AwsError> {
    Ok(dashboard_now(client, res, name)
        .await?
        .map(|body| {
            let tags = marker::tags(&body);
            let detail = tags
                .is_empty()
                .then(|| "dashboards carry no tags, and this one has no provision marker".into());
            crate::plan::names::Holder::Resource {
                id: name.to_owned(),
                tags,
                detail,
            }
        })
        .into_iter()
        .collect())
}

/// CloudWatch as a `Service` (with Beanstalk's client, for load balancers).
pub struct CloudWatch {
    client: Client,
    beanstalk: aws_sdk_elasticbeanstalk::Client,
    region: String,
}

impl super::Service for CloudWatch {
    type Client = Client;
    type Raw = Raw;
    const ERRORS: ErrorTable = &[
        (None, Is("ResourceNotFound"), Gone),
        (None, Is("ResourceNotFoundException"), Gone),
        // AWS answers a missing dashboard with ResourceNotFound (DashboardNotFoundError, API
        // reference of GetDashboard); LocalStack 4.13 with this code and message instead.
        (
            None,
            Mentions("InvalidParameterValue", "does not exist"),
            Gone,
        ),
    ];

    fn new(aws: &super::Aws) -> Self {
        CloudWatch {
            client: aws.cloudwatch.clone(),
            beanstalk: aws.beanstalk.clone(),
            region: aws.region.clone(),
        }
    }

    async fn read(&self, claims: &Claims, tags: &TagIndex) -> Result<Raw, AwsError> {
        read(self, claims, tags).await
    }
}

impl AwsKind for crate::kinds::alarm::Alarm {
    type Service = CloudWatch;

    async fn tags_now(cw: &CloudWatch, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let res = op.resource();
        let Some(arn) = alarm_arn(&cw.client, &res, op.id()).await? else {
            return Ok(None);
        };
        super::unless_gone(alarm_tags(&cw.client, &res, &arn).await)
    }

    async fn create(cw: &CloudWatch, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::Alarm(a) = op.after()? else {
            return Err(mismatch(op));
        };
        put_alarm(cw, op, a, true).await.map(|()| a.name.clone())
    }

    async fn update(cw: &CloudWatch, op: &Op<'_>) -> Result<(), AwsError> {
        let Attrs::Alarm(a) = op.after()? else {
            return Err(mismatch(op));
        };
        put_alarm(cw, op, a, false).await
    }

    async fn retag(
        cw: &CloudWatch,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let res = op.resource();
        let Some(arn) = alarm_arn(&cw.client, &res, op.id()).await? else {
            return Err(op.invalid("the alarm is gone"));
        };
        if !set.is_empty() {
            cw.client
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(tag_list(set)))
                .send()
                .await
                .map_err(sdk_err(ERRORS, &res, "TagResource"))?;
        }
        if !remove.is_empty() {
            cw.client
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove.iter().cloned().collect()))
                .send()
                .await
                .map_err(sdk_err(ERRORS, &res, "UntagResource"))?;
        }
        Ok(())
    }

    async fn delete(cw: &CloudWatch, op: &Op<'_>) -> Result<(), AwsError> {
        let r = cw
            .client
            .delete_alarms()
            .alarm_names(op.id())
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DeleteAlarms"));
        super::unless_gone(r).map(drop)
    }

    /// DescribeAlarms answers an empty list for a name it does not know.
    async fn not_found(_cw: &CloudWatch, _address: &Address, _id: &str) -> Option<AwsError> {
        None
    }
}

impl AwsKind for crate::kinds::dashboard::Dashboard {
    type Service = CloudWatch;

    /// Its tags are its marker's (none without one: ours only by its recorded name).
    async fn tags_now(cw: &CloudWatch, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        Ok(dashboard_now(&cw.client, &op.resource(), op.id())
            .await?
            .map(|body| marker::tags(&body)))
    }

    async fn create(cw: &CloudWatch, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::Dashboard(d) = op.after()? else {
            return Err(mismatch(op));
        };
        put_dashboard(cw, op, d).await.map(|()| d.name.clone())
    }

    async fn update(cw: &CloudWatch, op: &Op<'_>) -> Result<(), AwsError> {
        let Attrs::Dashboard(d) = op.after()? else {
            return Err(mismatch(op));
        };
        put_dashboard(cw, op, d).await
    }

    async fn retag(
        cw: &CloudWatch,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        retag_dashboard(cw, op, set, remove).await
    }

    async fn delete(cw: &CloudWatch, op: &Op<'_>) -> Result<(), AwsError> {
        let r = cw
            .client
            .delete_dashboards()
            .dashboard_names(op.id())
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DeleteDashboards"));
        super::unless_gone(r).map(drop)
    }

    async fn not_found(cw: &CloudWatch, address: &Address, id: &str) -> Option<AwsError> {
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "GetDashboard",
            cw.client.get_dashboard().dashboard_name(id)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dashboard() -> DashboardAttrs {
        let nat: Address = "shared.nat_gateway.public-a".parse().unwrap();
        let metric = |ns: &str, name: &str, dim: (&str, Dimension)| {
            Shows::Metric(Metric {
                namespace: ns.into(),
                name: name.into(),
                dimensions: [(dim.0.to_owned(), dim.1)].into(),
            })
        };
        let widget = |title: &str, shows, statistic: &str, period_seconds| Widget {
            title: title.into(),
            shows,
            statistic: statistic.into(),
            period_seconds,
        };
        DashboardAttrs {
            name: "agentpass-staging".into(),
            region: "us-east-2".into(),
            topic: Ref::Managed("shared.alarm_topic".parse().unwrap()),
            widgets: vec![
                widget(
                    "Database CPU",
                    metric(
                        "AWS/RDS",
                        "CPUUtilization",
                        ("DBInstanceIdentifier", Dimension::Text("db".into())),
                    ),
                    "Average",
                    300,
                ),
                widget(
                    "NAT port allocation errors",
                    metric(
                        "AWS/NATGateway",
                        "ErrorPortAllocation",
                        (NAT_GATEWAY, Dimension::Id(Ref::Managed(nat))),
                    ),
                    "Sum",
                    60,
                ),
                widget(
                    "Console load balancer 5XX",
                    Shows::Alarm("agentpass-staging-console-5xx".into()),
                    "Sum",
                    300,
                ),
            ],
        }
    }

    fn resolve_nat(d: &Dimension) -> Result<String, AwsError> {
        Ok(match d {
            Dimension::Text(t) => t.clone(),
            Dimension::Id(_) | Dimension::LoadBalancerOf(_) => "nat-0abc".into(),
        })
    }

    fn ids() -> Ids {
        let mut ids = Ids::default();
        ids.insert("nat-0abc", &"shared.nat_gateway.public-a".parse().unwrap());
        ids
    }

    #[test]
    fn the_body_is_canonical_json_and_reads_back_as_the_same_widgets() {
        let d = dashboard();
        let body = dashboard_body(&d, "123456789012", &resolve_nat, &Tags::new()).unwrap();
        // Keys sorted, no spaces: the same spec gives the same bytes.
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v.to_string(), body);
        assert!(body.starts_with(r#"{"widgets":[{"height":6,"properties":{"metrics":[["AWS/RDS","CPUUtilization","DBInstanceIdentifier","db"]]"#), "{body}");
        assert!(body.contains(r#""annotations":{"alarms":["arn:aws:cloudwatch:us-east-2:123456789012:alarm:agentpass-staging-console-5xx"]}"#), "{body}");
        assert_eq!(parse_dashboard(&body, "us-east-2", &ids()), d.widgets);
    }

    #[test]
    fn a_hand_edited_widget_reads_as_another_widget() {
        let d = dashboard();
        let body = dashboard_body(&d, "123456789012", &resolve_nat, &Tags::new()).unwrap();
        assert_eq!(parse_dashboard(&body, "us-east-2", &ids()), d.widgets);
        for edited in [
            body.replace("\"width\":12", "\"width\":8"),
            body.replace("\"Average\"", "\"Maximum\""),
            body.replace("us-east-2", "eu-west-1"),
            body.replace("console-5xx", "backend-5xx"),
            "not json".to_owned(),
        ] {
            let widgets = parse_dashboard(&edited, "us-east-2", &ids());
            assert_ne!(widgets, d.widgets, "{edited}");
        }
    }

    #[test]
    fn load_balancer_dimensions_are_the_end_of_the_arn() {
        assert_eq!(
            load_balancer_dimension(
                "arn:aws:elasticloadbalancing:us-east-2:1:loadbalancer/app/awseb-e-1/50dc6c495c0c9188"
            ),
            Some("app/awseb-e-1/50dc6c495c0c9188")
        );
        assert_eq!(load_balancer_dimension("awseb-e-1-classic"), None);
    }
}
