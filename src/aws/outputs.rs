//! The environment's URLs, as the seed lists them: the frontend (console Beanstalk CNAME), the
//! API Gateway invoke URL with its stage, and the backend, which is internal only.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Aws, AwsError};
use crate::model::{Address, Attrs, DesiredState, Kind, Stack};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outputs {
    /// `http://{console CNAME}`, or `https://` when the spec declares an HTTPS listener.
    pub frontend: Option<String>,
    /// `https://{api id}.execute-api.{region}.amazonaws.com/{stage}`.
    pub api: Option<String>,
    /// The same stage through a custom endpoint (LocalStack), when one is in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_via_endpoint: Option<String>,
    /// Never public: reached through API Gateway only. Its internal load balancer's name.
    /// The backend environment's hostname (its load balancer): reachable only inside the VPC.
    pub backend: Option<String>,
}

impl Aws {
    /// Reads the URLs of what `ids` (address -> physical id, from state or a read) names.
    pub async fn outputs(
        &self,
        env: &str,
        ids: &BTreeMap<Address, String>,
        endpoint_url: Option<&str>,
        frontend_https: bool,
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
                    AwsError::from_sdk(
                        super::beanstalk::ERRORS,
                        format!("outputs of {env}"),
                        "DescribeEnvironments",
                        e,
                    )
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
            .map(|c| format!("{}://{c}", if frontend_https { "https" } else { "http" }));
        let backend = lookup(Stack::Backend, Kind::BeanstalkEnv)
            .and_then(|(cname, endpoint)| endpoint.or(cname));
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

/// Whether the console's load balancer listens with HTTPS, as the spec declares it (the
/// `aws:elbv2:listener:443` options `https_certificate_arn` stands for, or set as raw settings):
/// without such a listener the frontend is plain HTTP, and printing `https://` would be wrong.
pub fn frontend_https(desired: &DesiredState) -> bool {
    let Some(r) = desired
        .resources
        .get(&Address::single(Stack::Console, Kind::BeanstalkEnv))
    else {
        return false;
    };
    let Attrs::BeanstalkEnv(env) = &r.attrs else {
        return false;
    };
    let Some(listener) = env.settings.get("aws:elbv2:listener:443") else {
        return false;
    };
    let is = |opt: &str, want: &str| {
        listener
            .get(opt)
            .is_some_and(|v| v.to_string().eq_ignore_ascii_case(want))
    };
    let has_certificate = listener
        .get("SSLCertificateArns")
        .is_some_and(|v| !v.to_string().is_empty());
    is("Protocol", "HTTPS") && has_certificate && !is("ListenerEnabled", "false")
}

impl Outputs {
    /// Which outputs a command scoped to `stacks` shows: the frontend is the console's, the
    /// backend's hostname the backend's, the API's URL the shared stack's API with the
    /// backend's stage.
    fn shown(stacks: &[Stack]) -> [bool; 3] {
        let has = |s| stacks.contains(&s);
        [
            has(Stack::Console),
            has(Stack::Shared) || has(Stack::Backend),
            has(Stack::Backend),
        ]
    }

    pub fn render(&self, stacks: &[Stack]) -> String {
        let [frontend, api, backend] = Self::shown(stacks);
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not deployed)".into());
        let mut out = String::new();
        if frontend {
            out.push_str(&format!("Frontend:    {}\n", show(&self.frontend)));
        }
        if api {
            out.push_str(&format!("API Gateway: {}\n", show(&self.api)));
            if let Some(e) = &self.api_via_endpoint {
                out.push_str(&format!("             {e} (this endpoint)\n"));
            }
        }
        if backend {
            out.push_str(&format!(
                "Backend:     {}\n",
                self.backend.as_ref().map_or_else(
                    || "internal only (not deployed)".into(),
                    |h| format!("internal only, via API Gateway ({h})")
                )
            ));
        }
        out
    }

    /// The JSON document of `outputs` (docs/json.md): one key per output in scope, `null`
    /// when not deployed.
    pub fn to_json(&self, env: &str, stacks: &[Stack]) -> serde_json::Value {
        let [frontend, api, backend] = Self::shown(stacks);
        let mut doc = serde_json::json!({ "format_version": 1, "env": env });
        if frontend {
            doc["frontend"] = serde_json::json!(
                self.frontend
                    .as_ref()
                    .map(|u| serde_json::json!({ "url": u }))
            );
        }
        if api {
            doc["api"] = serde_json::json!(self.api.as_ref().map(|u| {
                let mut api = serde_json::json!({ "url": u });
                if let Some(e) = &self.api_via_endpoint {
                    api["endpoint_url"] = e.clone().into();
                }
                api
            }));
        }
        if backend {
            doc["backend"] = serde_json::json!(
                self.backend
                    .as_ref()
                    .map(|h| { serde_json::json!({ "hostname": h, "internal": true }) })
            );
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staging(edit: Option<(&str, &str)>) -> DesiredState {
        let loaded = load(edit).expect("staging validates");
        crate::spec::desired::build(&loaded.spec)
    }

    fn load(edit: Option<(&str, &str)>) -> Result<crate::spec::Loaded, String> {
        let dir = tempfile::tempdir().unwrap();
        for f in ["base.toml", "staging.toml", "production.toml"] {
            let mut text = std::fs::read_to_string(std::path::Path::new("specs").join(f)).unwrap();
            if let Some((from, to)) = edit.filter(|_| f == "staging.toml") {
                assert!(text.contains(from));
                text = text.replacen(from, to, 1);
            }
            std::fs::write(dir.path().join(f), text).unwrap();
        }
        crate::spec::load_one(dir.path(), "staging").map_err(|e| e.to_string())
    }

    #[test]
    fn the_frontend_is_https_only_with_a_declared_listener() {
        assert!(!frontend_https(&staging(None)));
        let arn = "arn:aws:acm:us-east-2:123456789012:certificate/abc";
        let with = format!("[console.beanstalk]\nhttps_certificate_arn = \"{arn}\"\n");
        assert!(frontend_https(&staging(Some((
            "[console.beanstalk]\n",
            &with
        )))));
    }
}
