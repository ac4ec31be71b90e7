//! Elastic Beanstalk: applications and environments of the backend and console.
//!
//! An application's physical id is its name (environments refer to it by name); an
//! environment's is its `EnvironmentId` (`e-…`). Beanstalk has no tag filter on its Describe
//! calls and no batched tag or settings read, so a read pass is one `DescribeApplications`, one
//! `DescribeEnvironments`, then per resource `ListTagsForResource` and, for the environments this
//! env owns, `DescribeConfigurationSettings`. An environment of `provision` has two Beanstalk
//! environments (backend and console) and two applications, so that is a handful of calls.
//!
//! Environments change only when `Ready`: every change first waits through
//! `Launching`/`Updating`, makes one call, then waits for `Ready` again. Right after a launch,
//! a scale from 0 instances or an update, an environment can be `Ready` and Red while its load
//! balancer's targets register: that is waited out for a while ([`health_timeout`]) before it
//! counts as a failure, which then names the environment's recent WARN and ERROR events.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_elasticbeanstalk::Client;
use aws_sdk_elasticbeanstalk::primitives::DateTime;
use aws_sdk_elasticbeanstalk::types::{
    ApplicationDescription, ConfigurationOptionSetting, EnvironmentDescription, EnvironmentHealth,
    EnvironmentHealthStatus, EnvironmentStatus, EnvironmentTier, EventDescription, EventSeverity,
    OptionSpecification, SearchFilter, Tag,
};
use tokio::task::JoinSet;

use super::errors::Code::{Has, Is, Mentions, Says};
use super::errors::ErrorClass::{Busy, Exists, Gone};
use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids, address_of, ours};
use super::kind::{AwsKind, mismatch};
use super::service::ReadPass;
use super::tagging::TagIndex;
use super::wait::{self, Poll};
use super::{AwsError, Op, Resolver};
use crate::model::*;

/// This service's error table, which classifies what it answers (`errors::classify`).
pub(super) const ERRORS: ErrorTable = <Beanstalk as super::Service>::ERRORS;

/// How long an environment may take to launch, update or terminate.
const ENV_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// How long a `Ready` environment may stay Red before that is a failure, by default: its
/// instances must pass the load balancer's health checks, and enhanced health degrades an
/// environment whose instances fail them "at least three times in any one-minute period"
/// ("Health colors and statuses", Elastic Beanstalk Developer Guide), so a few minutes of Red
/// after a scale from 0 is registration, not a fault.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// [`HEALTH_TIMEOUT`], or `PROVISION_HEALTH_TIMEOUT` (seconds) for tests and impatient operators.
pub fn health_timeout() -> Duration {
    std::env::var("PROVISION_HEALTH_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(HEALTH_TIMEOUT, Duration::from_secs_f64)
}

/// Options whose values are comma-separated resource ids; read back as references.
const REF_OPTIONS: &[(&str, &str)] = &[
    ("aws:ec2:vpc", "VPCId"),
    ("aws:ec2:vpc", "Subnets"),
    ("aws:ec2:vpc", "ELBSubnets"),
    ("aws:autoscaling:launchconfiguration", "SecurityGroups"),
    ("aws:elbv2:loadbalancer", "SecurityGroups"),
    ("aws:elbv2:loadbalancer", "ManagedSecurityGroup"),
    // Names of this environment's IAM instance profile and service role.
    ("aws:autoscaling:launchconfiguration", "IamInstanceProfile"),
    ("aws:elasticbeanstalk:environment", "ServiceRole"),
];

/// Raw results of this service's read pass, before ids become references.
#[derive(Debug, Default)]
pub struct Raw {
    /// Applications this environment owns, with their tags.
    apps: Vec<(ApplicationDescription, Tags)>,
    /// Environments this environment owns, with their tags and option settings.
    envs: Vec<EnvRead>,
}

type EnvRead = (
    EnvironmentDescription,
    Tags,
    Vec<ConfigurationOptionSetting>,
);

/// Tags as provision sees them: the ones AWS adds itself are not ours to compare.
fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .filter(|(k, _)| !k.starts_with("aws:") && !k.starts_with("elasticbeanstalk:"))
        .collect()
}

fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(super) async fn list_tags(
    client: &Client,
    resource: &str,
    arn: &str,
) -> Result<Tags, AwsError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, resource, "ListTagsForResource", e))?;
    Ok(tags_of(out.resource_tags()))
}

/// The tags the pass's index lists for a Beanstalk ARN, without Beanstalk's own keys (as
/// [`tags_of`] leaves them out); `None` when it lists none: then one `ListTagsForResource`.
async fn listed_tags(index: &TagIndex, arn: Option<&str>) -> Result<Option<Tags>, AwsError> {
    let Some(arn) = arn else { return Ok(None) };
    Ok(index.get(arn).await?.map(|tags| {
        tags.into_iter()
            .filter(|(k, _)| !k.starts_with("elasticbeanstalk:"))
            .collect()
    }))
}

async fn read(client: &Client, claims: &Claims, index: &TagIndex) -> Result<Raw, AwsError> {
    let what = format!("beanstalk of {}", claims.owner);
    let (apps, envs) = tokio::try_join!(
        owned_apps(client, claims, index, &what),
        owned_envs(client, claims, index, &what)
    )?;
    Ok(Raw { apps, envs })
}

/// Applications this environment keeps, with their tags: one list, then their tags
/// concurrently.
async fn owned_apps(
    client: &Client,
    claims: &Claims,
    index: &TagIndex,
    what: &str,
) -> Result<Vec<(ApplicationDescription, Tags)>, AwsError> {
    let out = client
        .describe_applications()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, what, "DescribeApplications", e))?;
    let mut tasks = JoinSet::new();
    let limit = super::bounded::Limit::per_resource_reads();
    for (i, app) in out.applications().iter().cloned().enumerate() {
        let (client, claims, what) = (client.clone(), claims.clone(), what.to_owned());
        let limit = limit.clone();
        let listed = listed_tags(index, app.application_arn()).await?;
        tasks.spawn(async move {
            let arn = app.application_arn().unwrap_or_default().to_owned();
            let name = app.application_name().unwrap_or_default().to_owned();
            let tags = match listed {
                Some(tags) => Ok(tags),
                None => {
                    let _slot = limit.permit().await;
                    list_tags(&client, &what, &arn).await
                }
            };
            match tags {
                Ok(tags) if claims.keeps(&name, Kind::BeanstalkApp, &tags) => {
                    Ok(Some((i, app, tags)))
                }
                Ok(_) => Ok(None),
                // Deleted since the list: not there.
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(e),
            }
        });
    }
    let mut apps = Vec::new();
    while let Some(r) = tasks.join_next().await {
        if let Some(found) = joined(r, what)? {
            apps.push(found);
        }
    }
    apps.sort_by_key(|(i, _, _)| *i);
    Ok(apps.into_iter().map(|(_, a, t)| (a, t)).collect())
}

/// Environments this environment keeps, with their tags and option settings.
async fn owned_envs(
    client: &Client,
    claims: &Claims,
    index: &TagIndex,
    what: &str,
) -> Result<Vec<EnvRead>, AwsError> {
    let mut listed = Vec::new();
    // The SDK has no paginator for DescribeEnvironments.
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_environments()
            .include_deleted(false)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, what, "DescribeEnvironments", e))?;
        listed.extend(page.environments().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    // Going or gone: nothing to compare, and nothing a change could act on.
    listed.retain(|e| {
        !matches!(
            e.status(),
            Some(EnvironmentStatus::Terminated | EnvironmentStatus::Terminating)
        )
    });
    // Tags and settings are per environment; ask for them concurrently, a few at a time.
    let mut tasks = JoinSet::new();
    let limit = super::bounded::Limit::per_resource_reads();
    for (i, e) in listed.into_iter().enumerate() {
        let (client, claims, what) = (client.clone(), claims.clone(), what.to_owned());
        let limit = limit.clone();
        let listed = listed_tags(index, e.environment_arn()).await?;
        tasks.spawn(async move {
            let _slot = limit.permit().await;
            let found = env_details(&client, &claims, &what, &e, listed).await?;
            Ok::<_, AwsError>(found.map(|(tags, settings)| (i, e, tags, settings)))
        });
    }
    let mut envs = Vec::new();
    while let Some(r) = tasks.join_next().await {
        if let Some(found) = joined(r, what)? {
            envs.push(found);
        }
    }
    envs.sort_by_key(|(i, _, _, _)| *i);
    Ok(envs.into_iter().map(|(_, e, t, s)| (e, t, s)).collect())
}

/// An environment's tags and, when it is this environment's, its option settings; `None` when
/// it is not ours or went away since the list.
async fn env_details(
    client: &Client,
    claims: &Claims,
    what: &str,
    e: &EnvironmentDescription,
    listed: Option<Tags>,
) -> Result<Option<(Tags, Vec<ConfigurationOptionSetting>)>, AwsError> {
    let arn = e.environment_arn().unwrap_or_default();
    let id = e.environment_id().unwrap_or_default();
    let tags = match listed {
        Some(tags) => Ok(tags),
        None => list_tags(client, what, arn).await,
    };
    let tags = match tags {
        Ok(tags) if claims.keeps(id, Kind::BeanstalkEnv, &tags) => tags,
        Ok(_) => return Ok(None),
        Err(err) if err.is_not_found() => return Ok(None),
        Err(err) => return Err(err),
    };
    let out = client
        .describe_configuration_settings()
        .application_name(e.application_name().unwrap_or_default())
        .environment_name(e.environment_name().unwrap_or_default())
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(ERRORS, what, "DescribeConfigurationSettings", err));
    match out {
        Ok(out) => {
            let settings = out
                .configuration_settings()
                .iter()
                .flat_map(|c| c.option_settings())
                .cloned()
                .collect();
            Ok(Some((tags, settings)))
        }
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

fn joined<T>(
    r: Result<Result<T, AwsError>, tokio::task::JoinError>,
    what: &str,
) -> Result<T, AwsError> {
    r.map_err(|e| AwsError::Invalid {
        resource: what.to_owned(),
        message: format!("a read task failed: {e}"),
    })?
}

/// The part of a CNAME the user chose: what comes before `.{region}.elasticbeanstalk.com`.
/// AWS generates `{env}.eba-xxxxxxxx` when no prefix was given; a prefix is one DNS label, so
/// a dotted one was not chosen and is reported as none.
fn cname_prefix(cname: &str) -> Option<String> {
    let rest = cname.strip_suffix(".elasticbeanstalk.com")?;
    let (prefix, _region) = rest.rsplit_once('.')?;
    (!prefix.is_empty() && !prefix.contains('.')).then(|| prefix.to_owned())
}

/// Comma-separated ids as references, in a canonical order (by address, then by id).
fn refs_of(value: &str, ids: &Ids) -> Vec<Ref> {
    let mut refs: Vec<Ref> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|id| ids.to_ref(id))
        .collect();
    refs.sort_by_key(ToString::to_string);
    refs.dedup();
    refs
}

fn settings_of(raw: &[ConfigurationOptionSetting], ids: &Ids) -> OptionSettings {
    let mut out = OptionSettings::new();
    for s in raw {
        let (Some(ns), Some(opt)) = (s.namespace(), s.option_name()) else {
            continue;
        };
        let value = s.value().unwrap_or_default();
        let value = if REF_OPTIONS.contains(&(ns, opt)) {
            SettingValue::Refs(refs_of(value, ids))
        } else {
            SettingValue::Text(value.to_owned())
        };
        out.entry(ns.to_owned())
            .or_default()
            .insert(opt.to_owned(), value);
    }
    out
}

impl ReadPass for Raw {
    fn tagged(&self) -> Vec<(String, Tags)> {
        let mut out = Vec::new();
        for (a, tags) in &self.apps {
            out.push((
                a.application_name().unwrap_or_default().to_owned(),
                tags.clone(),
            ));
        }
        for (e, tags, _) in &self.envs {
            out.push((
                e.environment_id().unwrap_or_default().to_owned(),
                tags.clone(),
            ));
        }
        out
    }

    /// (alias, physical id): an environment is also known by its CNAME and its endpoint URL,
    /// which is how an API integration's URI names it.
    fn aliases(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (e, _, _) in &self.envs {
            let id = e.environment_id().unwrap_or_default();
            for extra in [e.cname(), e.endpoint_url()].into_iter().flatten() {
                if !extra.is_empty() {
                    out.push((extra.to_owned(), id.to_owned()));
                }
            }
        }
        out
    }

    fn normalise(self: Box<Self>, claims: &Claims, ids: &Ids) -> Found {
        let mut resources = Found::default();
        let mut put =
            |id: &str, tags: Tags, attrs: Attrs, pending: BTreeMap<String, serde_json::Value>| {
                if let Some(address) = claims.address(id, attrs.kind(), &tags) {
                    resources.insert(
                        address,
                        LiveResource {
                            id: id.to_owned(),
                            attrs,
                            tags,
                            pending,
                        },
                    );
                }
            };
        for (a, tags) in self.apps {
            let name = a.application_name().unwrap_or_default().to_owned();
            let attrs = Attrs::BeanstalkApp(BeanstalkAppAttrs {
                name: name.clone(),
                description: a.description().unwrap_or_default().to_owned(),
            });
            put(&name, tags, attrs, BTreeMap::new());
        }
        let mut exports = Exports::new();
        for (e, tags, settings) in self.envs {
            if let Some(address) = claims.address(
                e.environment_id().unwrap_or_default(),
                Kind::BeanstalkEnv,
                &tags,
            ) {
                exports.insert(address, env_exports(&e));
            }
            let tier = match e.tier().and_then(|t| t.name()) {
                Some("Worker") => Tier::Worker,
                _ => Tier::WebServer,
            };
            let attrs = Attrs::BeanstalkEnv(BeanstalkEnvAttrs {
                name: e.environment_name().unwrap_or_default().to_owned(),
                application: ids.to_ref(e.application_name().unwrap_or_default()),
                solution_stack: e.solution_stack_name().unwrap_or_default().to_owned(),
                tier,
                cname_prefix: e.cname().and_then(cname_prefix),
                settings: settings_of(&settings, ids),
            });
            // An environment on its way to Ready is converging: drift says so, the planner
            // ignores it (`status` is no attribute it compares).
            let mut pending = BTreeMap::new();
            if let Some(status) = e.status().filter(|s| **s != EnvironmentStatus::Ready) {
                pending.insert(
                    "status".to_owned(),
                    serde_json::Value::String(status.as_str().to_owned()),
                );
            }
            put(e.environment_id().unwrap_or_default(), tags, attrs, pending);
        }
        resources.exports = exports;
        resources
    }
}

/// What settings of other environments may read of this one (`model::template::exposed`).
pub(super) fn env_exports(
    e: &aws_sdk_elasticbeanstalk::types::EnvironmentDescription,
) -> BTreeMap<String, String> {
    [("cname", e.cname()), ("endpoint_url", e.endpoint_url())]
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v.filter(|v| !v.is_empty())?.to_owned())))
        .chain([(
            "id".to_owned(),
            e.environment_id().unwrap_or_default().to_owned(),
        )])
        .collect()
}

// ---- changes ---------------------------------------------------------------------------------

fn value_of(v: &SettingValue, ids: &Resolver<'_>) -> Result<String, AwsError> {
    match v {
        SettingValue::Text(t) => Ok(t.clone()),
        SettingValue::Refs(refs) => Ok(refs
            .iter()
            .map(|r| ids.id(r))
            .collect::<Result<Vec<_>, _>>()?
            .join(",")),
        // The executor resolves templates right before the call (`apply::references`).
        SettingValue::Template(t) => t.resolved.clone().ok_or_else(|| AwsError::Invalid {
            resource: t.template.to_string(),
            message: "has no value yet: what it refers to was not read after its create".into(),
        }),
    }
}

fn option(ns: &str, opt: &str, value: String) -> ConfigurationOptionSetting {
    ConfigurationOptionSetting::builder()
        .namespace(ns)
        .option_name(opt)
        .value(value)
        .build()
}

fn tier(t: Tier) -> EnvironmentTier {
    let (name, kind) = match t {
        Tier::WebServer => ("WebServer", "Standard"),
        Tier::Worker => ("Worker", "SQS/HTTP"),
    };
    EnvironmentTier::builder().name(name).r#type(kind).build()
}

/// The ids of the recorded environments; with none recorded (state lost), of the environments
/// whose names carry this environment's (what a read maps back is only what it finds ours:
/// `Ids::alias`). CloudWatch reads their load balancers.
pub(super) async fn recorded_or_named(
    client: &Client,
    claims: &Claims,
    what: &str,
) -> Result<Vec<String>, AwsError> {
    let mut envs = claims.recorded_ids(Kind::BeanstalkEnv);
    if envs.is_empty() {
        let out = client
            .describe_environments()
            .include_deleted(false)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, what, "DescribeEnvironments", e))?;
        envs = out
            .environments()
            .iter()
            .filter(|e| {
                e.environment_name()
                    .is_some_and(|n| names_env(n, &claims.owner.env))
            })
            .filter_map(|e| e.environment_id().map(str::to_owned))
            .collect();
    }
    Ok(envs)
}

/// One environment as DescribeEnvironments sees it now (terminated ones included); `None` if
/// AWS does not list it.
async fn describe_env(
    client: &Client,
    resource: &str,
    id: &str,
) -> Result<Option<EnvironmentDescription>, AwsError> {
    let out = client
        .describe_environments()
        .environment_ids(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, resource, "DescribeEnvironments", e))?;
    // Several entries (a terminated one and a live one) cannot share an id; take any live one.
    Ok(out
        .environments()
        .iter()
        .find(|e| e.status() != Some(&EnvironmentStatus::Terminated))
        .or_else(|| out.environments().first())
        .cloned())
}

/// The application's ARN; `None` when AWS does not list it.
async fn app_arn(client: &Client, res: &str, id: &str) -> Result<Option<String>, AwsError> {
    let out = client
        .describe_applications()
        .application_names(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, res, "DescribeApplications", e))?;
    Ok(out
        .applications()
        .first()
        .and_then(|a| a.application_arn())
        .map(str::to_owned))
}

/// The live environment's ARN; `None` when it is gone (an environment that is terminated is).
async fn env_arn(client: &Client, res: &str, id: &str) -> Result<Option<String>, AwsError> {
    Ok(describe_env(client, res, id)
        .await?
        .filter(|e| e.status() != Some(&EnvironmentStatus::Terminated))
        .and_then(|e| e.environment_arn().map(str::to_owned)))
}

/// The tags of the Beanstalk resource `arn`; `None` when it is gone.
async fn tags_at(
    client: &Client,
    res: &str,
    arn: Option<String>,
) -> Result<Option<Tags>, AwsError> {
    let Some(arn) = arn else { return Ok(None) };
    match list_tags(client, res, &arn).await {
        Ok(tags) => Ok(Some(tags)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The environment's events of `severity` or worse since `since`, oldest first, joined as
/// "; its LABEL events: [SEVERITY] message / …": why a launch or update failed, as Beanstalk
/// reports it (the Terraform provider does the same after its waits). Empty when there are none
/// or they cannot be read.
async fn events_since(
    client: &Client,
    resource: &str,
    id: &str,
    since: SystemTime,
    severity: EventSeverity,
) -> String {
    let out = client
        .describe_events()
        .environment_id(id)
        .severity(severity.clone())
        .start_time(DateTime::from(since))
        .send()
        .await;
    match out {
        Ok(out) => events_text(out.events(), &severity),
        Err(e) => {
            let e = AwsError::from_sdk(ERRORS, resource, "DescribeEvents", e);
            tracing::warn!(error = %e, "could not read the environment's events");
            String::new()
        }
    }
}

/// See [`events_since`]. Pure.
fn events_text(events: &[EventDescription], severity: &EventSeverity) -> String {
    let mut events = events.to_vec();
    events.sort_by_key(|e| e.event_date().map(|d| (d.secs(), d.subsec_nanos())));
    let messages: Vec<String> = events
        .iter()
        .filter_map(|e| {
            let message = e.message()?;
            Some(match severity {
                // One severity asked for: no need to say it each time.
                EventSeverity::Error => message.to_owned(),
                _ => format!("[{}] {message}", e.severity().map_or("", |s| s.as_str())),
            })
        })
        .collect();
    let label = match severity {
        EventSeverity::Error => "ERROR",
        _ => "recent WARN and ERROR",
    };
    if messages.is_empty() {
        String::new()
    } else {
        format!("; its {label} events: {}", messages.join(" / "))
    }
}

/// The ERROR (and FATAL) events since `since`: why a launch failed.
async fn error_events(client: &Client, resource: &str, id: &str, since: SystemTime) -> String {
    events_since(client, resource, id, since, EventSeverity::Error).await
}

/// Red, by colour or by enhanced health's status (Degraded and Severe are Red).
fn is_red(e: &EnvironmentDescription) -> bool {
    matches!(e.health(), Some(EnvironmentHealth::Red))
        || matches!(
            e.health_status(),
            Some(EnvironmentHealthStatus::Degraded | EnvironmentHealthStatus::Severe)
        )
}

/// What a wait asks of a `Ready` environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Only `Ready`: an update may be sent to a Red environment (it may be what heals it).
    Settled,
    /// `Ready` and not Red, Red waited out up to [`health_timeout`].
    Healthy,
}

/// Waits until the environment is `Ready` (and, for [`Want::Healthy`], not Red); a failure
/// names the events logged since `since` (when the operation started).
async fn wait_ready(
    client: &Client,
    resource: &str,
    id: &str,
    since: SystemTime,
    want: Want,
) -> Result<(), AwsError> {
    // Events are stamped by AWS's clock: a little margin for this host's.
    let since = since - Duration::from_secs(5);
    // When the environment was first seen Ready and Red in this wait.
    let red_since: Mutex<Option<Instant>> = Mutex::new(None);
    let timeout = health_timeout();
    wait::until(resource, "environment Ready", ENV_TIMEOUT, || async {
        let Some(e) = describe_env(client, resource, id).await? else {
            // Just created: AWS may not list it yet.
            return Ok(Poll::Pending("not listed yet".into()));
        };
        let name = e.environment_name().unwrap_or(id);
        match e.status() {
            Some(EnvironmentStatus::Ready) if want == Want::Healthy && is_red(&e) => {
                let (first, new) = {
                    let mut seen = red_since.lock().expect("health wait");
                    let new = seen.is_none();
                    (*seen.get_or_insert_with(Instant::now), new)
                };
                let red_for = (!new).then(|| first.elapsed());
                red_or_done(client, resource, &e, since, red_for, timeout).await
            }
            Some(EnvironmentStatus::Ready) => Ok(Poll::Done),
            Some(s @ (EnvironmentStatus::Terminating | EnvironmentStatus::Terminated)) => {
                Err(AwsError::Invalid {
                    resource: resource.to_owned(),
                    message: format!(
                        "environment {name} ({id}) is {} instead of becoming Ready{}",
                        s.as_str(),
                        error_events(client, resource, id, since).await
                    ),
                })
            }
            other => Ok(Poll::Pending(
                other
                    .map_or("unknown", EnvironmentStatus::as_str)
                    .to_owned(),
            )),
        }
    })
    .await
}

/// A `Ready` environment Red for `red_for` so far (`None`: just seen so): still waiting (its
/// progress says why), or, past `timeout`, a failure naming its recent WARN and ERROR events.
async fn red_or_done(
    client: &Client,
    resource: &str,
    e: &EnvironmentDescription,
    since: SystemTime,
    red_for: Option<Duration>,
    timeout: Duration,
) -> Result<Poll, AwsError> {
    let id = e.environment_id().unwrap_or_default();
    let name = e.environment_name().unwrap_or(id);
    let health = match e.health_status() {
        Some(status) => format!("Red ({})", status.as_str()),
        None => "Red".to_owned(),
    };
    let red_for = red_for.unwrap_or_default();
    if red_for < timeout {
        if red_for.is_zero() {
            tracing::warn!(
                resource,
                "environment {name} ({id}) is Ready but its health is {health}: waiting up to {} s for it to recover (its load balancer's targets may still be registering)",
                timeout.as_secs()
            );
        }
        return Ok(Poll::Pending(format!("Ready, health {health}")));
    }
    Err(AwsError::Invalid {
        resource: resource.to_owned(),
        message: format!(
            "environment {name} ({id}) is Ready but its health stayed {health} for {} s{}",
            red_for.as_secs(),
            events_since(client, resource, id, since, EventSeverity::Warn).await
        ),
    })
}

async fn wait_terminated(client: &Client, resource: &str, id: &str) -> Result<(), AwsError> {
    wait::until(resource, "environment Terminated", ENV_TIMEOUT, || async {
        match describe_env(client, resource, id).await? {
            None => Ok(Poll::Done),
            Some(e) if e.status() == Some(&EnvironmentStatus::Terminated) => Ok(Poll::Done),
            Some(e) => Ok(Poll::Pending(
                e.status()
                    .map_or("unknown", EnvironmentStatus::as_str)
                    .to_owned(),
            )),
        }
    })
    .await
}

async fn create_env(
    client: &Client,
    op: &Op<'_>,
    a: &BeanstalkEnvAttrs,
) -> Result<String, AwsError> {
    let res = op.resource();
    let app = op.ids.id(&a.application)?;
    let mut settings = Vec::new();
    for (ns, options) in &a.settings {
        for (opt, v) in options {
            settings.push(option(ns, opt, value_of(v, &op.ids)?));
        }
    }
    let started = SystemTime::now();
    let send = || async {
        client
            .create_environment()
            .application_name(&app)
            .environment_name(&a.name)
            .solution_stack_name(&a.solution_stack)
            .tier(tier(a.tier))
            .set_cname_prefix(a.cname_prefix.clone())
            .set_option_settings(Some(settings.clone()))
            .set_tags(Some(tag_list(&op.tags())))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "CreateEnvironment", e))
    };
    let out = match send().await {
        // The name is still held by an environment on its way out: wait, then retry.
        Err(e) if e.class() == Exists && wait_name_free(client, &res, &a.name).await? => {
            send().await?
        }
        other => other?,
    };
    let id = out.environment_id().unwrap_or_default().to_owned();
    wait_ready(client, &res, &id, started, Want::Healthy)
        .await
        .map_err(AwsError::partial(&id))?;
    Ok(id)
}

/// When an environment of this name is terminating, waits until it is gone and says `true`.
async fn wait_name_free(client: &Client, res: &str, name: &str) -> Result<bool, AwsError> {
    let out = client
        .describe_environments()
        .environment_names(name)
        .include_deleted(false)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, res, "DescribeEnvironments", e))?;
    let terminating = out
        .environments()
        .iter()
        .find(|e| e.status() == Some(&EnvironmentStatus::Terminating));
    match terminating.and_then(|e| e.environment_id()) {
        Some(id) => {
            wait_terminated(client, res, id).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

async fn create_app(
    client: &Client,
    op: &Op<'_>,
    a: &BeanstalkAppAttrs,
) -> Result<String, AwsError> {
    let res = op.resource();
    let tags = op.tags();
    let created = client
        .create_application()
        .application_name(&a.name)
        .description(&a.description)
        .set_tags(Some(tag_list(&tags)))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "CreateApplication", e));
    match created {
        Ok(_) => Ok(a.name.clone()),
        Err(e) if e.class() == Exists => {
            // Ours from a run that died before recording it: adopt it. Anyone else's: refuse.
            let existing = client
                .describe_applications()
                .application_names(&a.name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DescribeApplications", e))?;
            let Some(arn) = existing
                .applications()
                .first()
                .and_then(|app| app.application_arn())
            else {
                return Err(e);
            };
            let theirs = list_tags(client, &res, arn).await?;
            if ours(&op.ctx.owner, &theirs) && address_of(&theirs).as_ref() == Some(op.address) {
                Ok(a.name.clone())
            } else {
                Err(op.invalid(&format!(
                    "an application named {} already exists and is not this environment's (its provision tags are missing or differ); rename it in the spec or delete it",
                    a.name
                )))
            }
        }
        Err(e) => Err(e),
    }
}

async fn update_app(
    client: &Client,
    op: &Op<'_>,
    b: &BeanstalkAppAttrs,
    a: &BeanstalkAppAttrs,
) -> Result<(), AwsError> {
    let res = op.resource();
    if b.description != a.description {
        client
            .update_application()
            .application_name(op.id())
            .description(&a.description)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "UpdateApplication", e))?;
    }
    Ok(())
}

async fn update_env(
    client: &Client,
    op: &Op<'_>,
    b: &BeanstalkEnvAttrs,
    a: &BeanstalkEnvAttrs,
) -> Result<(), AwsError> {
    let res = op.resource();
    // The planner lists the settings to compare (declared now or last time) as fields.
    let changed = op.change.changed_settings();
    let mut set = Vec::new();
    for (ns, options) in &a.settings {
        for (opt, v) in options {
            let before = b.settings.get(ns).and_then(|o| o.get(opt));
            // A resolved reference equals the text it came to (`SettingValue::eq`).
            if before != Some(v) || changed.contains(&(ns.as_str(), opt.as_str())) {
                set.push(option(ns, opt, value_of(v, &op.ids)?));
            }
        }
    }
    let mut remove = Vec::new();
    for (ns, options) in &b.settings {
        for opt in options.keys() {
            let gone = a.settings.get(ns).is_none_or(|o| !o.contains_key(opt));
            if gone && changed.contains(&(ns.as_str(), opt.as_str())) {
                remove.push(
                    OptionSpecification::builder()
                        .namespace(ns)
                        .option_name(opt)
                        .build(),
                );
            }
        }
    }
    let stack = (b.solution_stack != a.solution_stack).then(|| a.solution_stack.clone());
    if set.is_empty() && remove.is_empty() && stack.is_none() {
        return Ok(());
    }
    let id = op.id();
    wait_ready(client, &res, id, SystemTime::now(), Want::Settled).await?;
    let started = SystemTime::now();
    tracing::info!(
        resource = %res,
        set = set.len(),
        remove = remove.len(),
        solution_stack = stack.is_some(),
        "UpdateEnvironment"
    );
    client
        .update_environment()
        .environment_id(id)
        .set_option_settings((!set.is_empty()).then_some(set))
        .set_options_to_remove((!remove.is_empty()).then_some(remove))
        .set_solution_stack_name(stack)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "UpdateEnvironment", e))?;
    wait_ready(client, &res, id, started, Want::Healthy).await
}

/// Sets and removes tags on the resource `arn` (looked up by the caller).
async fn update_tags(
    client: &Client,
    op: &Op<'_>,
    arn: Option<String>,
    set: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let (res, id) = (op.resource(), op.id());
    let Some(arn) = arn else {
        return Err(op.invalid(&format!("{id} is not there to tag")));
    };
    let add: Vec<Tag> = set
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    client
        .update_tags_for_resource()
        .resource_arn(&arn)
        .set_tags_to_add((!add.is_empty()).then_some(add))
        .set_tags_to_remove((!remove.is_empty()).then(|| remove.iter().cloned().collect()))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "UpdateTagsForResource", e))?;
    Ok(())
}

async fn delete_env(client: &Client, op: &Op<'_>) -> Result<(), AwsError> {
    let (res, id) = (op.resource(), op.id());
    loop {
        let r = client
            .terminate_environment()
            .environment_id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "TerminateEnvironment", e));
        match r {
            Ok(_) => break,
            Err(e) if e.is_not_found() => return Ok(()),
            // Not Ready: terminating already (wait for it), or launching/updating
            // (wait for Ready, then terminate).
            Err(e) if e.class() == Busy => match describe_env(client, &res, id).await? {
                None => return Ok(()),
                Some(d) => match d.status() {
                    Some(EnvironmentStatus::Terminated) => return Ok(()),
                    Some(EnvironmentStatus::Terminating) => break,
                    Some(EnvironmentStatus::Ready) => return Err(e),
                    _ => wait_until_settled(client, &res, id).await?,
                },
            },
            Err(e) => return Err(e),
        }
    }
    wait_terminated(client, &res, id).await
}

/// Waits through `Launching`/`Updating` to any settled status (Ready, Red or not).
async fn wait_until_settled(client: &Client, res: &str, id: &str) -> Result<(), AwsError> {
    wait::until(res, "environment to settle", ENV_TIMEOUT, || async {
        match describe_env(client, res, id).await? {
            Some(e)
                if matches!(
                    e.status(),
                    Some(EnvironmentStatus::Launching | EnvironmentStatus::Updating)
                ) =>
            {
                Ok(Poll::Pending(
                    e.status()
                        .map_or("unknown", EnvironmentStatus::as_str)
                        .to_owned(),
                ))
            }
            _ => Ok(Poll::Done),
        }
    })
    .await
}

/// Elastic Beanstalk as a `Service`.
pub struct Beanstalk {
    client: Client,
}

impl super::Aws {
    /// The solution stacks Elastic Beanstalk launches now, in the region: one call, what
    /// `plan::platforms` resolves branches and checks pins against.
    pub async fn solution_stacks(&self) -> Result<Vec<String>, AwsError> {
        let out = self
            .beanstalk
            .list_available_solution_stacks()
            .send()
            .await
            .map_err(super::errors::sdk_err(
                ERRORS,
                "platforms",
                "ListAvailableSolutionStacks",
            ))?;
        Ok(out.solution_stacks().to_vec())
    }

    /// What AWS says of these branches (their lifecycle state): `ListPlatformBranches` with
    /// `BranchName in` (10 values a filter, so one call for up to 10 branches).
    pub async fn platform_branches(
        &self,
        names: &[String],
    ) -> Result<Vec<crate::model::platform::BranchSummary>, AwsError> {
        let mut out = Vec::new();
        for chunk in names.chunks(10) {
            let by_name = search("BranchName", "in", chunk);
            out.extend(self.list_branches(vec![by_name]).await?);
        }
        Ok(out)
    }

    /// The supported branches of these platforms (what a retired branch may move to).
    pub async fn supported_branches(
        &self,
        platforms: &[String],
    ) -> Result<Vec<crate::model::platform::BranchSummary>, AwsError> {
        let mut out = Vec::new();
        for chunk in platforms.chunks(10) {
            let filters = vec![
                search("PlatformName", "in", chunk),
                search("LifecycleState", "=", &["supported".to_owned()]),
            ];
            out.extend(self.list_branches(filters).await?);
        }
        Ok(out)
    }

    /// Every page of `ListPlatformBranches` for these filters; a summary with a state this
    /// build does not know is left out.
    async fn list_branches(
        &self,
        filters: Vec<SearchFilter>,
    ) -> Result<Vec<crate::model::platform::BranchSummary>, AwsError> {
        use crate::model::platform::{BranchSummary, Lifecycle};
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .beanstalk
                .list_platform_branches()
                .set_filters(Some(filters.clone()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(super::errors::sdk_err(
                    ERRORS,
                    "platforms",
                    "ListPlatformBranches",
                ))?;
            out.extend(page.platform_branch_summary_list().iter().filter_map(|b| {
                Some(BranchSummary {
                    name: b.branch_name()?.to_owned(),
                    platform: b.platform_name().unwrap_or_default().to_owned(),
                    lifecycle: Lifecycle::parse(b.lifecycle_state()?)?,
                    order: b.branch_order(),
                })
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(out),
            }
        }
    }
}

/// One `ListPlatformBranches` filter term.
fn search(attribute: &str, operator: &str, values: &[String]) -> SearchFilter {
    SearchFilter::builder()
        .attribute(attribute)
        .operator(operator)
        .set_values(Some(values.to_vec()))
        .build()
}

impl super::Service for Beanstalk {
    type Client = Client;
    type Raw = Raw;
    const ERRORS: ErrorTable = &[
        // Beanstalk says "not found" in prose.
        (
            None,
            Says("InvalidParameterValue", "No Environment found"),
            Gone,
        ),
        (
            None,
            Says("InvalidParameterValue", "No Application named"),
            Gone,
        ),
        (
            None,
            Mentions("InvalidParameterValue", "already exists"),
            Exists,
        ),
        // An application create answers this where the name is taken; the application is
        // looked up before anything else is concluded (see `create_app`).
        (None, Has("TooManyApplications"), Exists),
        // Terminating an environment that is not Ready (launching, updating, terminating).
        (
            Some("TerminateEnvironment"),
            Is("InvalidParameterValue"),
            Busy,
        ),
    ];

    fn new(aws: &super::Aws) -> Self {
        Beanstalk {
            client: aws.beanstalk.clone(),
        }
    }

    async fn read(&self, claims: &Claims, tags: &TagIndex) -> Result<Raw, AwsError> {
        read(&self.client, claims, tags).await
    }
}

impl AwsKind for crate::kinds::beanstalk_app::BeanstalkApp {
    type Service = Beanstalk;

    async fn tags_now(s: &Beanstalk, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let res = op.resource();
        let arn = app_arn(&s.client, &res, op.id()).await?;
        tags_at(&s.client, &res, arn).await
    }

    async fn create(s: &Beanstalk, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::BeanstalkApp(a) = op.after()? else {
            return Err(mismatch(op));
        };
        create_app(&s.client, op, a).await
    }

    async fn update(s: &Beanstalk, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::BeanstalkApp(b), Attrs::BeanstalkApp(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        update_app(&s.client, op, b, a).await
    }

    async fn retag(
        s: &Beanstalk,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let arn = app_arn(&s.client, &op.resource(), op.id()).await?;
        update_tags(&s.client, op, arn, set, remove).await
    }

    async fn delete(s: &Beanstalk, op: &Op<'_>) -> Result<(), AwsError> {
        let (client, res, id) = (&s.client, op.resource(), op.id());
        let r = client
            .delete_application()
            .application_name(id)
            .terminate_env_by_force(false)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteApplication", e));
        match r {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// DescribeApplications answers an empty list for a name it does not know: there is no
    /// error to show.
    async fn not_found(_s: &Beanstalk, _address: &Address, _id: &str) -> Option<AwsError> {
        None
    }
}

impl AwsKind for crate::kinds::beanstalk_env::BeanstalkEnv {
    type Service = Beanstalk;

    async fn tags_now(s: &Beanstalk, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let res = op.resource();
        let arn = env_arn(&s.client, &res, op.id()).await?;
        tags_at(&s.client, &res, arn).await
    }

    async fn create(s: &Beanstalk, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::BeanstalkEnv(a) = op.after()? else {
            return Err(mismatch(op));
        };
        create_env(&s.client, op, a).await
    }

    async fn update(s: &Beanstalk, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::BeanstalkEnv(b), Attrs::BeanstalkEnv(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        update_env(&s.client, op, b, a).await
    }

    /// Tagging an environment updates it: it must be Ready before and is waited for after.
    async fn retag(
        s: &Beanstalk,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let (client, res, id) = (&s.client, op.resource(), op.id());
        wait_ready(client, &res, id, SystemTime::now(), Want::Settled).await?;
        let arn = describe_env(client, &res, id)
            .await?
            .and_then(|e| e.environment_arn().map(str::to_owned));
        update_tags(client, op, arn, set, remove).await?;
        wait_ready(client, &res, id, SystemTime::now(), Want::Settled).await
    }

    async fn delete(s: &Beanstalk, op: &Op<'_>) -> Result<(), AwsError> {
        delete_env(&s.client, op).await
    }

    /// DescribeEnvironments answers an empty list for an id it does not know: there is no
    /// error to show.
    async fn not_found(_s: &Beanstalk, _address: &Address, _id: &str) -> Option<AwsError> {
        None
    }

    async fn exports(
        s: &Beanstalk,
        address: &Address,
        id: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let found = s
            .client
            .describe_environments()
            .environment_ids(id)
            .include_deleted(false)
            .send()
            .await
            .map_err(super::sdk_err(
                ERRORS,
                &address.to_string(),
                "DescribeEnvironments",
            ))?;
        Ok(found
            .environments()
            .first()
            .map(env_exports)
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cname_prefix_is_the_chosen_label_only() {
        assert_eq!(
            cname_prefix("agentpass-staging.us-east-2.elasticbeanstalk.com").as_deref(),
            Some("agentpass-staging")
        );
        assert_eq!(
            cname_prefix("agentpass-backend-staging.eba-ab12cd34.us-east-2.elasticbeanstalk.com"),
            None
        );
        assert_eq!(cname_prefix("example.com"), None);
    }

    #[test]
    fn ref_lists_are_canonical() {
        let mut ids = Ids::default();
        ids.insert("subnet-2", &"shared.subnet.private-b".parse().unwrap());
        ids.insert("subnet-1", &"shared.subnet.private-a".parse().unwrap());
        let refs = refs_of("subnet-2, subnet-1,,subnet-2", &ids);
        let shown: Vec<String> = refs.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["shared.subnet.private-a", "shared.subnet.private-b"]
        );
        assert!(refs_of("", &ids).is_empty());
    }

    #[test]
    fn events_are_named_oldest_first_with_their_severity() {
        let event = |secs: i64, severity: EventSeverity, message: &str| {
            EventDescription::builder()
                .event_date(DateTime::from_secs(secs))
                .severity(severity)
                .message(message)
                .build()
        };
        let events = [
            event(20, EventSeverity::Error, "Failed to deploy."),
            event(
                10,
                EventSeverity::Warn,
                "Environment health has transitioned to Severe.",
            ),
        ];
        assert_eq!(
            events_text(&events, &EventSeverity::Warn),
            "; its recent WARN and ERROR events: [WARN] Environment health has transitioned to \
             Severe. / [ERROR] Failed to deploy."
        );
        assert_eq!(
            events_text(&events[..1], &EventSeverity::Error),
            "; its ERROR events: Failed to deploy."
        );
        assert_eq!(events_text(&[], &EventSeverity::Warn), "");
    }

    #[test]
    fn red_is_the_colour_or_a_red_enhanced_status() {
        let env = |health: Option<EnvironmentHealth>, status: Option<EnvironmentHealthStatus>| {
            EnvironmentDescription::builder()
                .set_health(health)
                .set_health_status(status)
                .build()
        };
        assert!(is_red(&env(Some(EnvironmentHealth::Red), None)));
        assert!(is_red(&env(None, Some(EnvironmentHealthStatus::Severe))));
        assert!(is_red(&env(
            Some(EnvironmentHealth::Green),
            Some(EnvironmentHealthStatus::Degraded)
        )));
        assert!(!is_red(&env(
            Some(EnvironmentHealth::Yellow),
            Some(EnvironmentHealthStatus::Warning)
        )));
        assert!(!is_red(&env(Some(EnvironmentHealth::Grey), None)));
    }

    #[test]
    fn the_health_wait_is_ten_minutes_unless_the_environment_says() {
        // Read once per wait; unset in the test environment unless a test sets it for the CLI.
        if std::env::var_os("PROVISION_HEALTH_TIMEOUT").is_none() {
            assert_eq!(health_timeout(), Duration::from_secs(600));
        }
    }

    #[test]
    fn aws_tags_are_not_ours_to_compare() {
        let tags = tags_of(&[
            Tag::builder().key("provision:env").value("staging").build(),
            Tag::builder()
                .key("elasticbeanstalk:environment-name")
                .value("x")
                .build(),
            Tag::builder()
                .key("aws:cloudformation:stack-id")
                .value("y")
                .build(),
        ]);
        assert_eq!(tags.keys().collect::<Vec<_>>(), ["provision:env"]);
    }
}
