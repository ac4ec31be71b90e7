//! Issue 19, items 1 and 2, end to end: the backend's database credentials come through
//! Beanstalk's environment secrets (no plain property holds a value AWS refuses), a property AWS
//! would refuse is refused before any call naming file and line, and the API's private
//! integration sends the backend the path the client asked for (`/health` for
//! `GET /staging/health`), as the emulator computes it from the stored configuration.

use std::collections::BTreeMap;

use crate::support::{Account, assert_ok, edit, text};
use aws_sdk_apigateway::types::{ConnectionType, IntegrationType};

const PROPERTIES: &str = "aws:elasticbeanstalk:application:environment";
const SECRETS: &str = "aws:elasticbeanstalk:application:environmentsecrets";
const BACKEND: &str = "agentpass-backend-staging";

/// One namespace's option settings of the backend environment, as Beanstalk holds them.
async fn settings(aws: &provision::aws::Aws, namespace: &str) -> BTreeMap<String, String> {
    let out = aws
        .beanstalk
        .describe_configuration_settings()
        .application_name(BACKEND)
        .environment_name(BACKEND)
        .send()
        .await
        .unwrap();
    out.configuration_settings()
        .iter()
        .flat_map(|c| c.option_settings())
        .filter(|s| s.namespace() == Some(namespace))
        .map(|s| {
            (
                s.option_name().unwrap_or_default().to_owned(),
                s.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// What the emulator says the integration sends the backend for `GET /{stage}{path}`.
fn forwarded(acct: &Account, api: &str, path: &str) -> String {
    let body = acct
        .http_get(&format!(
            "/_provision/apigateway/forwarded?api={api}&stage=staging&path={path}&account_id={}",
            acct.id
        ))
        .expect("the emulator answers the forwarded path");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    doc["path"].as_str().unwrap().to_owned()
}

#[test]
fn a_property_aws_refuses_is_refused_before_any_call() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    // The spec as it was: the secret's ARN as a plain property.
    edit(
        d,
        "base.toml",
        "DB_NAME = \"${backend.rds.db_name}\"\n",
        "DB_NAME = \"${backend.rds.db_name}\"\nDB_SECRET_ARN = \"${backend.rds.master_secret_arn}\"\n",
    );
    let spec = std::fs::read_to_string(d.join("specs/base.toml")).unwrap();
    let line = spec
        .lines()
        .position(|l| l.starts_with("DB_SECRET_ARN"))
        .unwrap()
        + 1;
    for command in ["validate", "plan"] {
        // Nothing listens there: an AWS call would fail otherwise than the spec does.
        let out = acct
            .command(d, &[command, "--env", "staging"])
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let t = text(&out);
        assert!(
            t.contains(&format!("specs/base.toml:{line}:")),
            "{command}: file and line:\n{t}"
        );
        assert!(
            t.contains(&format!(
                "backend.beanstalk.settings.{PROPERTIES}.DB_SECRET_ARN"
            )),
            "{t}"
        );
        assert!(t.contains("always holds `!`"), "{t}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_come_from_secrets_and_the_backend_gets_the_path_asked_for() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply_stack(d, "staging", "shared"));
    assert_ok(&acct.apply_stack(d, "staging", "backend"));
    let aws = acct.aws().await;

    // Credentials: the RDS-managed secret's ARN with a JSON key, in the secrets namespace.
    let db = aws
        .rds
        .describe_db_instances()
        .db_instance_identifier("agentpass-staging")
        .send()
        .await
        .unwrap();
    let secret = db.db_instances()[0]
        .master_user_secret()
        .and_then(|s| s.secret_arn())
        .unwrap()
        .to_owned();
    assert!(secret.contains(":secret:rds!db-"), "{secret}");
    assert_eq!(
        settings(&aws, SECRETS).await,
        BTreeMap::from([
            ("DB_PASSWORD".to_owned(), format!("{secret}:password")),
            ("DB_USER".to_owned(), format!("{secret}:username")),
        ])
    );
    // No plain property holds a value AWS refuses (letters, digits, white space and
    // `_ . : / = + \ - @ ' "` only), nor the secret's ARN.
    let properties = settings(&aws, PROPERTIES).await;
    assert_eq!(
        properties.keys().collect::<Vec<_>>(),
        ["DB_HOST", "DB_NAME", "DB_PORT", "NODE_ENV"]
    );
    for (name, value) in &properties {
        assert!(
            value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " \t_.:/=+\\-@'\"".contains(c)),
            "{name} = {value}"
        );
        assert!(!value.contains(&secret), "{name}");
    }

    // The path: `GET /staging/health` reaches the backend as `/health`.
    let api = aws.apigateway.get_rest_apis().send().await.unwrap().items()[0]
        .id()
        .unwrap()
        .to_owned();
    assert_eq!(forwarded(&acct, &api, "/health"), "/health");
    assert_eq!(forwarded(&acct, &api, "/v1/users/7"), "/v1/users/7");

    // The integration as provision made it before: no override, so the stage goes along.
    old_integration(&aws, &api).await;
    assert_eq!(forwarded(&acct, &api, "/health"), "/staging/health");
    let out = acct.plan(d, "staging", &["--stack", "backend"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("~ backend.api_integration"), "{t}");
    assert!(t.contains("path_as_requested"), "{t}");
    assert_ok(&acct.apply_stack(d, "staging", "backend"));
    assert_eq!(forwarded(&acct, &api, "/health"), "/health");
    let out = acct.plan(d, "staging", &["--stack", "backend"]);
    assert_eq!(out.status.code(), Some(0), "converged:\n{}", text(&out));
}

/// Puts back the integration as provision wrote it before issue 19: the same target and
/// mapping, without the mapping template that overrides the path.
async fn old_integration(aws: &provision::aws::Aws, api: &str) {
    let gw = &aws.apigateway;
    let resources = gw.get_resources().rest_api_id(api).send().await.unwrap();
    let proxy = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/{proxy+}"))
        .unwrap();
    let resource = proxy.id().unwrap();
    let now = gw
        .get_integration()
        .rest_api_id(api)
        .resource_id(resource)
        .http_method("ANY")
        .send()
        .await
        .unwrap();
    assert!(now.request_templates().is_some_and(|t| !t.is_empty()));
    gw.put_integration()
        .rest_api_id(api)
        .resource_id(resource)
        .http_method("ANY")
        .r#type(IntegrationType::HttpProxy)
        .integration_http_method("ANY")
        .uri(now.uri().unwrap())
        .request_parameters(
            "integration.request.path.proxy",
            "method.request.path.proxy",
        )
        .timeout_in_millis(now.timeout_in_millis())
        .connection_type(ConnectionType::VpcLink)
        .connection_id(now.connection_id().unwrap())
        .integration_target(now.integration_target().unwrap())
        .send()
        .await
        .unwrap();
    gw.create_deployment()
        .rest_api_id(api)
        .stage_name("staging")
        .send()
        .await
        .unwrap();
}
