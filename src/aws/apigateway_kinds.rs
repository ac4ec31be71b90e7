//! The API Gateway kinds' steps ([`AwsKind`]): REST API, API key, integration, stage and usage
//! plan, over the calls in `apigateway`. Tags go on each one's ARN; an integration has none
//! (it answers with its REST API's).

use std::collections::{BTreeMap, BTreeSet};

use super::apigateway::{
    self, ApiGateway, ERRORS, arn, split_stage, stage_arn, stage_id, tags_found, tags_of,
};
use super::kind::{AwsKind, mismatch};
use super::wait;
use super::{AwsError, ErrorClass::Gone, Op, done_if};
use crate::model::{Address, Attrs, Tags};

/// (API id, the rest) of a composite id: `{api}/{stage}` or `{api}/{resource}/{method}`.
fn api_of(id: &str) -> (&str, &str) {
    id.split_once('/').unwrap_or((id, ""))
}

/// Its REST API's tags, read by the API's id (the first part of `id`).
async fn api_tags(s: &ApiGateway, res: &str, id: &str) -> Result<Option<Tags>, AwsError> {
    let (api, _) = api_of(id);
    let found = match s.client.get_rest_api().rest_api_id(api).send().await {
        Ok(a) => Ok((tags_of(a.tags()), format!("/restapis/{api}"))),
        Err(e) => Err(AwsError::from_sdk(ERRORS, res, "GetRestApi", e)),
    };
    tags_found(&s.client, res, found).await
}

/// GetRestApi's own answer for an id it does not hold (the API's, for an integration).
async fn api_not_found(s: &ApiGateway, address: &Address, id: &str) -> Option<AwsError> {
    let (api, _) = api_of(id);
    super::service::refused!(
        ERRORS,
        &address.to_string(),
        "GetRestApi",
        s.client.get_rest_api().rest_api_id(api)
    )
}

/// An API Gateway kind read by one Get call and tagged at its own ARN, `{path}/{id}` (an API
/// key, a usage plan): its tags read by id, retag and AWS's "not found" written once here;
/// each gives its create, update and delete.
macro_rules! tagged_at {
    ($kind:ty, $op:literal: $get:ident($by:ident), $path:literal; $($steps:tt)*) => {
        impl AwsKind for $kind {
            type Service = ApiGateway;

            async fn tags_now(s: &ApiGateway, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
                let (res, id) = (op.resource(), op.id());
                let found = match s.client.$get().$by(id).send().await {
                    Ok(k) => Ok((tags_of(k.tags()), format!(concat!($path, "/{}"), id))),
                    Err(e) => Err(AwsError::from_sdk(ERRORS, &res, $op, e)),
                };
                tags_found(&s.client, &res, found).await
            }

            async fn retag(
                s: &ApiGateway,
                op: &Op<'_>,
                set: &BTreeMap<String, String>,
                remove: &BTreeSet<String>,
            ) -> Result<(), AwsError> {
                let arn = arn(&s.client, &format!(concat!($path, "/{}"), op.id()));
                apigateway::retag_arn(&s.client, op, arn, set, remove).await
            }

            async fn not_found(s: &ApiGateway, address: &Address, id: &str) -> Option<AwsError> {
                super::service::refused!(ERRORS, &address.to_string(), $op, s.client.$get().$by(id))
            }

            $($steps)*
        }
    };
}

impl AwsKind for crate::kinds::rest_api::RestApi {
    type Service = ApiGateway;

    async fn tags_now(s: &ApiGateway, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        api_tags(s, &op.resource(), op.id()).await
    }

    async fn create(s: &ApiGateway, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::RestApi(a) = op.after()? else {
            return Err(mismatch(op));
        };
        apigateway::create_api(&s.client, op, a).await
    }

    async fn update(s: &ApiGateway, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::RestApi(b), Attrs::RestApi(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        apigateway::update_api(&s.client, op, b, a).await
    }

    async fn retag(
        s: &ApiGateway,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let arn = arn(&s.client, &format!("/restapis/{}", op.id()));
        apigateway::retag_arn(&s.client, op, arn, set, remove).await
    }

    async fn delete(s: &ApiGateway, op: &Op<'_>) -> Result<(), AwsError> {
        let (res, id) = (op.resource(), op.id());
        let r = wait::through_throttling(|| async {
            s.client
                .delete_rest_api()
                .rest_api_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk(ERRORS, &res, "DeleteRestApi", e))
        })
        .await;
        done_if(r, &[Gone])
    }

    async fn not_found(s: &ApiGateway, address: &Address, id: &str) -> Option<AwsError> {
        api_not_found(s, address, id).await
    }
}

tagged_at! {
    crate::kinds::api_key::ApiKey,
    "GetApiKey": get_api_key(api_key), "/apikeys";

    async fn create(s: &ApiGateway, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::ApiKey(a) = op.after()? else {
            return Err(mismatch(op));
        };
        apigateway::create_key(&s.client, op, a).await
    }

    async fn update(s: &ApiGateway, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::ApiKey(b), Attrs::ApiKey(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        apigateway::update_key(&s.client, op, b, a).await
    }

    async fn delete(s: &ApiGateway, op: &Op<'_>) -> Result<(), AwsError> {
        let r = s.client.delete_api_key().api_key(op.id()).send().await;
        done_if(
            r.map(|_| ())
                .map_err(|e| AwsError::from_sdk(ERRORS, op.resource(), "DeleteApiKey", e)),
            &[Gone],
        )
    }
}

impl AwsKind for crate::kinds::api_integration::ApiIntegration {
    type Service = ApiGateway;

    /// No tags of its own: its API's (`{api}/{resource}/{method}`).
    async fn tags_now(s: &ApiGateway, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        api_tags(s, &op.resource(), op.id()).await
    }

    async fn create(s: &ApiGateway, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::ApiIntegration(a) = op.after()? else {
            return Err(mismatch(op));
        };
        apigateway::put_integration(&s.client, &s.beanstalk, op, a).await
    }

    async fn update(s: &ApiGateway, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::ApiIntegration(_), Attrs::ApiIntegration(a)) = (op.before()?, op.after()?)
        else {
            return Err(mismatch(op));
        };
        apigateway::put_integration(&s.client, &s.beanstalk, op, a)
            .await
            .map(|_| ())
    }

    /// Integrations carry no tags of their own: theirs are their API's.
    async fn retag(
        _s: &ApiGateway,
        _op: &Op<'_>,
        _set: &BTreeMap<String, String>,
        _remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        Ok(())
    }

    async fn delete(s: &ApiGateway, op: &Op<'_>) -> Result<(), AwsError> {
        apigateway::delete_integration(&s.client, op).await
    }

    async fn not_found(s: &ApiGateway, address: &Address, id: &str) -> Option<AwsError> {
        api_not_found(s, address, id).await
    }
}

impl AwsKind for crate::kinds::api_stage::ApiStage {
    type Service = ApiGateway;

    async fn tags_now(s: &ApiGateway, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        let res = op.resource();
        let (api, stage) = api_of(op.id());
        let r = s
            .client
            .get_stage()
            .rest_api_id(api)
            .stage_name(stage)
            .send()
            .await;
        let found = match r {
            Ok(st) => Ok((
                tags_of(st.tags()),
                format!("/restapis/{api}/stages/{stage}"),
            )),
            Err(e) => Err(AwsError::from_sdk(ERRORS, &res, "GetStage", e)),
        };
        tags_found(&s.client, &res, found).await
    }

    async fn create(s: &ApiGateway, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::ApiStage(a) = op.after()? else {
            return Err(mismatch(op));
        };
        let api = op.ids.id(&a.api)?;
        apigateway::deploy(&s.client, op, &api, &a.stage_name, &a.definition_hash).await?;
        Ok(stage_id(&api, &a.stage_name))
    }

    async fn update(s: &ApiGateway, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::ApiStage(b), Attrs::ApiStage(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        // The planner asks for a deployment when the definition or the integration changed.
        if a.definition_hash == b.definition_hash && !op.change.redeploys() {
            return Ok(());
        }
        let (api, stage) = split_stage(op, op.id())?;
        apigateway::deploy(&s.client, op, api, stage, &a.definition_hash).await
    }

    async fn retag(
        s: &ApiGateway,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let (api, stage) = split_stage(op, op.id())?;
        let arn = stage_arn(&s.client, api, stage);
        apigateway::retag_arn(&s.client, op, arn, set, remove).await
    }

    async fn delete(s: &ApiGateway, op: &Op<'_>) -> Result<(), AwsError> {
        apigateway::delete_stage(&s.client, op).await
    }

    async fn not_found(s: &ApiGateway, address: &Address, id: &str) -> Option<AwsError> {
        let (api, stage) = api_of(id);
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "GetStage",
            s.client.get_stage().rest_api_id(api).stage_name(stage)
        )
    }

    /// Its invoke URL, formed from its id (`{api id}/{stage name}`, `stage_id`).
    async fn exports(
        s: &ApiGateway,
        _address: &Address,
        id: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        Ok(id
            .split_once('/')
            .map(|(api, stage)| {
                BTreeMap::from([(
                    "invoke_url".to_owned(),
                    crate::plan::references::invoke_url(api, &s.region, stage),
                )])
            })
            .unwrap_or_default())
    }
}

tagged_at! {
    crate::kinds::usage_plan::UsagePlan,
    "GetUsagePlan": get_usage_plan(usage_plan_id), "/usageplans";

    async fn create(s: &ApiGateway, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::UsagePlan(a) = op.after()? else {
            return Err(mismatch(op));
        };
        apigateway::create_plan(&s.client, op, a).await
    }

    async fn update(s: &ApiGateway, op: &Op<'_>) -> Result<(), AwsError> {
        let (Attrs::UsagePlan(b), Attrs::UsagePlan(a)) = (op.before()?, op.after()?) else {
            return Err(mismatch(op));
        };
        apigateway::update_plan(&s.client, op, b, a).await
    }

    async fn delete(s: &ApiGateway, op: &Op<'_>) -> Result<(), AwsError> {
        apigateway::delete_plan(&s.client, op).await
    }
}
