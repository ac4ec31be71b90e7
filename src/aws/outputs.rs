//! The environment's URLs, as the seed lists them: the frontend (console Beanstalk CNAME), the
//! API Gateway invoke URL with its stage, and the backend, which is internal only.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Aws, AwsError};
use crate::model::{Address, Kind, Stack};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outputs {
    /// `https://{console CNAME}`.
    pub frontend: Option<String>,
    /// `https://{api id}.execute-api.{region}.amazonaws.com/{stage}`.
    pub api: Option<String>,
    /// The same stage through a custom endpoint (LocalStack), when one is in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_via_endpoint: Option<String>,
    /// Never public: reached through API Gateway only. Its internal load balancer's name.
    pub backend: Option<String>,
}

impl Aws {
    /// Reads the URLs of what `ids` (address -> physical id, from state or a read) names.
    pub async fn outputs(
        &self,
        env: &str,
        ids: &BTreeMap<Address, String>,
        endpoint_url: Option<&str>,
    ) -> Result<Outputs, AwsError> {
        let id = |stack, kind| ids.get(&Address::single(stack, kind));
        let envs: Vec<String> = [
            id(Stack::Console, Kind::BeanstalkEnv),
            id(Stack::Backend, Kind::BeanstalkEnv),
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        let mut found = BTreeMap::new();
        if !envs.is_empty() {
            let out = self
                .beanstalk
                .describe_environments()
                .set_environment_ids(Some(envs))
                .include_deleted(false)
                .send()
                .await
                .map_err(|e| {
                    AwsError::from_sdk(format!("outputs of {env}"), "DescribeEnvironments", e)
                })?;
            for e in out.environments() {
                let key = e.environment_id().unwrap_or_default().to_owned();
                found.insert(
                    key,
                    (
                        e.cname().map(str::to_owned),
                        e.endpoint_url().map(str::to_owned),
                    ),
                );
            }
        }
        let lookup = |stack, kind| id(stack, kind).and_then(|i| found.get(i)).cloned();
        let frontend = lookup(Stack::Console, Kind::BeanstalkEnv)
            .and_then(|(cname, _)| cname)
            .map(|c| format!("https://{c}"));
        let backend = lookup(Stack::Backend, Kind::BeanstalkEnv)
            .and_then(|(cname, endpoint)| endpoint.or(cname))
            .map(|e| format!("internal only, via API Gateway ({e})"));
        let (api, api_via_endpoint) = match id(Stack::Shared, Kind::RestApi) {
            Some(api) if ids.contains_key(&Address::single(Stack::Backend, Kind::ApiStage)) => (
                Some(format!(
                    "https://{api}.execute-api.{}.amazonaws.com/{env}",
                    self.region
                )),
                endpoint_url.map(|e| {
                    format!(
                        "{}/restapis/{api}/{env}/_user_request_/",
                        e.trim_end_matches('/')
                    )
                }),
            ),
            _ => (None, None),
        };
        Ok(Outputs {
            frontend,
            api,
            api_via_endpoint,
            backend,
        })
    }
}

impl Outputs {
    pub fn render(&self) -> String {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not deployed)".into());
        let mut out = format!(
            "Frontend:    {}\nAPI Gateway: {}\n",
            show(&self.frontend),
            show(&self.api)
        );
        if let Some(e) = &self.api_via_endpoint {
            out.push_str(&format!("             {e} (this endpoint)\n"));
        }
        out.push_str(&format!(
            "Backend:     {}\n",
            self.backend
                .clone()
                .unwrap_or_else(|| "internal only (not deployed)".into())
        ));
        out
    }
}
