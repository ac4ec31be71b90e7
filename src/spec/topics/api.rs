//! The API topic: the REST API, its key, the integration with the backend, the stage that
//! serves it and the usage plan that throttles it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::*;
use crate::spec::desired::{Builder, addr, hex};
use crate::spec::layer::S;
use crate::spec::resolve::Pair;
use crate::spec::validate::Cx;

// ---- TOML layer ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiLayer {
    pub name: Option<S<String>>,
    pub description: Option<S<String>>,
    pub endpoint_type: Option<S<String>>,
    pub api_key_required: Option<S<bool>>,
    pub api_key_name: Option<S<String>>,
    pub integration: Option<S<String>>,
    pub vpc_link_id: Option<S<String>>,
    pub timeout_ms: Option<S<i64>>,
    pub rate_limit: Option<S<i64>>,
    pub burst_limit: Option<S<i64>>,
    pub quota_per_day: Option<S<i64>>,
}

// ---- validated spec --------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct ApiSpec {
    pub name: String,
    pub description: String,
    pub endpoint_type: EndpointType,
    pub api_key_required: bool,
    pub api_key_name: String,
    pub integration: IntegrationType,
    pub vpc_link_id: Option<String>,
    pub timeout_ms: u32,
    pub rate_limit: u32,
    pub burst_limit: u32,
    pub quota_per_day: Option<u32>,
}

// ---- lowering --------------------------------------------------------------------------------

pub(in crate::spec) fn lower(cx: &mut Cx, api: &Pair<'_, ApiLayer>) -> ApiSpec {
    let name_at = api.req(&mut cx.d, "name", |a| a.name.as_ref());
    let name = cx.template(&name_at);
    cx.remember(&name_at);
    let description = api
        .opt("description", |a| a.description.as_ref())
        .map(|d| cx.template(&d))
        .unwrap_or_default();
    let endpoint_type = api
        .opt("endpoint_type", |a| a.endpoint_type.as_ref())
        .and_then(|at| {
            cx.choice(
                &at,
                &[
                    ("REGIONAL", EndpointType::Regional),
                    ("EDGE", EndpointType::Edge),
                    ("PRIVATE", EndpointType::Private),
                ],
            )
        })
        .unwrap_or(EndpointType::Regional);
    let key_at = api.req(&mut cx.d, "api_key_name", |a| a.api_key_name.as_ref());
    let api_key_name = cx.template(&key_at);
    cx.origins
        .insert(key_at.field.clone(), key_at.origin.clone());
    let integration_at = api.req(&mut cx.d, "integration", |a| a.integration.as_ref());
    let integration = cx
        .choice(
            &integration_at,
            &[
                ("http_proxy", IntegrationType::HttpProxy),
                ("vpc_link", IntegrationType::VpcLink),
            ],
        )
        .unwrap_or(IntegrationType::HttpProxy);
    let vpc_link_id = api.opt("vpc_link_id", |a| a.vpc_link_id.as_ref());
    match (integration, &vpc_link_id) {
        (IntegrationType::VpcLink, None) => {
            cx.d.push(integration_at.diag("`vpc_link` needs `vpc_link_id`"))
        }
        (IntegrationType::HttpProxy, Some(v)) => {
            cx.d.push(v.diag("`vpc_link_id` only applies to integration = \"vpc_link\""))
        }
        _ => {}
    }
    let int = |cx: &mut Cx,
               name: &str,
               get: fn(&ApiLayer) -> Option<&S<i64>>,
               lo: i64,
               hi: i64,
               default: u32| {
        api.opt(name, get)
            .map_or(default, |at| cx.int(&at, lo, hi, ""))
    };
    let timeout_ms = int(
        cx,
        "timeout_ms",
        |a| a.timeout_ms.as_ref(),
        50,
        29_000,
        29_000,
    );
    let rate_limit = int(cx, "rate_limit", |a| a.rate_limit.as_ref(), 1, 10_000, 100);
    let burst_limit = int(cx, "burst_limit", |a| a.burst_limit.as_ref(), 1, 5_000, 200);
    let quota_per_day = api
        .opt("quota_per_day", |a| a.quota_per_day.as_ref())
        .map(|at| cx.int(&at, 1, i64::from(u32::MAX), ""));
    ApiSpec {
        name,
        description,
        endpoint_type,
        api_key_required: api
            .opt("api_key_required", |a| a.api_key_required.as_ref())
            .is_none_or(|v| v.value),
        api_key_name,
        integration,
        vpc_link_id: vpc_link_id.map(|v| v.value),
        timeout_ms,
        rate_limit,
        burst_limit,
        quota_per_day,
    }
}

// ---- desired state ---------------------------------------------------------------------------

pub(in crate::spec) fn desire(b: &mut Builder<'_>, api: &ApiSpec) {
    let api_ref = Ref::Managed(addr(Stack::Shared, Kind::RestApi));
    let rest = RestApiAttrs {
        name: api.name.clone(),
        description: api.description.clone(),
        endpoint_type: api.endpoint_type,
        api_key_required: api.api_key_required,
    };
    let integration = ApiIntegrationAttrs {
        api: api_ref.clone(),
        integration_type: api.integration,
        target: Ref::Managed(addr(Stack::Backend, Kind::BeanstalkEnv)),
        vpc_link_id: api.vpc_link_id.clone(),
        timeout_ms: api.timeout_ms,
    };
    let definition_hash = definition_hash(&rest, &integration);
    b.add(addr(Stack::Shared, Kind::RestApi), Attrs::RestApi(rest));
    b.add(
        addr(Stack::Shared, Kind::ApiKey),
        Attrs::ApiKey(ApiKeyAttrs {
            name: api.api_key_name.clone(),
            enabled: true,
        }),
    );
    let integration_addr = addr(Stack::Backend, Kind::ApiIntegration);
    b.add(integration_addr.clone(), Attrs::ApiIntegration(integration));
    b.add(
        addr(Stack::Backend, Kind::ApiStage),
        Attrs::ApiStage(ApiStageAttrs {
            api: api_ref.clone(),
            stage_name: b.spec.env.clone(),
            definition_hash,
        }),
    )
    // A deployment snapshots the integration, so it must exist first.
    .extra_deps
    .insert(integration_addr);
    b.add(
        addr(Stack::Backend, Kind::UsagePlan),
        Attrs::UsagePlan(UsagePlanAttrs {
            name: format!("{}-{}", api.name, "usage"),
            api: api_ref,
            stage: Ref::Managed(addr(Stack::Backend, Kind::ApiStage)),
            api_key: Ref::Managed(addr(Stack::Shared, Kind::ApiKey)),
            rate_limit: api.rate_limit,
            burst_limit: api.burst_limit,
            quota_per_day: api.quota_per_day,
        }),
    );
}

/// Hash of what a deployment of the API serves; a change means a new deployment.
pub fn definition_hash(rest: &RestApiAttrs, integration: &ApiIntegrationAttrs) -> String {
    let json = serde_json::to_vec(&(rest, integration)).expect("attributes serialise");
    hex(&Sha256::digest(json)[..8])
}
