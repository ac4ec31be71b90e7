//! The API topic: the REST API, its key, the integration with the backend, the stage that
//! serves it and the usage plan that throttles it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::*;
use crate::spec::desired::{Builder, addr, hex};
use crate::spec::desired::{group, subnet};
use crate::spec::layer::S;
use crate::spec::resolve::{At, Pair};
use crate::spec::topics::beanstalk::env_address;
use crate::spec::topics::network::subnet_refs;
use crate::spec::topics::security_groups::group_refs;
use crate::spec::validate::{Cx, Refs};

/// AWS's quota of subnets per VPC link V2 (adjustable; the HTTP API quotas page).
const MAX_LINK_SUBNETS: usize = 10;

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
    pub vpc_link_subnets: Option<S<Vec<S<String>>>>,
    pub vpc_link_security_groups: Option<S<Vec<S<String>>>>,
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
    /// A VPC link made outside provision.
    pub vpc_link_id: Option<String>,
    /// Where the backend stack's own VPC link puts its network interfaces (when no id is given).
    pub vpc_link_subnets: Vec<String>,
    pub vpc_link_security_groups: Vec<String>,
    pub timeout_ms: u32,
    pub rate_limit: u32,
    pub burst_limit: u32,
    pub quota_per_day: Option<u32>,
}

// ---- lowering --------------------------------------------------------------------------------

pub(in crate::spec) fn lower(cx: &mut Cx, api: &Pair<'_, ApiLayer>, refs: &Refs<'_>) -> ApiSpec {
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
    let (vpc_link_id, vpc_link_subnets, vpc_link_security_groups) =
        lower_link(cx, api, refs, integration, &integration_at);
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
        vpc_link_id,
        vpc_link_subnets,
        vpc_link_security_groups,
        timeout_ms,
        rate_limit,
        burst_limit,
        quota_per_day,
    }
}

/// The VPC link of a `vpc_link` integration: an id (made outside provision), or the subnets
/// and security groups of the backend stack's own link. An `http_proxy` integration has none.
fn lower_link(
    cx: &mut Cx,
    api: &Pair<'_, ApiLayer>,
    refs: &Refs<'_>,
    integration: IntegrationType,
    integration_at: &At<String>,
) -> (Option<String>, Vec<String>, Vec<String>) {
    let id = api.opt("vpc_link_id", |a| a.vpc_link_id.as_ref());
    let subnets_at = api.opt("vpc_link_subnets", |a| a.vpc_link_subnets.as_ref());
    let groups_at = api.opt("vpc_link_security_groups", |a| {
        a.vpc_link_security_groups.as_ref()
    });
    let subnets = subnets_at
        .as_ref()
        .map(|at| subnet_refs(cx, api, at, refs.network))
        .unwrap_or_default();
    let groups = groups_at
        .as_ref()
        .map(|at| group_refs(cx, api, at, refs.groups))
        .unwrap_or_default();
    match (integration, &id, &subnets_at) {
        (IntegrationType::HttpProxy, _, _) => {
            let message = "VPC link fields only apply to integration = \"vpc_link\"";
            let given = [
                id.as_ref().map(|v| v.diag(message)),
                subnets_at.as_ref().map(|v| v.diag(message)),
                groups_at.as_ref().map(|v| v.diag(message)),
            ];
            cx.d.extend(given.into_iter().flatten());
        }
        (IntegrationType::VpcLink, None, None) => cx.d.push(integration_at.diag(
            "`vpc_link` needs `vpc_link_subnets` (a link provision makes) or `vpc_link_id` (one made outside)",
        )),
        (IntegrationType::VpcLink, Some(v), Some(_)) => cx.d.push(v.diag(
            "give `vpc_link_id` or `vpc_link_subnets`, not both",
        )),
        (IntegrationType::VpcLink, None, Some(at)) if subnets.is_empty() => {
            cx.d.push(at.diag("a VPC link needs at least one subnet"))
        }
        (IntegrationType::VpcLink, None, Some(at)) if subnets.len() > MAX_LINK_SUBNETS => cx
            .d
            .push(at.diag(format!("a VPC link takes at most {MAX_LINK_SUBNETS} subnets"))),
        _ => {}
    }
    (id.map(|v| v.value), subnets, groups)
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
        target: Ref::Managed(env_address(Stack::Backend)),
        vpc_link_id: link_of(b, api),
        timeout_ms: api.timeout_ms,
        // Only a private integration adds the stage to the path it sends.
        path_as_requested: api.integration == IntegrationType::VpcLink,
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

/// The integration's VPC link: one made outside provision, or the backend stack's own (added
/// here), placed in the spec's subnets with its security groups.
fn link_of(b: &mut Builder<'_>, api: &ApiSpec) -> Option<Ref> {
    if api.integration != IntegrationType::VpcLink {
        return None;
    }
    if let Some(id) = &api.vpc_link_id {
        return Some(Ref::External(id.clone()));
    }
    let by_name = |names: &[String], to: fn(&str) -> Ref| {
        let mut refs: Vec<Ref> = names.iter().map(|n| to(n)).collect();
        refs.sort_by_key(ToString::to_string); // as the live read orders them
        refs
    };
    let link = VpcLinkAttrs {
        name: format!("{}-link", api.name),
        subnets: by_name(&api.vpc_link_subnets, subnet),
        security_groups: by_name(&api.vpc_link_security_groups, group),
    };
    let link_addr = addr(Stack::Backend, Kind::VpcLink);
    b.add(link_addr.clone(), Attrs::VpcLink(link));
    Some(Ref::Managed(link_addr))
}

/// Hash of what a deployment of the API serves; a change means a new deployment.
pub fn definition_hash(rest: &RestApiAttrs, integration: &ApiIntegrationAttrs) -> String {
    let json = serde_json::to_vec(&(rest, integration)).expect("attributes serialise");
    hex(&Sha256::digest(json)[..8])
}
