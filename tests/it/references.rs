//! Settings that read other resources (`${backend.rds.endpoint}`, the console's API URL),
//! against LocalStack: known after apply on the first plan, set from what AWS made, converged,
//! and following a replaced database's new endpoint in place.

use std::collections::BTreeMap;

use crate::support::output::calls;
use crate::support::{Account, assert_ok, edit, text};
use aws_sdk_elasticbeanstalk::Client;

const APP_ENV: &str = "aws:elasticbeanstalk:application:environment";
const SECRETS: &str = "aws:elasticbeanstalk:application:environmentsecrets";

/// The application's environment properties, as Beanstalk holds them.
async fn variables(eb: &Client, name: &str) -> BTreeMap<String, String> {
    settings_in(eb, name, APP_ENV).await
}

/// The option settings of one namespace, as Beanstalk holds them.
async fn settings_in(eb: &Client, name: &str, namespace: &str) -> BTreeMap<String, String> {
    let out = eb
        .describe_configuration_settings()
        .application_name(name)
        .environment_name(name)
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

/// (endpoint, port, secret ARN) of the instance, straight from RDS.
async fn database(aws: &provision::aws::Aws, identifier: &str) -> (String, String, String) {
    let out = aws
        .rds
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
        .unwrap();
    let db = &out.db_instances()[0];
    let endpoint = db
        .endpoint()
        .expect("an available instance has an endpoint");
    (
        endpoint.address().unwrap().to_owned(),
        endpoint.port().unwrap().to_string(),
        db.master_user_secret()
            .and_then(|s| s.secret_arn())
            .unwrap()
            .to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_read_their_resources_and_follow_a_replaced_database() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();

    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    for shown in [
        "DB_HOST  = (known after apply: ${backend.rds.endpoint})",
        "DB_PASSWORD = (known after apply: ${backend.rds.master_secret_arn}:password)",
        "API_URL = (known after apply: ${backend.api_stage.invoke_url})",
    ] {
        assert!(text(&out).contains(shown), "{shown}:\n{}", text(&out));
    }

    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);
    // Each environment is created beside what it reads, then its references are set.
    assert_eq!(
        calls(&out, "Elastic Beanstalk", "UpdateEnvironment"),
        2,
        "{}",
        text(&out)
    );
    let aws = acct.aws().await;
    let (host, port, secret) = database(&aws, "agentpass-staging").await;
    let backend = variables(&aws.beanstalk, "agentpass-backend-staging").await;
    let want = BTreeMap::from([
        ("DB_HOST".to_owned(), host.clone()),
        ("DB_NAME".to_owned(), "agentpass".to_owned()),
        ("DB_PORT".to_owned(), port),
        ("NODE_ENV".to_owned(), "production".to_owned()),
    ]);
    assert_eq!(backend, want);
    let secrets = settings_in(&aws.beanstalk, "agentpass-backend-staging", SECRETS).await;
    assert_eq!(
        secrets,
        BTreeMap::from([
            ("DB_PASSWORD".to_owned(), format!("{secret}:password")),
            ("DB_USER".to_owned(), format!("{secret}:username")),
        ])
    );
    let api = aws.apigateway.get_rest_apis().send().await.unwrap();
    let api_id = api.items()[0].id().unwrap().to_owned();
    let console = variables(&aws.beanstalk, "agentpass-console-staging").await;
    assert_eq!(
        console.get("API_URL").map(String::as_str),
        Some(format!("https://{api_id}.execute-api.us-east-2.amazonaws.com/staging").as_str())
    );
    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(0), "converged:\n{}", text(&out));

    // A new identifier replaces the database: its endpoint changes, and the backend's settings
    // follow it in place (the environment is updated, not replaced).
    edit(
        d,
        "base.toml",
        "identifier = \"{project}-{env}\"",
        "identifier = \"{project}-{env}-v2\"",
    );
    edit(
        d,
        "staging.toml",
        "apply_immediately = true",
        "apply_immediately = true\nallow_replace = true",
    );
    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("-/+ backend.rds"), "{shown}");
    assert!(shown.contains("~ backend.beanstalk"), "{shown}");
    assert!(
        shown.contains(&format!(
            "{host} -> (known after apply: ${{backend.rds.endpoint}})"
        )),
        "{shown}"
    );
    assert!(!shown.contains("API_URL"), "the API did not move:\n{shown}");

    let out = acct.apply(d, "staging", &[]);
    assert_ok(&out);
    let (new_host, _, new_secret) = database(&aws, "agentpass-staging-v2").await;
    assert_ne!(new_host, host);
    let backend = variables(&aws.beanstalk, "agentpass-backend-staging").await;
    assert_eq!(backend.get("DB_HOST"), Some(&new_host));
    let secrets = settings_in(&aws.beanstalk, "agentpass-backend-staging", SECRETS).await;
    assert_eq!(
        secrets.get("DB_PASSWORD"),
        Some(&format!("{new_secret}:password"))
    );
    let out = acct.plan(d, "staging", &[]);
    assert_eq!(out.status.code(), Some(0), "converged:\n{}", text(&out));
}
