//! The only place that talks to AWS. Everything above it works on plain data.

pub mod apigateway;
pub mod apigateway_kinds;
pub mod beanstalk;
pub mod bounded;
pub mod budgets;
pub mod cloudwatch;
pub mod dbrun;
pub mod ec2;
pub mod ec2_kinds;
pub mod ec2_read;
pub mod ec2_write;
pub mod errors;
pub mod iam;
pub mod ids;
pub mod import;
pub mod kind;
pub mod marker;
pub mod names;
pub mod outputs;
pub mod profile;
pub mod rds;
pub mod retry;
pub mod s3;
pub mod service;
pub mod sns;
pub mod stats;
pub mod tagging;
pub mod vpclink;
pub mod wait;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;

pub use errors::{AwsError, ErrorClass};
pub(crate) use errors::{done_if, sdk_err, unless_gone};
pub use ids::{Claims, Verdict};
use service::Service;
pub use service::ServiceId;
pub use stats::Stats;

use crate::model::{Address, Attrs, LiveState, Owner, Ref, Tags};
use crate::plan::Change;

/// Turns references into physical ids at apply time.
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    pub ids: &'a BTreeMap<Address, String>,
}

impl Resolver<'_> {
    pub fn id(&self, r: &Ref) -> Result<String, AwsError> {
        match r {
            Ref::Managed(a) => self.ids.get(a).cloned().ok_or_else(|| AwsError::Invalid {
                resource: a.to_string(),
                message: "has no physical id yet (it was not created)".into(),
            }),
            Ref::External(id) => Ok(id.clone()),
        }
    }
}

/// How to reach AWS: the standard chain, optionally pointed at another endpoint.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// E.g. LocalStack's `http://127.0.0.1:4566`; `None` honours `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    pub profile: Option<String>,
    pub region: String,
    /// Explicit access key id and secret (emulator accounts in tests); `None` uses the chain.
    pub credentials: Option<(String, String)>,
}

/// A resource service's client on the shared config: counted by `stats`, and never retrying a
/// create blindly (see [`retry`]).
macro_rules! service_client {
    ($sdk:ident, $config:expr, $stats:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($config)
                .interceptor($stats.interceptor())
                .interceptor(retry::NoBlindCreateRetries)
                .retry_classifier(retry::NoBlindCreateRetries)
                .build(),
        )
    };
}

/// The SDK crates whose trace-level logs the CLI caps: every registered service's, and S3's.
pub fn sdk_log_targets() -> Vec<&'static str> {
    ServiceId::ALL
        .iter()
        .map(|s| s.sdk_crate())
        .chain([
            service::crate_of::<aws_sdk_s3::Client>(),
            service::crate_of::<aws_sdk_resourcegroupstagging::Client>(),
        ])
        .collect()
}

/// Clients for every service, sharing one config and one call counter.
#[derive(Debug, Clone)]
pub struct Aws {
    pub ec2: aws_sdk_ec2::Client,
    pub s3: aws_sdk_s3::Client,
    pub rds: aws_sdk_rds::Client,
    pub beanstalk: aws_sdk_elasticbeanstalk::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub apigatewayv2: aws_sdk_apigatewayv2::Client,
    pub iam: aws_sdk_iam::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    /// The Resource Groups Tagging API: the read pass's tags in bulk ([`tagging`]).
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub budgets: aws_sdk_budgets::Client,
    /// Cost Explorer: whether the budget's tag keys are active cost allocation tags.
    pub costexplorer: aws_sdk_costexplorer::Client,
    /// The account a budget is made in, where nothing recorded names it.
    pub sts: aws_sdk_sts::Client,
    pub stats: Stats,
    pub region: String,
}

impl Aws {
    pub async fn connect(opts: &ConnectOptions) -> Aws {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new(opts.region.clone()))
            // Fail fast on an unreachable endpoint rather than hang through retries.
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(client) = plain_http_client(opts) {
            loader = loader.http_client(client);
        }
        // Throttling, 5xx and dropped connections are retried with jittered exponential backoff
        // (the SDK's standard mode); five attempts ride out bursts, AWS_MAX_ATTEMPTS overrides.
        let attempts = std::env::var("AWS_MAX_ATTEMPTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5);
        loader = loader
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(attempts));
        if let Some(profile) = &opts.profile {
            // The profile's own credentials, not the default chain's: that one would prefer
            // AWS_ACCESS_KEY_ID from the environment to the profile asked for by name.
            loader = loader.profile_name(profile).credentials_provider(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(profile)
                    .build(),
            );
        }
        if let Some((key, secret)) = &opts.credentials {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                key,
                secret,
                None,
                None,
                "provision-explicit",
            ));
        }
        let config = loader.load().await;
        let stats = Stats::default();
        let s3 = aws_sdk_s3::config::Builder::from(&config)
            .interceptor(stats.interceptor())
            // Path-style works everywhere, including emulators without wildcard DNS.
            .force_path_style(
                opts.endpoint_url.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some(),
            )
            .build();
        Aws {
            ec2: service_client!(aws_sdk_ec2, &config, &stats),
            s3: aws_sdk_s3::Client::from_conf(s3),
            rds: service_client!(aws_sdk_rds, &config, &stats),
            beanstalk: service_client!(aws_sdk_elasticbeanstalk, &config, &stats),
            apigateway: service_client!(aws_sdk_apigateway, &config, &stats),
            apigatewayv2: service_client!(aws_sdk_apigatewayv2, &config, &stats),
            iam: service_client!(aws_sdk_iam, &config, &stats),
            cloudwatch: service_client!(aws_sdk_cloudwatch, &config, &stats),
            sns: service_client!(aws_sdk_sns, &config, &stats),
            tagging: service_client!(aws_sdk_resourcegroupstagging, &config, &stats),
            budgets: service_client!(aws_sdk_budgets, &config, &stats),
            costexplorer: service_client!(aws_sdk_costexplorer, &config, &stats),
            sts: service_client!(aws_sdk_sts, &config, &stats),
            stats,
            region: opts.region.clone(),
        }
    }
}

/// The HTTP client for an endpoint every call goes to over plain `http://` (an emulator): the
/// SDK's own client, minus the system's root certificates, which it would otherwise read and
/// parse for every service client it builds although no call uses TLS (a sixth of a converged
/// plan's CPU in the tests' debug builds). `None`, and the SDK's default, whenever a call could
/// reach an `https://` endpoint ([`all_plain_http`]). Proxies are not consulted for such an
/// endpoint.
fn plain_http_client(
    opts: &ConnectOptions,
) -> Option<aws_smithy_runtime_api::client::http::SharedHttpClient> {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
    let vars: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k.starts_with("AWS_ENDPOINT_URL") || k.starts_with("AWS_IGNORE"))
        .collect();
    if !all_plain_http(opts.endpoint_url.as_deref(), &vars) {
        return None;
    }
    let context = TlsContext::builder()
        .with_trust_store(TrustStore::empty().with_native_roots(false))
        .build()
        .ok()?;
    Some(
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(context)
            .build_https(),
    )
}

/// Whether every call goes to a plain `http://` endpoint, given the one asked for on the
/// command line and the environment's `AWS_ENDPOINT_URL*` variables: not when none is given
/// (AWS itself), when it is `https://`, when a service has an endpoint of its own
/// (`AWS_ENDPOINT_URL_<SERVICE>`), or when configured endpoints are to be ignored.
fn all_plain_http(asked: Option<&str>, vars: &[(String, String)]) -> bool {
    let var = |name: &str| {
        vars.iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let url = match asked {
        Some(url) => url,
        None if var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some() => return false,
        None => match var("AWS_ENDPOINT_URL") {
            Some(url) => url,
            None => return false,
        },
    };
    let service_specific = vars.iter().any(|(k, _)| k.starts_with("AWS_ENDPOINT_URL_"));
    url.to_ascii_lowercase().starts_with("http://") && !service_specific
}

/// What the executor knows beyond the change itself.
#[derive(Debug, Clone)]
pub struct ApplyCtx {
    pub owner: Owner,
    /// What is provably this environment's (its tags, or the ids its state recorded): checked
    /// on the live object right before every change to an existing resource.
    pub claims: Claims,
    pub env: String,
    /// The user confirmed destroying a protected environment (`--confirm ENV`): deletion
    /// protection may be turned off, and a final snapshot is taken.
    pub confirmed_destroy: bool,
}

/// One step of a change, as the service modules receive it.
pub struct Op<'a> {
    pub address: &'a Address,
    pub change: &'a Change,
    /// Resolves `change.before`'s references: the ids the run started with.
    pub old: Resolver<'a>,
    /// Resolves `change.after`'s references: current ids, including this run's creates.
    pub ids: Resolver<'a>,
    pub ctx: &'a ApplyCtx,
}

impl Op<'_> {
    pub fn resource(&self) -> String {
        self.address.to_string()
    }

    pub fn before(&self) -> Result<&Attrs, AwsError> {
        self.change
            .before
            .as_ref()
            .ok_or_else(|| self.invalid("has no live attributes"))
    }

    pub fn after(&self) -> Result<&Attrs, AwsError> {
        self.change
            .after
            .as_ref()
            .ok_or_else(|| self.invalid("has no desired attributes"))
    }

    pub fn id(&self) -> &str {
        self.change.id.as_deref().unwrap_or_default()
    }

    pub fn tags(&self) -> Tags {
        self.change.tags.clone().unwrap_or_default()
    }

    pub fn invalid(&self, message: &str) -> AwsError {
        AwsError::Invalid {
            resource: self.resource(),
            message: message.to_owned(),
        }
    }
}

impl Aws {
    /// A read pass that knows no state: only what carries the owner's tags.
    pub async fn read(&self, owner: &Owner) -> Result<LiveState, AwsError> {
        self.read_claimed(&Claims::tags_only(owner.clone())).await
    }

    /// One read pass: every resource this environment owns, found by its ownership tags or by
    /// the ids its state recorded (see [`Claims`]). All services are read concurrently;
    /// references become addresses once every id is known.
    pub async fn read_claimed(&self, claims: &Claims) -> Result<LiveState, AwsError> {
        let tags = tagging::TagIndex::new(&self.tagging, &claims.owner);
        let reads = service::read_all(self, claims, &tags).await?;
        let tagged: Vec<(String, Tags)> = reads.iter().flat_map(|r| r.tagged()).collect();
        let mut ids = ids::collect(claims, tagged.iter().map(|(id, t)| (id.clone(), t)));
        for (alias, id) in reads.iter().flat_map(|r| r.aliases()) {
            ids.alias(&alias, &id);
        }
        let unmanaged = reads.iter().flat_map(|r| r.unmanaged(claims)).collect();
        let mut found = ids::Found::default();
        for r in reads {
            found.extend(r.normalise(claims, &ids));
        }
        found.prefer_recorded(claims);
        Ok(LiveState {
            resources: found.resources,
            unmanaged,
            duplicates: found.duplicates,
            exports: found.exports,
        })
    }

    /// Whether what AWS holds under the change's id now is this environment's: read right
    /// before an update or delete, so nothing that is not provably ours is ever changed.
    pub async fn presence(&self, op: &Op<'_>) -> Result<Presence, AwsError> {
        let (kind, id) = (op.address.kind, op.id());
        let tags = self.tags_now(op).await?;
        let Some(tags) = tags else {
            return Ok(Presence::Gone);
        };
        // An integration carries no tags: it is ours when its API is.
        let (kind, id) = match kind.describe().owned_through {
            Some(parent) => (parent, id.split('/').next().unwrap_or(id)),
            None => (kind, id),
        };
        Ok(match op.ctx.claims.verdict(id, kind, &tags) {
            Verdict::Ours(_) => Presence::Ours,
            Verdict::Foreign(owner) => {
                Presence::NotOurs(format!("it carries the ownership tags of {owner}"))
            }
            Verdict::Unproven if kind.id_is_name() => Presence::NotOurs(
                "it has the same name but not this environment's provision tags: made outside provision, or by another tool such as Terraform".into(),
            ),
            Verdict::Unproven => {
                Presence::NotOurs("it carries no provision tags of this environment".into())
            }
        })
    }
}

/// What AWS holds under a resource's recorded id, right before a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    Ours,
    Gone,
    /// Something is there that is not provably this environment's: why not.
    NotOurs(String),
}

#[cfg(test)]
mod plain_http_tests {
    use super::all_plain_http;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn only_an_endpoint_every_call_reaches_over_plain_http_skips_the_root_certificates() {
        let local = "http://127.0.0.1:4566";
        assert!(all_plain_http(Some(local), &[]));
        assert!(all_plain_http(None, &vars(&[("AWS_ENDPOINT_URL", local)])));
        assert!(all_plain_http(Some("HTTP://localhost:4566"), &[]));
        // AWS itself, or any https endpoint: the SDK's client with the system's roots.
        assert!(!all_plain_http(None, &[]));
        assert!(!all_plain_http(None, &vars(&[("AWS_ENDPOINT_URL", "")])));
        assert!(!all_plain_http(
            Some("https://ec2.us-east-2.amazonaws.com"),
            &[]
        ));
        let https = vars(&[("AWS_ENDPOINT_URL", "https://proxy.example")]);
        assert!(!all_plain_http(None, &https));
        // One service elsewhere, or configured endpoints ignored (the SDK then goes to AWS).
        let one_elsewhere = vars(&[
            ("AWS_ENDPOINT_URL", local),
            ("AWS_ENDPOINT_URL_S3", "https://s3.example"),
        ]);
        assert!(!all_plain_http(None, &one_elsewhere));
        assert!(!all_plain_http(Some(local), &one_elsewhere));
        let ignored = vars(&[
            ("AWS_ENDPOINT_URL", local),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        assert!(!all_plain_http(None, &ignored));
    }
}
