//! API Gateway (REST v1): the API, its key, the integration, the stage and the usage plan.
//!
//! Physical ids: the REST API id; the API key id; `{api_id}/{resource_id}/ANY` for the
//! integration of the `{proxy+}` resource's `ANY` method; `{api_id}/{stage_name}` for a stage;
//! the usage plan id.
//!
//! The API key's value is never asked for, kept, printed or logged: keys are listed without
//! values, a plan's keys are found from the key's side (`GetUsagePlans?keyId=`, whose answer
//! has no values, where `GetUsagePlanKeys` would carry them), and the calls whose answers do
//! carry the value (`CreateApiKey`, `CreateUsagePlanKey`, `UpdateApiKey`) run with tracing off,
//! because the SDK logs whole responses at trace level.
//!
//! A stage records the definition hash it was deployed from in its tag
//! [`TAG_DEFINITION_HASH`]; that tag is not reported as a normal tag. A new hash means a new
//! deployment on the stage. Integrations cannot be tagged: they are reported with the tags the
//! spec gives them, derived from a sibling's (see `integration_tags`).
//!
//! Reads: one `GetRestApis`, `GetApiKeys`, `GetUsagePlans` (tags inline; none of them filters
//! by tag on the server), then for this environment's own API its resources (methods and
//! integration embedded) and stages, and for its own key and plan their `GetTags` (AWS has
//! TagResource's tags inline too; LocalStack only there).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;

use aws_sdk_apigateway::types::{
    ApiStage, ConnectionType, EndpointConfiguration, IntegrationType as AwsIntegrationType,
    Op as PatchOp, PatchOperation, QuotaPeriodType, QuotaSettings, ThrottleSettings,
};

use super::ErrorClass::{Ambiguous, Busy, Exists, Gone};
use super::errors::Code::Is;
use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids, address_of, ours};
use super::service::ReadPass;
use super::tagging::TagIndex;
use super::{AwsError, Op, done_if, unless_gone, wait};
use crate::model::*;

/// This service's error table, which classifies what it answers (`errors::classify`).
pub(super) const ERRORS: ErrorTable = <ApiGateway as super::Service>::ERRORS;

/// The stage tag holding the hash of the definition its deployment was made from.
pub const TAG_DEFINITION_HASH: &str = "provision:definition-hash";

const PROXY_PATH: &str = "{proxy+}";
const METHOD: &str = "ANY";

/// The mapping template that makes a private integration send the path the client asked for.
/// "In a private integration, API Gateway includes the stage portion of the API endpoint in the
/// request to your backend resources ... To remove the stage name from the request to your
/// backend resources, use parameter mapping to create an override for the
/// `$context.requestOverride.path` variable" ("Private integrations for REST APIs in API
/// Gateway", Considerations:
/// <https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html>);
/// overrides are set in a mapping template ("Override your API's request and response
/// parameters and status codes for REST APIs in API Gateway"). `{proxy+}` is the path below the
/// stage; the body passes through unchanged.
pub const PATH_AS_REQUESTED: &str =
    "#set($context.requestOverride.path = \"/$input.params('proxy')\")\n$input.body";
/// The template API Gateway applies to a request without a Content-Type (a GET).
const TEMPLATE_CONTENT_TYPE: &str = "application/json";

/// Raw results of this service's read pass, before ids become references.
#[derive(Debug, Default)]
pub struct Raw {
    apis: Vec<ApiRead>,
    keys: Vec<KeyRead>,
    plans: Vec<PlanRead>,
}

#[derive(Debug)]
struct ApiRead {
    id: String,
    name: String,
    description: String,
    endpoint_type: Option<EndpointType>,
    tags: Tags,
    /// The `{proxy+}` resource's id and its `ANY` method, if there.
    proxy: Option<(String, Option<MethodRead>)>,
    stages: Vec<StageRead>,
}

#[derive(Debug)]
struct MethodRead {
    api_key_required: bool,
    integration: Option<IntegrationRead>,
}

#[derive(Debug)]
struct IntegrationRead {
    uri: String,
    /// The VPC link's id when the connection type is `VPC_LINK`.
    vpc_link: Option<String>,
    /// The load balancer a VPC link V2 integration sends to (its ARN).
    integration_target: Option<String>,
    timeout_ms: i32,
    /// Its mapping template is [`PATH_AS_REQUESTED`].
    path_as_requested: bool,
}

#[derive(Debug)]
struct StageRead {
    name: String,
    /// All of the stage's tags, the definition hash included.
    tags: Tags,
}

#[derive(Debug)]
struct KeyRead {
    id: String,
    name: String,
    enabled: bool,
    tags: Tags,
    /// The usage plans it is in.
    plans: Vec<String>,
}

#[derive(Debug)]
struct PlanRead {
    id: String,
    name: String,
    /// (api id, stage name) pairs.
    stages: Vec<(String, String)>,
    /// This environment's keys in the plan (ids only).
    keys: Vec<String>,
    rate_limit: f64,
    burst_limit: i32,
    quota: Option<(i32, Option<QuotaPeriodType>)>,
    tags: Tags,
}

pub(super) fn tags_of(tags: Option<&HashMap<String, String>>) -> Tags {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn aws_tags(tags: &Tags) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn endpoint_type_of(t: &aws_sdk_apigateway::types::EndpointType) -> Option<EndpointType> {
    use aws_sdk_apigateway::types::EndpointType as E;
    match t {
        E::Regional => Some(EndpointType::Regional),
        E::Edge => Some(EndpointType::Edge),
        E::Private => Some(EndpointType::Private),
        _ => None,
    }
}

fn aws_endpoint_type(t: EndpointType) -> aws_sdk_apigateway::types::EndpointType {
    use aws_sdk_apigateway::types::EndpointType as E;
    match t {
        EndpointType::Regional => E::Regional,
        EndpointType::Edge => E::Edge,
        EndpointType::Private => E::Private,
    }
}

fn endpoint_type_str(t: EndpointType) -> &'static str {
    match t {
        EndpointType::Regional => "REGIONAL",
        EndpointType::Edge => "EDGE",
        EndpointType::Private => "PRIVATE",
    }
}

fn region(client: &aws_sdk_apigateway::Client) -> String {
    client
        .config()
        .region()
        .map_or_else(|| "us-east-1".to_owned(), ToString::to_string)
}

/// ARNs for TagResource/UntagResource/GetTags.
pub(super) fn arn(client: &aws_sdk_apigateway::Client, path: &str) -> String {
    format!("arn:aws:apigateway:{}::{path}", region(client))
}

pub(super) fn stage_arn(client: &aws_sdk_apigateway::Client, api: &str, stage: &str) -> String {
    arn(client, &format!("/restapis/{api}/stages/{stage}"))
}

fn integration_id(api: &str, resource: &str) -> String {
    format!("{api}/{resource}/{METHOD}")
}

pub(super) fn stage_id(api: &str, stage: &str) -> String {
    format!("{api}/{stage}")
}

/// The host of an integration URI or endpoint: no scheme, path or port.
fn host_of(uri: &str) -> &str {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    host.rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
}

fn patch(op: PatchOp, path: &str, value: Option<&str>) -> PatchOperation {
    let b = PatchOperation::builder().op(op).path(path);
    match value {
        Some(v) => b.value(v).build(),
        None => b.build(),
    }
}

fn replace(path: &str, value: &str) -> PatchOperation {
    patch(PatchOp::Replace, path, Some(value))
}

async fn read(
    client: &aws_sdk_apigateway::Client,
    claims: &Claims,
    index: &TagIndex,
) -> Result<Raw, AwsError> {
    let what = format!("API Gateway of {}", claims.owner);
    let (apis, keys, mut plans) = tokio::try_join!(
        read_apis(client, claims, index, &what),
        read_keys(client, claims, index, &what),
        read_plans(client, claims, index, &what)
    )?;
    for p in &mut plans {
        p.keys = keys
            .iter()
            .filter(|k| k.plans.contains(&p.id))
            .map(|k| k.id.clone())
            .collect();
    }
    Ok(Raw { apis, keys, plans })
}

/// In this module, a per-resource read that answers NotFound means the resource was deleted
/// since the list call that found it (another run destroying it): it is left out, as gone.
async fn read_apis(
    client: &aws_sdk_apigateway::Client,
    claims: &Claims,
    index: &TagIndex,
    what: &str,
) -> Result<Vec<ApiRead>, AwsError> {
    // No server-side tag filter exists for REST APIs; tags come inline.
    let mut found = Vec::new();
    let mut pages = client.get_rest_apis().limit(500).into_paginator().send();
    while let Some(p) = pages.next().await {
        for a in p
            .map_err(|e| AwsError::from_sdk(ERRORS, what, "GetRestApis", e))?
            .items()
        {
            let tags = tags_of(a.tags());
            if claims.keeps(a.id().unwrap_or_default(), Kind::RestApi, &tags) {
                found.push((a.clone(), tags));
            }
        }
    }
    // An environment owns one API: the fan-out below is one API's resources and stages.
    let mut out = Vec::new();
    for (a, tags) in found {
        if let Some(api) = unless_gone(read_api(client, claims, index, a, tags).await)? {
            out.push(api);
        }
    }
    Ok(out)
}

async fn read_keys(
    client: &aws_sdk_apigateway::Client,
    claims: &Claims,
    index: &TagIndex,
    what: &str,
) -> Result<Vec<KeyRead>, AwsError> {
    let mut found = Vec::new();
    // Without `includeValues` (AWS's default is false; LocalStack takes any value given,
    // even `false`, as true).
    let mut pages = client.get_api_keys().limit(500).into_paginator().send();
    while let Some(p) = pages.next().await {
        for k in p
            .map_err(|e| AwsError::from_sdk(ERRORS, what, "GetApiKeys", e))?
            .items()
        {
            let tags = tags_of(k.tags());
            if claims.keeps(k.id().unwrap_or_default(), Kind::ApiKey, &tags) {
                found.push(KeyRead {
                    id: k.id().unwrap_or_default().to_owned(),
                    name: k.name().unwrap_or_default().to_owned(),
                    enabled: k.enabled(),
                    tags,
                    plans: Vec::new(),
                });
            }
        }
    }
    let mut out = Vec::new();
    for mut k in found {
        let arn = arn(client, &format!("/apikeys/{}", k.id));
        let read = tokio::try_join!(
            listed_or_added(index, client, &k.id, arn),
            plans_of_key(client, &k.id)
        );
        let Some((added, plans)) = unless_gone(read)? else {
            continue;
        };
        k.tags.extend(added);
        k.plans = plans;
        out.push(k);
    }
    Ok(out)
}

async fn read_plans(
    client: &aws_sdk_apigateway::Client,
    claims: &Claims,
    index: &TagIndex,
    what: &str,
) -> Result<Vec<PlanRead>, AwsError> {
    let mut found = Vec::new();
    let mut pages = client.get_usage_plans().limit(500).into_paginator().send();
    while let Some(p) = pages.next().await {
        for u in p
            .map_err(|e| AwsError::from_sdk(ERRORS, what, "GetUsagePlans", e))?
            .items()
        {
            let tags = tags_of(u.tags());
            if claims.keeps(u.id().unwrap_or_default(), Kind::UsagePlan, &tags) {
                found.push((u.clone(), tags));
            }
        }
    }
    let mut out = Vec::new();
    for (u, mut tags) in found {
        let id = u.id().unwrap_or_default().to_owned();
        let arn = arn(client, &format!("/usageplans/{id}"));
        let added = listed_or_added(index, client, &id, arn).await;
        let Some(added) = unless_gone(added)? else {
            continue;
        };
        tags.extend(added);
        out.push(PlanRead {
            name: u.name().unwrap_or_default().to_owned(),
            stages: u
                .api_stages()
                .iter()
                .map(|s| {
                    (
                        s.api_id().unwrap_or_default().to_owned(),
                        s.stage().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            keys: Vec::new(),
            rate_limit: u.throttle().map_or(0.0, |t| t.rate_limit()),
            burst_limit: u.throttle().map_or(0, |t| t.burst_limit()),
            quota: u.quota().map(|q| (q.limit(), q.period().cloned())),
            tags,
            id,
        });
    }
    Ok(out)
}

/// The usage plans a key is in. (`GetUsagePlanKeys` would say it the other way round, but its
/// answer carries every key's value.)
async fn plans_of_key(
    client: &aws_sdk_apigateway::Client,
    key: &str,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client
        .get_usage_plans()
        .key_id(key)
        .limit(500)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(|e| AwsError::from_sdk(ERRORS, key, "GetUsagePlans", e))?;
        out.extend(p.items().iter().filter_map(|u| u.id().map(str::to_owned)));
    }
    Ok(out)
}

/// Runs a call whose answer carries the API key's value with tracing off for it: the SDK logs
/// whole responses at trace level, and the value must not reach any log.
pub(super) fn quiet<F: Future>(call: F) -> tracing::instrument::WithDispatch<F> {
    use tracing::instrument::WithSubscriber;
    call.with_subscriber(tracing::Dispatch::none())
}

async fn read_api(
    client: &aws_sdk_apigateway::Client,
    claims: &Claims,
    index: &TagIndex,
    a: aws_sdk_apigateway::types::RestApi,
    tags: Tags,
) -> Result<ApiRead, AwsError> {
    let id = a.id().unwrap_or_default().to_owned();
    let (proxy, stages, added) = tokio::try_join!(
        find_proxy(client, &id),
        read_stages(client, claims, index, &id),
        listed_or_added(index, client, &id, arn(client, &format!("/restapis/{id}")))
    )?;
    let mut tags = tags;
    tags.extend(added);
    Ok(ApiRead {
        name: a.name().unwrap_or_default().to_owned(),
        description: a.description().unwrap_or_default().to_owned(),
        endpoint_type: a
            .endpoint_configuration()
            .and_then(|c| c.types().first())
            .and_then(endpoint_type_of),
        tags,
        proxy,
        stages,
        id,
    })
}

/// The `{proxy+}` resource under the root and its `ANY` method, with the integration.
async fn find_proxy(
    client: &aws_sdk_apigateway::Client,
    api: &str,
) -> Result<Option<(String, Option<MethodRead>)>, AwsError> {
    let mut pages = client
        .get_resources()
        .rest_api_id(api)
        .embed("methods")
        .limit(500)
        .into_paginator()
        .send();
    let mut proxy = None;
    while let Some(p) = pages.next().await {
        let p = p.map_err(|e| AwsError::from_sdk(ERRORS, api, "GetResources", e))?;
        if let Some(r) = p
            .items()
            .iter()
            .find(|r| r.path() == Some(&format!("/{PROXY_PATH}")))
        {
            proxy = Some(r.clone());
            break;
        }
    }
    let Some(r) = proxy else {
        return Ok(None);
    };
    let resource = r.id().unwrap_or_default().to_owned();
    let Some(m) = r.resource_methods().and_then(|m| m.get(METHOD)) else {
        return Ok(Some((resource, None)));
    };
    let integration = match m.method_integration() {
        Some(i) => Some(integration_of(
            i.uri(),
            i.connection_type(),
            i.connection_id(),
            i.integration_target(),
            i.timeout_in_millis(),
            i.request_templates(),
        )),
        // Not embedded: one more call for this one method.
        None => match client
            .get_integration()
            .rest_api_id(api)
            .resource_id(&resource)
            .http_method(METHOD)
            .send()
            .await
        {
            Ok(i) => Some(integration_of(
                i.uri(),
                i.connection_type(),
                i.connection_id(),
                i.integration_target(),
                i.timeout_in_millis(),
                i.request_templates(),
            )),
            Err(e) => {
                let e = AwsError::from_sdk(ERRORS, api, "GetIntegration", e);
                if e.is_not_found() {
                    None
                } else {
                    return Err(e);
                }
            }
        },
    };
    Ok(Some((
        resource,
        Some(MethodRead {
            api_key_required: m.api_key_required().unwrap_or(false),
            integration,
        }),
    )))
}

fn integration_of(
    uri: Option<&str>,
    connection: Option<&ConnectionType>,
    connection_id: Option<&str>,
    integration_target: Option<&str>,
    timeout_ms: i32,
    templates: Option<&HashMap<String, String>>,
) -> IntegrationRead {
    IntegrationRead {
        uri: uri.unwrap_or_default().to_owned(),
        vpc_link: (connection == Some(&ConnectionType::VpcLink))
            .then(|| connection_id.unwrap_or_default().to_owned()),
        integration_target: integration_target
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        timeout_ms,
        path_as_requested: templates
            .and_then(|t| t.get(TEMPLATE_CONTENT_TYPE))
            .is_some_and(|t| t.trim() == PATH_AS_REQUESTED),
    }
}

/// The environment an integration sends to, known by the host of its URI (the environment's
/// CNAME or endpoint). Through a VPC link the load balancer is named by `integrationTarget`,
/// resolved from the same environment at apply time: one without it cannot route, and reads
/// as another target so that the plan puts it back.
fn integration_target_of(ids: &Ids, i: &IntegrationRead) -> Ref {
    let host = host_of(&i.uri);
    match (&i.vpc_link, &i.integration_target) {
        (Some(_), None) => Ref::External(format!("{host} (no integrationTarget)")),
        _ => ids.to_ref(host),
    }
}

/// The tags the pass's index lists for `arn`, else those [`tags_added`] reads (one call).
async fn listed_or_added(
    index: &TagIndex,
    client: &aws_sdk_apigateway::Client,
    resource: &str,
    arn: String,
) -> Result<Tags, AwsError> {
    let read = tags_added(client, resource, arn.clone());
    index.or_read(&arn, read).await
}

/// Tags added with TagResource. AWS reports them inline as well; LocalStack keeps them apart
/// and leaves the inline tags as they were at create time. Asked only for this environment's
/// own resources (one API, one key, one usage plan), so the count stays per kind.
async fn tags_added(
    client: &aws_sdk_apigateway::Client,
    resource: &str,
    arn: String,
) -> Result<Tags, AwsError> {
    let out = client
        .get_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, resource, "GetTags", e))?;
    Ok(tags_of(out.tags()))
}

/// The tags of what a read by id found (its inline tags and the path of its ARN); `None` when
/// it is gone. As in the read pass: some emulators keep tags added later apart from the inline
/// ones.
pub(super) async fn tags_found(
    client: &aws_sdk_apigateway::Client,
    res: &str,
    found: Result<(Tags, String), AwsError>,
) -> Result<Option<Tags>, AwsError> {
    let gone = |e: AwsError| if e.is_not_found() { Ok(None) } else { Err(e) };
    let (mut tags, path) = match found {
        Ok(found) => found,
        Err(e) => return gone(e),
    };
    if !tags.contains_key(TAG_PROJECT) {
        match tags_added(client, res, arn(client, &path)).await {
            Ok(added) => tags.extend(added),
            Err(e) => return gone(e),
        }
    }
    Ok(Some(tags))
}

async fn read_stages(
    client: &aws_sdk_apigateway::Client,
    claims: &Claims,
    index: &TagIndex,
    api: &str,
) -> Result<Vec<StageRead>, AwsError> {
    let out = client
        .get_stages()
        .rest_api_id(api)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, api, "GetStages", e))?;
    let mut stages = Vec::new();
    for s in out.item() {
        let name = s.stage_name().unwrap_or_default().to_owned();
        let mut tags = tags_of(s.tags());
        // AWS returns a stage's tags inline. Some emulators only keep tags added by
        // TagResource apart: ask for them when the inline ones do not say whose it is.
        if !ours(&claims.owner, &tags) {
            let added = listed_or_added(index, client, api, stage_arn(client, api, &name)).await;
            let Some(added) = unless_gone(added)? else {
                continue;
            };
            tags.extend(added);
        }
        stages.push(StageRead { name, tags });
    }
    Ok(stages)
}

/// The tags the spec gives an integration, which cannot carry tags of its own. Every tag but
/// the name and the address is the same across an environment's stack, and names differ only
/// in their kind suffix: so they are a sibling's in the backend stack (the stage's, else the
/// usage plan's), renamed; with neither there yet, the API's, named for the backend stack.
fn integration_tags(api_tags: &Tags, sibling: Option<&Tags>) -> Tags {
    let address = Address::single(Stack::Backend, Kind::ApiIntegration);
    let sibling = sibling.and_then(|t| Some((t, address_of(t)?.kind)));
    let (mut tags, name) = match sibling {
        Some((t, kind)) => {
            let name = t
                .get("Name")
                .and_then(|n| n.strip_suffix(&format!("-{kind}")))
                .map(|prefix| format!("{prefix}-{}", address.kind));
            (t.clone(), name)
        }
        None => {
            let name = api_tags
                .get("Name")
                .and_then(|n| n.strip_suffix(&format!("-{}", Kind::RestApi)))
                .map(|prefix| format!("{prefix}-{}-{}", address.stack, address.kind));
            (api_tags.clone(), name)
        }
    };
    if let Some(name) = name {
        tags.insert("Name".into(), name);
    }
    tags.insert(TAG_STACK.into(), address.stack.to_string());
    tags.insert(TAG_ADDRESS.into(), address.to_string());
    tags
}

/// One reference from a list of ids: the only one, or all of them as one unknown id (so that
/// extra or missing members show up as a change).
fn one_ref(ids: &Ids, found: &[String]) -> Ref {
    match found {
        [one] => ids.to_ref(one),
        _ => Ref::External(found.join(",")),
    }
}

impl ReadPass for Raw {
    fn tagged(&self) -> Vec<(String, Tags)> {
        let mut out: Vec<(String, Tags)> = Vec::new();
        for a in &self.apis {
            out.push((a.id.clone(), a.tags.clone()));
            for s in &a.stages {
                out.push((stage_id(&a.id, &s.name), s.tags.clone()));
            }
        }
        out.extend(self.keys.iter().map(|k| (k.id.clone(), k.tags.clone())));
        out.extend(self.plans.iter().map(|p| (p.id.clone(), p.tags.clone())));
        out
    }

    fn normalise(self: Box<Self>, claims: &Claims, ids: &Ids) -> Found {
        let mut resources = Found::default();
        let mut put = |id: String, tags: Tags, attrs: Attrs| {
            if let Some(address) = claims.address(&id, attrs.kind(), &tags) {
                resources.insert(
                    address,
                    LiveResource {
                        id,
                        attrs,
                        tags,
                        pending: BTreeMap::new(),
                    },
                );
            }
        };
        // Tags of a backend-stack sibling, for integrations (see `integration_tags`).
        let plan_tags = self
            .plans
            .iter()
            .find(|p| address_of(&p.tags).is_some_and(|a| a.kind == Kind::UsagePlan))
            .map(|p| p.tags.clone());
        for a in self.apis {
            let mut sibling = a
                .stages
                .iter()
                .map(|s| {
                    let mut t = s.tags.clone();
                    t.remove(TAG_DEFINITION_HASH);
                    t
                })
                .find(|t| address_of(t).is_some_and(|a| a.kind == Kind::ApiStage))
                .or_else(|| plan_tags.clone());
            let method = a.proxy.as_ref().and_then(|(_, m)| m.as_ref());
            let is_rest_api = claims.address(&a.id, Kind::RestApi, &a.tags).is_some();
            if let (Some((resource, Some(m))), true) = (&a.proxy, is_rest_api)
                && let Some(i) = &m.integration
            {
                let attrs = Attrs::ApiIntegration(ApiIntegrationAttrs {
                    api: ids.to_ref(&a.id),
                    integration_type: if i.vpc_link.is_some() {
                        IntegrationType::VpcLink
                    } else {
                        IntegrationType::HttpProxy
                    },
                    target: integration_target_of(ids, i),
                    vpc_link_id: i.vpc_link.as_deref().map(|l| ids.to_ref(l)),
                    timeout_ms: u32::try_from(i.timeout_ms).unwrap_or_default(),
                    path_as_requested: i.path_as_requested,
                });
                put(
                    integration_id(&a.id, resource),
                    integration_tags(&a.tags, sibling.take().as_ref()),
                    attrs,
                );
            }
            for s in a.stages {
                let mut tags = s.tags;
                let hash = tags.remove(TAG_DEFINITION_HASH).unwrap_or_default();
                let attrs = Attrs::ApiStage(ApiStageAttrs {
                    api: ids.to_ref(&a.id),
                    stage_name: s.name.clone(),
                    definition_hash: hash,
                });
                put(stage_id(&a.id, &s.name), tags, attrs);
            }
            let attrs = Attrs::RestApi(RestApiAttrs {
                name: a.name,
                description: a.description,
                // An API created without one is EDGE, AWS's default.
                endpoint_type: a.endpoint_type.unwrap_or(EndpointType::Edge),
                // No proxy method yet (a create cut short) reads as not requiring a key.
                api_key_required: method.is_some_and(|m| m.api_key_required),
            });
            put(a.id, a.tags, attrs);
        }
        for k in self.keys {
            let attrs = Attrs::ApiKey(ApiKeyAttrs {
                name: k.name,
                enabled: k.enabled,
            });
            put(k.id, k.tags, attrs);
        }
        for p in self.plans {
            let attrs = plan_attrs(&p, ids);
            put(p.id, p.tags, attrs);
        }
        resources
    }
}

/// A usage plan as provision compares it: one API, stage and key (see `one_ref`).
fn plan_attrs(p: &PlanRead, ids: &Ids) -> Attrs {
    let apis: Vec<String> = p.stages.iter().map(|(a, _)| a.clone()).collect();
    let stages: Vec<String> = p.stages.iter().map(|(a, s)| stage_id(a, s)).collect();
    let quota_per_day = p.quota.as_ref().map(|(limit, period)| match period {
        Some(QuotaPeriodType::Day) => u32::try_from(*limit).unwrap_or_default(),
        // A weekly or monthly quota is not what any spec says: show it as a change.
        _ => 0,
    });
    Attrs::UsagePlan(UsagePlanAttrs {
        name: p.name.clone(),
        api: one_ref(ids, &apis),
        stage: one_ref(ids, &stages),
        api_key: one_ref(ids, &p.keys),
        rate_limit: p.rate_limit.round() as u32,
        burst_limit: u32::try_from(p.burst_limit).unwrap_or_default(),
        quota_per_day,
    })
}

fn as_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

pub(super) async fn create_api(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
    a: &RestApiAttrs,
) -> Result<String, AwsError> {
    let res = op.resource();
    let tags = aws_tags(&op.tags());
    let api = wait::through_throttling(|| async {
        client
            .create_rest_api()
            .name(&a.name)
            .description(&a.description)
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(aws_endpoint_type(a.endpoint_type))
                    .build(),
            )
            .set_tags(Some(tags.clone()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "CreateRestApi", e))
    })
    .await?;
    let id = api
        .id()
        .ok_or_else(|| op.invalid("CreateRestApi returned no id"))?
        .to_owned();
    ensure_proxy(
        client,
        &res,
        &id,
        api.root_resource_id(),
        a.api_key_required,
    )
    .await
    // The API exists now: state must learn its id even if its proxy could not be made.
    .map_err(AwsError::partial(&id))?;
    Ok(id)
}

pub(super) async fn create_key(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
    a: &ApiKeyAttrs,
) -> Result<String, AwsError> {
    let res = op.resource();
    let tags = aws_tags(&op.tags());
    let key = quiet(
        client
            .create_api_key()
            .name(&a.name)
            .enabled(a.enabled)
            .set_tags(Some(tags))
            .send(),
    )
    .await
    .map_err(|e| AwsError::from_sdk(ERRORS, &res, "CreateApiKey", e))?;
    // The response holds the key's value too: only the id leaves this function.
    key.id()
        .map(str::to_owned)
        .ok_or_else(|| op.invalid("CreateApiKey returned no id"))
}

pub(super) async fn create_plan(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
    a: &UsagePlanAttrs,
) -> Result<String, AwsError> {
    let res = op.resource();
    let tags = aws_tags(&op.tags());
    let (api, stage) = plan_stage(op, a)?;
    let key = op.ids.id(&a.api_key)?;
    let plan = client
        .create_usage_plan()
        .name(&a.name)
        .api_stages(ApiStage::builder().api_id(&api).stage(&stage).build())
        .throttle(
            ThrottleSettings::builder()
                .rate_limit(f64::from(a.rate_limit))
                .burst_limit(as_i32(a.burst_limit))
                .build(),
        )
        .set_quota(a.quota_per_day.map(|q| {
            QuotaSettings::builder()
                .limit(as_i32(q))
                .period(QuotaPeriodType::Day)
                .build()
        }))
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "CreateUsagePlan", e))?;
    let id = plan
        .id()
        .ok_or_else(|| op.invalid("CreateUsagePlan returned no id"))?
        .to_owned();
    add_plan_key(client, &res, &id, &key)
        .await
        .map_err(AwsError::partial(&id))?;
    Ok(id)
}

/// (api id, stage name) of a usage plan's stage; the stage's id is `{api}/{stage}`.
pub(super) fn plan_stage(op: &Op<'_>, a: &UsagePlanAttrs) -> Result<(String, String), AwsError> {
    let stage = op.ids.id(&a.stage)?;
    match stage.rsplit_once('/') {
        Some((api, name)) => Ok((api.to_owned(), name.to_owned())),
        None => Ok((op.ids.id(&a.api)?, stage)),
    }
}

async fn add_plan_key(
    client: &aws_sdk_apigateway::Client,
    res: &str,
    plan: &str,
    key: &str,
) -> Result<(), AwsError> {
    let r = wait::through_not_found(|| async {
        // The response holds the key's value: dropped unread.
        quiet(
            client
                .create_usage_plan_key()
                .usage_plan_id(plan)
                .key_id(key)
                .key_type("API_KEY")
                .send(),
        )
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk(ERRORS, res, "CreateUsagePlanKey", e))
    })
    .await;
    done_if(r, &[Exists])
}

/// The API's root resource id and its `{proxy+}` resource (id, and whether its `ANY` method
/// requires a key, if it has one).
type ProxyScan = (String, Option<(String, Option<bool>)>);

async fn scan_proxy(
    client: &aws_sdk_apigateway::Client,
    res: &str,
    api: &str,
) -> Result<ProxyScan, AwsError> {
    let mut root = String::new();
    let mut proxy = None;
    let mut pages = client
        .get_resources()
        .rest_api_id(api)
        .embed("methods")
        .limit(500)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        for r in p
            .map_err(|e| AwsError::from_sdk(ERRORS, res, "GetResources", e))?
            .items()
        {
            if r.path() == Some("/") {
                root = r.id().unwrap_or_default().to_owned();
            } else if r.path() == Some(&format!("/{PROXY_PATH}")) {
                let method = r
                    .resource_methods()
                    .and_then(|m| m.get(METHOD))
                    .map(|m| m.api_key_required().unwrap_or(false));
                proxy = Some((r.id().unwrap_or_default().to_owned(), method));
            }
        }
    }
    Ok((root, proxy))
}

/// How often a `{proxy+}` resource whose creation lost its answer is looked for and created again.
const PROXY_TRIES: usize = 3;

/// Makes sure the API has its `{proxy+}` resource and `ANY` method, with the key requirement.
pub(super) async fn ensure_proxy(
    client: &aws_sdk_apigateway::Client,
    res: &str,
    api: &str,
    root: Option<&str>,
    api_key_required: bool,
) -> Result<(), AwsError> {
    let (mut root, mut proxy) = match root {
        // Just created: only the root exists.
        Some(root) => (root.to_owned(), None),
        None => scan_proxy(client, res, api).await?,
    };
    let mut tries = 0;
    let (resource, method) = loop {
        if let Some(p) = proxy {
            break p;
        }
        let made = wait::through_not_found(|| async {
            client
                .create_resource()
                .rest_api_id(api)
                .parent_id(&root)
                .path_part(PROXY_PATH)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(ERRORS, res, "CreateResource", e))
        })
        .await;
        match made {
            Ok(r) => break (r.id().unwrap_or_default().to_owned(), None),
            // The answer was lost, so it may have been made: look before creating again (a
            // second `{proxy+}` is refused as a conflict, never made twice).
            Err(e) if e.class() == Ambiguous && tries < PROXY_TRIES => {
                tries += 1;
                (root, proxy) = scan_proxy(client, res, api).await?;
            }
            Err(e) => return Err(e),
        }
    };
    match method {
        None => {
            client
                .put_method()
                .rest_api_id(api)
                .resource_id(&resource)
                .http_method(METHOD)
                .authorization_type("NONE")
                .api_key_required(api_key_required)
                .request_parameters("method.request.path.proxy", true)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(ERRORS, res, "PutMethod", e))?;
        }
        Some(required) if required != api_key_required => {
            client
                .update_method()
                .rest_api_id(api)
                .resource_id(&resource)
                .http_method(METHOD)
                .patch_operations(replace("/apiKeyRequired", &api_key_required.to_string()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(ERRORS, res, "UpdateMethod", e))?;
        }
        Some(_) => {}
    }
    Ok(())
}

/// The `{proxy+}` resource's id.
async fn proxy_resource(
    client: &aws_sdk_apigateway::Client,
    res: &str,
    api: &str,
) -> Result<String, AwsError> {
    let mut pages = client
        .get_resources()
        .rest_api_id(api)
        .limit(500)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(|e| AwsError::from_sdk(ERRORS, res, "GetResources", e))?;
        if let Some(id) = p
            .items()
            .iter()
            .find(|r| r.path() == Some(&format!("/{PROXY_PATH}")))
            .and_then(|r| r.id())
        {
            return Ok(id.to_owned());
        }
    }
    Err(AwsError::Invalid {
        resource: res.to_owned(),
        message: format!(
            "the API {api} has no /{PROXY_PATH} resource; apply --stack shared to repair it"
        ),
    })
}

/// The host the integration sends to: the target Beanstalk environment's CNAME (for an HTTP
/// proxy) or its load balancer's name (through a VPC link, where it sets the Host header);
/// with the environment's id when provision manages it.
async fn target_host(
    beanstalk: &aws_sdk_elasticbeanstalk::Client,
    op: &Op<'_>,
    a: &ApiIntegrationAttrs,
) -> Result<(String, Option<String>), AwsError> {
    let env_id = match &a.target {
        // A host given as is.
        Ref::External(host) => return Ok((host_of(host).to_owned(), None)),
        Ref::Managed(_) => op.ids.id(&a.target)?,
    };
    let out = beanstalk
        .describe_environments()
        .environment_ids(&env_id)
        .include_deleted(false)
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk(
                super::beanstalk::ERRORS,
                op.resource(),
                "DescribeEnvironments",
                e,
            )
        })?;
    let env = out.environments().first().ok_or_else(|| {
        op.invalid(&format!(
            "the backend environment {env_id} ({}) was not found",
            a.target
        ))
    })?;
    let cname = env.cname().filter(|c| !c.is_empty());
    let endpoint = env.endpoint_url().filter(|c| !c.is_empty());
    let host = match a.integration_type {
        IntegrationType::HttpProxy => cname.or(endpoint),
        IntegrationType::VpcLink => endpoint.or(cname),
    };
    let host = host.map(|h| host_of(h).to_owned()).ok_or_else(|| {
        op.invalid(&format!(
            "the backend environment {env_id} has no endpoint yet (status {})",
            env.status().map_or("unknown", |s| s.as_str())
        ))
    })?;
    Ok((host, Some(env_id)))
}

/// The ARN of the environment's load balancer, which a VPC link V2 integration names as its
/// `integrationTarget`: `DescribeEnvironmentResources` reports an ALB's or NLB's ARN as its
/// name (a classic load balancer's plain name cannot be a target).
async fn load_balancer_arn(
    beanstalk: &aws_sdk_elasticbeanstalk::Client,
    op: &Op<'_>,
    env_id: &str,
) -> Result<String, AwsError> {
    let out = beanstalk
        .describe_environment_resources()
        .environment_id(env_id)
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk(
                super::beanstalk::ERRORS,
                op.resource(),
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
    let is_arn = |n: &&str| {
        n.starts_with("arn:aws")
            && (n.contains(":loadbalancer/app/") || n.contains(":loadbalancer/net/"))
    };
    names.iter().copied().find(is_arn).map(str::to_owned).ok_or_else(|| {
        op.invalid(&format!(
            "the backend environment {env_id} has no Application or Network Load Balancer for the VPC link to reach (DescribeEnvironmentResources reports {names:?})"
        ))
    })
}

/// PutIntegration creates or replaces the integration of the proxy method.
pub(super) async fn put_integration(
    client: &aws_sdk_apigateway::Client,
    beanstalk: &aws_sdk_elasticbeanstalk::Client,
    op: &Op<'_>,
    a: &ApiIntegrationAttrs,
) -> Result<String, AwsError> {
    let res = op.resource();
    let api = op.ids.id(&a.api)?;
    let (resource, (host, env_id)) = tokio::try_join!(
        proxy_resource(client, &res, &api),
        target_host(beanstalk, op, a)
    )?;
    let mut put = client
        .put_integration()
        .rest_api_id(&api)
        .resource_id(&resource)
        .http_method(METHOD)
        .r#type(AwsIntegrationType::HttpProxy)
        .integration_http_method(METHOD)
        .uri(format!("http://{host}/{{proxy}}"))
        .request_parameters(
            "integration.request.path.proxy",
            "method.request.path.proxy",
        )
        .timeout_in_millis(as_i32(a.timeout_ms));
    if a.path_as_requested {
        put = put
            .request_templates(TEMPLATE_CONTENT_TYPE, PATH_AS_REQUESTED)
            .passthrough_behavior("WHEN_NO_MATCH");
    }
    match a.integration_type {
        IntegrationType::HttpProxy => put = put.connection_type(ConnectionType::Internet),
        IntegrationType::VpcLink => {
            let link = a
                .vpc_link_id
                .as_ref()
                .ok_or_else(|| op.invalid("integration through a VPC link names no vpc_link_id"))?;
            let env_id = env_id.ok_or_else(|| {
                op.invalid("a VPC link integration needs the backend environment provision manages (its load balancer ARN)")
            })?;
            put = put
                .connection_type(ConnectionType::VpcLink)
                .connection_id(op.ids.id(link)?)
                .integration_target(load_balancer_arn(beanstalk, op, &env_id).await?);
        }
    }
    put.send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "PutIntegration", e))?;
    Ok(integration_id(&api, &resource))
}

/// A new deployment of the API's current definition, on the stage (created if missing), and
/// the stage's tags saying which definition that is.
pub(super) async fn deploy(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
    api: &str,
    stage: &str,
    hash: &str,
) -> Result<(), AwsError> {
    let res = op.resource();
    client
        .create_deployment()
        .rest_api_id(api)
        .stage_name(stage)
        .description(format!("provision: definition {hash}"))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "CreateDeployment", e))?;
    let mut tags = aws_tags(&op.tags());
    tags.insert(TAG_DEFINITION_HASH.into(), hash.to_owned());
    let arn = stage_arn(client, api, stage);
    wait::through_not_found(|| async {
        client
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(tags.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "TagResource", e))
    })
    .await
}

/// `{api}/{stage}` -> (api, stage).
pub(super) fn split_stage<'a>(op: &Op<'_>, id: &'a str) -> Result<(&'a str, &'a str), AwsError> {
    id.split_once('/')
        .ok_or_else(|| op.invalid(&format!("`{id}` is not a stage id ({{api}}/{{stage}})")))
}

pub(super) async fn update_api(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
    b: &RestApiAttrs,
    a: &RestApiAttrs,
) -> Result<(), AwsError> {
    let res = op.resource();
    let id = op.id();
    let mut ops = Vec::new();
    if a.name != b.name {
        ops.push(replace("/name", &a.name));
    }
    if a.description != b.description {
        ops.push(replace("/description", &a.description));
    }
    if a.endpoint_type != b.endpoint_type {
        ops.push(replace(
            &format!(
                "/endpointConfiguration/types/{}",
                endpoint_type_str(b.endpoint_type)
            ),
            endpoint_type_str(a.endpoint_type),
        ));
    }
    if !ops.is_empty() {
        client
            .update_rest_api()
            .rest_api_id(id)
            .set_patch_operations(Some(ops))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "UpdateRestApi", e))?;
    }
    if a.api_key_required != b.api_key_required {
        ensure_proxy(client, &res, id, None, a.api_key_required).await?;
    }
    Ok(())
}

pub(super) async fn update_key(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
    b: &ApiKeyAttrs,
    a: &ApiKeyAttrs,
) -> Result<(), AwsError> {
    let res = op.resource();
    let id = op.id();
    let mut ops = Vec::new();
    if a.name != b.name {
        ops.push(replace("/name", &a.name));
    }
    if a.enabled != b.enabled {
        ops.push(replace("/enabled", &a.enabled.to_string()));
    }
    if ops.is_empty() {
        return Ok(());
    }
    // The response holds the key's value when asked for; it is dropped unread.
    quiet(
        client
            .update_api_key()
            .api_key(id)
            .set_patch_operations(Some(ops))
            .send(),
    )
    .await
    .map(|_| ())
    .map_err(|e| AwsError::from_sdk(ERRORS, &res, "UpdateApiKey", e))
}

pub(super) async fn update_plan(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
    b: &UsagePlanAttrs,
    a: &UsagePlanAttrs,
) -> Result<(), AwsError> {
    let res = op.resource();
    let id = op.id();
    let mut ops = Vec::new();
    if a.name != b.name {
        ops.push(replace("/name", &a.name));
    }
    if a.rate_limit != b.rate_limit {
        ops.push(replace("/throttle/rateLimit", &a.rate_limit.to_string()));
    }
    if a.burst_limit != b.burst_limit {
        ops.push(replace("/throttle/burstLimit", &a.burst_limit.to_string()));
    }
    if a.quota_per_day != b.quota_per_day {
        match a.quota_per_day {
            Some(q) => {
                ops.push(replace("/quota/limit", &q.to_string()));
                ops.push(replace("/quota/period", "DAY"));
            }
            None => ops.push(patch(PatchOp::Remove, "/quota", None)),
        }
    }
    if a.api != b.api || a.stage != b.stage {
        // The plan's current stages, fresh: the live attributes show at most one.
        let (api, stage) = plan_stage(op, a)?;
        let want = format!("{api}:{stage}");
        let current = client
            .get_usage_plan()
            .usage_plan_id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "GetUsagePlan", e))?;
        let have: Vec<String> = current
            .api_stages()
            .iter()
            .map(|s| {
                format!(
                    "{}:{}",
                    s.api_id().unwrap_or_default(),
                    s.stage().unwrap_or_default()
                )
            })
            .collect();
        if !have.contains(&want) {
            ops.push(patch(PatchOp::Add, "/apiStages", Some(&want)));
        }
        for s in have.iter().filter(|s| **s != want) {
            ops.push(patch(PatchOp::Remove, "/apiStages", Some(s)));
        }
    }
    if !ops.is_empty() {
        client
            .update_usage_plan()
            .usage_plan_id(id)
            .set_patch_operations(Some(ops))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "UpdateUsagePlan", e))?;
    }
    if a.api_key != b.api_key {
        let want = op.ids.id(&a.api_key)?;
        let have = key_ids(op, &b.api_key);
        if !have.contains(&want) {
            add_plan_key(client, &res, id, &want).await?;
        }
        for k in have.iter().filter(|k| **k != want) {
            remove_plan_key(client, &res, id, k).await?;
        }
    }
    Ok(())
}

/// The key ids a usage plan's live `api_key` stands for: one, or several joined (see `one_ref`).
fn key_ids(op: &Op<'_>, key: &Ref) -> Vec<String> {
    op.old
        .id(key)
        .map(|ids| {
            ids.split(',')
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

async fn remove_plan_key(
    client: &aws_sdk_apigateway::Client,
    res: &str,
    plan: &str,
    key: &str,
) -> Result<(), AwsError> {
    done_if(
        client
            .delete_usage_plan_key()
            .usage_plan_id(plan)
            .key_id(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ERRORS, res, "DeleteUsagePlanKey", e)),
        &[Gone],
    )
}

/// Sets and removes tags on the resource `arn`.
pub(super) async fn retag_arn(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
    arn: String,
    set: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let res = op.resource();
    // The definition hash is the stage's own business, never a spec tag.
    let remove: Vec<String> = remove
        .iter()
        .filter(|k| *k != TAG_DEFINITION_HASH)
        .cloned()
        .collect();
    if !set.is_empty() {
        client
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(aws_tags(set)))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "TagResource", e))?;
    }
    if !remove.is_empty() {
        client
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "UntagResource", e))?;
    }
    Ok(())
}

pub(super) async fn delete_plan(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
) -> Result<(), AwsError> {
    let (res, id) = (op.resource(), op.id());
    let plan = match client.get_usage_plan().usage_plan_id(id).send().await {
        Ok(p) => p,
        Err(e) => {
            let e = AwsError::from_sdk(ERRORS, &res, "GetUsagePlan", e);
            return if e.is_not_found() { Ok(()) } else { Err(e) };
        }
    };
    let before = match op.before()? {
        Attrs::UsagePlan(b) => key_ids(op, &b.api_key),
        _ => Vec::new(),
    };
    for k in before {
        remove_plan_key(client, &res, id, &k).await?;
    }
    // AWS refuses to delete a plan that still has stages.
    let ops: Vec<PatchOperation> = plan
        .api_stages()
        .iter()
        .map(|s| {
            let v = format!(
                "{}:{}",
                s.api_id().unwrap_or_default(),
                s.stage().unwrap_or_default()
            );
            patch(PatchOp::Remove, "/apiStages", Some(&v))
        })
        .collect();
    if !ops.is_empty() {
        done_if(
            client
                .update_usage_plan()
                .usage_plan_id(id)
                .set_patch_operations(Some(ops))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(ERRORS, &res, "UpdateUsagePlan", e)),
            &[Gone],
        )?;
    }
    done_if(
        client
            .delete_usage_plan()
            .usage_plan_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteUsagePlan", e)),
        &[Gone],
    )
}

pub(super) async fn delete_stage(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
) -> Result<(), AwsError> {
    let (res, id) = (op.resource(), op.id());
    let (api, stage) = split_stage(op, id)?;
    let r = client
        .delete_stage()
        .rest_api_id(api)
        .stage_name(stage)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteStage", e));
    match r {
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
        Ok(()) => prune_deployments(client, &res, api).await,
    }
}

pub(super) async fn delete_integration(
    client: &aws_sdk_apigateway::Client,
    op: &Op<'_>,
) -> Result<(), AwsError> {
    let id = op.id();
    let res = op.resource();
    let mut parts = id.splitn(3, '/');
    let (Some(api), Some(resource), Some(method)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(op.invalid(&format!(
            "`{id}` is not an integration id ({{api}}/{{resource}}/{{method}})"
        )));
    };
    done_if(
        client
            .delete_integration()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(method)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteIntegration", e)),
        &[Gone],
    )
}

/// Deployments no stage points to any more: what a deleted stage leaves behind.
async fn prune_deployments(
    client: &aws_sdk_apigateway::Client,
    res: &str,
    api: &str,
) -> Result<(), AwsError> {
    let stages = client
        .get_stages()
        .rest_api_id(api)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(ERRORS, res, "GetStages", e))?;
    let used: BTreeSet<&str> = stages
        .item()
        .iter()
        .filter_map(|s| s.deployment_id())
        .collect();
    let mut unused = Vec::new();
    let mut pages = client
        .get_deployments()
        .rest_api_id(api)
        .limit(500)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(|e| AwsError::from_sdk(ERRORS, res, "GetDeployments", e))?;
        unused.extend(
            p.items()
                .iter()
                .filter_map(|d| d.id())
                .filter(|d| !used.contains(d))
                .map(str::to_owned),
        );
    }
    for d in unused {
        let r = client
            .delete_deployment()
            .rest_api_id(api)
            .deployment_id(&d)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk(ERRORS, res, "DeleteDeployment", e));
        // A stage created meanwhile may point to it: leave it then.
        done_if(r, &[Gone, Busy])?;
    }
    Ok(())
}

/// API Gateway as a `Service`.
pub struct ApiGateway {
    pub(super) client: aws_sdk_apigateway::Client,
    /// Integrations target Beanstalk environments by their endpoint.
    pub(super) beanstalk: aws_sdk_elasticbeanstalk::Client,
    /// A stage's invoke URL names it.
    pub(super) region: String,
}

impl super::Service for ApiGateway {
    type Client = aws_sdk_apigateway::Client;
    type Raw = Raw;
    const ERRORS: ErrorTable = &[
        // A stage still points to the deployment (one created meanwhile).
        (Some("DeleteDeployment"), Is("BadRequestException"), Busy),
        (Some("DeleteDeployment"), Is("ConflictException"), Busy),
    ];

    fn new(aws: &super::Aws) -> Self {
        ApiGateway {
            client: aws.apigateway.clone(),
            beanstalk: aws.beanstalk.clone(),
            region: aws.region.clone(),
        }
    }

    async fn read(&self, claims: &Claims, tags: &TagIndex) -> Result<Raw, AwsError> {
        read(&self.client, claims, tags).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lose_scheme_path_and_port() {
        assert_eq!(host_of("http://a.example.com/{proxy}"), "a.example.com");
        assert_eq!(host_of("https://a.example.com:8080/x?y"), "a.example.com");
        assert_eq!(host_of("a.example.com"), "a.example.com");
        assert_eq!(host_of("10.0.0.1"), "10.0.0.1");
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn integration_tags_are_a_siblings_with_its_own_name_and_address() {
        let api = tags(&[
            ("Name", "agentpass-staging-api"),
            ("Project", "agentpass"),
            (TAG_ENV, "staging"),
            (TAG_STACK, "shared"),
            (TAG_ADDRESS, "shared.api"),
        ]);
        let stage = tags(&[
            ("Name", "agentpass-staging-backend-api_stage"),
            ("Project", "agentpass"),
            (TAG_ENV, "staging"),
            (TAG_STACK, "backend"),
            (TAG_ADDRESS, "backend.api_stage"),
        ]);
        for t in [
            integration_tags(&api, None),
            integration_tags(&api, Some(&stage)),
        ] {
            assert_eq!(t["Name"], "agentpass-staging-backend-api_integration");
            assert_eq!(t[TAG_STACK], "backend");
            assert_eq!(t[TAG_ADDRESS], "backend.api_integration");
            assert_eq!(t["Project"], "agentpass");
            assert_eq!(t[TAG_ENV], "staging");
        }
    }
}
