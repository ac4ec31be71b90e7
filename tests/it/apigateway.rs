//! API Gateway end to end against LocalStack: the REST API and key in `shared`, the
//! integration, stage and usage plan in `backend`; redeploys on a changed definition; the key's
//! value never shown or stored. Each test runs in its own LocalStack account.

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Output;
use std::time::Duration;

use crate::support::{Account, assert_ok, ok, text};
use provision::aws::Aws;
use provision::model::{Attrs, TAG_ADDRESS, TAG_ENV, TAG_STACK};

/// Calls of one API Gateway operation in a `--stats` report.
fn calls(out: &Output, op: &str) -> u64 {
    // A report without the header is no --stats report: say so rather than count 0.
    support::output::totals(out);
    support::output::calls(out, "API Gateway", op)
}

/// Mutating API Gateway calls in a `--stats` report (other services' resources in the same
/// stacks belong to their own modules' tests).
fn apigateway_mutating(out: &Output) -> u64 {
    support::output::calls_where(out, "API Gateway", |op| !op.starts_with("Get"))
}

/// The HTTP status of `GET path` on `acct`'s emulator, with an `x-api-key` header if given.
fn status(acct: &Account, path: &str, key: Option<&str>) -> u16 {
    let url = &acct.endpoint;
    let host = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connect to LocalStack");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let key = key.map_or_else(String::new, |k| format!("x-api-key: {k}\r\n"));
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n{key}\r\n").unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {response:?}"))
}

/// The account's REST APIs carrying staging's tags.
async fn staging_apis(aws: &Aws) -> Vec<aws_sdk_apigateway::types::RestApi> {
    let apis = aws.apigateway.get_rest_apis().send().await.unwrap();
    apis.items()
        .iter()
        .filter(|a| {
            a.tags()
                .and_then(|t| t.get(TAG_ENV))
                .is_some_and(|e| e == "staging")
        })
        .cloned()
        .collect()
}

/// The `{proxy+}` resource of an API.
async fn proxy(aws: &Aws, api: &str) -> aws_sdk_apigateway::types::Resource {
    let resources = aws
        .apigateway
        .get_resources()
        .rest_api_id(api)
        .embed("methods")
        .send()
        .await
        .unwrap();
    resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/{proxy+}"))
        .cloned()
        .unwrap_or_else(|| panic!("no /{{proxy+}} in {:#?}", resources.items()))
}

/// The key's value, read here only to prove it appears nowhere else.
async fn key_value(aws: &Aws, id: &str) -> String {
    let key = aws
        .apigateway
        .get_api_key()
        .api_key(id)
        .include_value(true)
        .send()
        .await
        .unwrap();
    let value = key.value().unwrap().to_owned();
    assert!(value.len() >= 20, "a real key value");
    value
}

#[track_caller]
fn assert_no_value(value: &str, outputs: &[String]) {
    for o in outputs {
        assert!(!o.contains(value), "the API key's value leaked into:\n{o}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_stack_creates_the_api_and_key_and_never_shows_the_value() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let mut outputs = Vec::new();

    let out = ok(acct.apply_stack(d, "staging", "shared"));
    outputs.push(text(&out));
    assert_eq!(calls(&out, "CreateRestApi"), 1, "{}", text(&out));
    assert_eq!(calls(&out, "CreateApiKey"), 1, "{}", text(&out));

    let aws = acct.aws().await;
    let apis = staging_apis(&aws).await;
    assert_eq!(apis.len(), 1, "{apis:#?}");
    let api = &apis[0];
    assert_eq!(api.name(), Some("agentpass-api-staging"));
    assert_eq!(api.description(), Some("agentpass API (staging)"));
    assert_eq!(
        api.endpoint_configuration().unwrap().types(),
        &[aws_sdk_apigateway::types::EndpointType::Regional]
    );
    let tags = api.tags().unwrap();
    assert_eq!(tags[TAG_STACK], "shared");
    assert_eq!(tags[TAG_ADDRESS], "shared.api");
    assert_eq!(tags["Project"], "agentpass");
    let p = proxy(&aws, api.id().unwrap()).await;
    let method = &p.resource_methods().unwrap()["ANY"];
    assert_eq!(method.api_key_required(), Some(true));
    assert_eq!(method.authorization_type(), Some("NONE"));

    let keys = aws.apigateway.get_api_keys().send().await.unwrap();
    let key = keys
        .items()
        .iter()
        .find(|k| {
            k.tags()
                .and_then(|t| t.get(TAG_ADDRESS))
                .map(String::as_str)
                == Some("shared.api_key")
        })
        .expect("the staging key");
    assert_eq!(key.name(), Some("agentpass-staging-key"));
    assert!(key.enabled());
    let value = key_value(&aws, key.id().unwrap()).await;

    // provision's own view matches, with the key known by id only.
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let r = &live.resources[&"shared.api".parse().unwrap()];
    assert_eq!(r.id, api.id().unwrap());
    let Attrs::RestApi(a) = &r.attrs else {
        panic!()
    };
    assert!(a.api_key_required);
    assert_eq!(
        live.resources[&"shared.api_key".parse().unwrap()].id,
        key.id().unwrap()
    );

    // Converged: nothing to do, no mutating call.
    let plan = acct.plan(d, "staging", &["--stack", "shared"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    outputs.push(text(&plan));
    let again = ok(acct.apply_stack(d, "staging", "shared"));
    assert_eq!(apigateway_mutating(&again), 0, "{}", text(&again));
    outputs.push(text(&again));

    let state = acct.provision(
        d,
        &[
            "--format", "json", "state", "show", "--env", "staging", "--stack", "shared",
        ],
    );
    assert_ok(&state);
    assert!(text(&state).contains(key.id().unwrap()), "{}", text(&state));
    outputs.push(text(&state));
    let traced = acct.provision(
        d,
        &["-vvv", "plan", "--env", "staging", "--stack", "shared"],
    );
    outputs.push(text(&traced));
    outputs.extend(acct.state_objects(&aws).await);
    assert_no_value(&value, &outputs);

    // Destroy removes both.
    let out = acct.destroy(d, "staging", &["--stack", "shared"]);
    assert_ok(&out);
    assert!(staging_apis(&aws).await.is_empty());
    let keys = aws.apigateway.get_api_keys().send().await.unwrap();
    assert!(keys.items().is_empty(), "{:#?}", keys.items());
}

#[tokio::test(flavor = "multi_thread")]
async fn backend_stack_integrates_deploys_redeploys_on_change_and_destroys() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let mut outputs = Vec::new();

    outputs.push(text(&ok(acct.apply_stack(d, "staging", "shared"))));
    let out = ok(acct.apply_stack(d, "staging", "backend"));
    outputs.push(text(&out));
    assert_eq!(calls(&out, "PutIntegration"), 1, "{}", text(&out));
    assert_eq!(calls(&out, "CreateDeployment"), 1, "{}", text(&out));
    assert_eq!(calls(&out, "CreateUsagePlan"), 1, "{}", text(&out));
    assert_eq!(calls(&out, "CreateUsagePlanKey"), 1, "{}", text(&out));

    let aws = acct.aws().await;
    let gw = &aws.apigateway;
    let api = staging_apis(&aws).await[0].id().unwrap().to_owned();
    let p = proxy(&aws, &api).await;
    let resource = p.id().unwrap();

    // The integration is private: through the backend's VPC link (in the private subnets, with
    // its own group, which the internal ALB's group admits) to the environment's load balancer.
    let envs = aws
        .beanstalk
        .describe_environments()
        .environment_names("agentpass-backend-staging")
        .include_deleted(false)
        .send()
        .await
        .unwrap();
    let endpoint = envs.environments()[0].endpoint_url().unwrap().to_owned();
    let resources = aws
        .beanstalk
        .describe_environment_resources()
        .environment_name("agentpass-backend-staging")
        .send()
        .await
        .unwrap();
    let alb = resources.environment_resources().unwrap().load_balancers()[0]
        .name()
        .unwrap()
        .to_owned();
    assert!(alb.contains(":loadbalancer/app/"), "{alb}");
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let id_of = |a: &str| live.resources[&a.parse().unwrap()].id.clone();
    let link_id = id_of("backend.vpc_link");
    let link = aws
        .apigatewayv2
        .get_vpc_link()
        .vpc_link_id(&link_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        link.vpc_link_status(),
        Some(&aws_sdk_apigatewayv2::types::VpcLinkStatus::Available)
    );
    let mut subnets = link.subnet_ids().to_vec();
    subnets.sort();
    let mut private = vec![
        id_of("shared.subnet.private-a"),
        id_of("shared.subnet.private-b"),
    ];
    private.sort();
    assert_eq!(subnets, private);
    let link_group = id_of("shared.security_group.api-link");
    assert_eq!(link.security_group_ids(), std::slice::from_ref(&link_group));
    let Attrs::SecurityGroup(alb_group) =
        &live.resources[&"shared.security_group.internal-lb".parse().unwrap()].attrs
    else {
        panic!("not a security group")
    };
    assert!(
        alb_group.ingress.iter().any(|r| r.source
            == provision::model::RuleSource::Group(
                "shared.security_group.api-link"
                    .parse::<provision::model::Address>()
                    .unwrap()
                    .into()
            )),
        "{alb_group:?}"
    );
    let integration = gw
        .get_integration()
        .rest_api_id(&api)
        .resource_id(resource)
        .http_method("ANY")
        .send()
        .await
        .unwrap();
    assert_eq!(
        integration.r#type(),
        Some(&aws_sdk_apigateway::types::IntegrationType::HttpProxy)
    );
    assert_eq!(
        integration.connection_type(),
        Some(&aws_sdk_apigateway::types::ConnectionType::VpcLink)
    );
    assert_eq!(integration.connection_id(), Some(link_id.as_str()));
    assert_eq!(integration.integration_target(), Some(alb.as_str()));
    assert_eq!(
        integration.uri(),
        Some(format!("http://{endpoint}/{{proxy}}").as_str())
    );
    assert_eq!(integration.timeout_in_millis(), 29000);

    // The stage is named after the environment; the usage plan binds it to the key.
    let stage = gw
        .get_stage()
        .rest_api_id(&api)
        .stage_name("staging")
        .send()
        .await
        .unwrap();
    let first_deployment = stage.deployment_id().unwrap().to_owned();
    let plans = gw.get_usage_plans().send().await.unwrap();
    assert_eq!(plans.items().len(), 1, "{:#?}", plans.items());
    let plan = &plans.items()[0];
    assert_eq!(plan.api_stages().len(), 1);
    assert_eq!(plan.api_stages()[0].api_id(), Some(api.as_str()));
    assert_eq!(plan.api_stages()[0].stage(), Some("staging"));
    assert_eq!(plan.throttle().unwrap().rate_limit(), 100.0);
    assert_eq!(plan.throttle().unwrap().burst_limit(), 200);
    let live = aws.read(&support::owner("staging")).await.unwrap();
    let key_id = live.resources[&"shared.api_key".parse().unwrap()]
        .id
        .clone();
    let plan_keys = gw
        .get_usage_plan_keys()
        .usage_plan_id(plan.id().unwrap())
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = plan_keys.items().iter().filter_map(|k| k.id()).collect();
    assert_eq!(ids, [key_id.as_str()]);
    let value = key_value(&aws, &key_id).await;
    for (address, id) in [
        ("backend.api_integration", format!("{api}/{resource}/ANY")),
        ("backend.api_stage", format!("{api}/staging")),
        ("backend.usage_plan", plan.id().unwrap().to_owned()),
    ] {
        let r = &live.resources[&address.parse().unwrap()];
        assert_eq!(r.id, id, "{address}");
        assert_eq!(r.tags[TAG_STACK], "backend", "{address}");
    }

    // The data plane wants the key.
    let path = format!("/restapis/{api}/staging/_user_request_/health");
    assert_eq!(status(&acct, &path, None), 403);
    assert_eq!(
        status(&acct, &path, Some("not-the-key-0123456789abcdef")),
        403
    );

    // Converged: no API Gateway call that changes anything.
    let plan_out = acct.plan(d, "staging", &["--stack", "backend"]);
    assert!(
        !text(&plan_out).contains("backend.api") && !text(&plan_out).contains("usage_plan:"),
        "{}",
        text(&plan_out)
    );
    let again = ok(acct.apply_stack(d, "staging", "backend"));
    assert_eq!(apigateway_mutating(&again), 0, "{}", text(&again));

    // A changed integration is a new definition: a new deployment, and the stage moves to it.
    let base = d.join("specs/base.toml");
    let spec = std::fs::read_to_string(&base).unwrap();
    assert!(spec.contains("timeout_ms = 29000"));
    std::fs::write(
        &base,
        spec.replace("timeout_ms = 29000", "timeout_ms = 15000"),
    )
    .unwrap();
    let plan_out = acct.plan(d, "staging", &["--stack", "backend"]);
    assert_eq!(plan_out.status.code(), Some(2), "{}", text(&plan_out));
    let t = text(&plan_out);
    assert!(t.contains("~ backend.api_integration"), "{t}");
    assert!(t.contains("~ backend.api_stage"), "{t}");
    assert!(t.contains("definition_hash"), "{t}");
    let out = ok(acct.apply_stack(d, "staging", "backend"));
    outputs.push(text(&out));
    assert_eq!(calls(&out, "PutIntegration"), 1, "{}", text(&out));
    assert_eq!(calls(&out, "CreateDeployment"), 1, "{}", text(&out));
    let integration = gw
        .get_integration()
        .rest_api_id(&api)
        .resource_id(resource)
        .http_method("ANY")
        .send()
        .await
        .unwrap();
    assert_eq!(integration.timeout_in_millis(), 15000);
    let stage = gw
        .get_stage()
        .rest_api_id(&api)
        .stage_name("staging")
        .send()
        .await
        .unwrap();
    assert_ne!(stage.deployment_id().unwrap(), first_deployment);
    let again = ok(acct.apply_stack(d, "staging", "backend"));
    assert_eq!(apigateway_mutating(&again), 0, "{}", text(&again));
    assert_eq!(status(&acct, &path, None), 403);

    // The value appears in no output, state object or trace-level log (which reads the usage
    // plan's keys, whose response carries values).
    let traced = acct.provision(
        d,
        &["-vvv", "plan", "--env", "staging", "--stack", "backend"],
    );
    outputs.push(text(&traced));
    let state = acct.provision(
        d,
        &[
            "--format", "json", "state", "show", "--env", "staging", "--stack", "backend",
        ],
    );
    outputs.push(text(&state));
    outputs.extend(acct.state_objects(&aws).await);
    assert_no_value(&value, &outputs);

    // Destroy, backend then shared, removes it all.
    for stack in ["backend", "shared"] {
        let out = acct.destroy(d, "staging", &["--stack", stack]);
        assert_ok(&out);
        assert_no_value(&value, &[text(&out)]);
    }
    assert!(staging_apis(&aws).await.is_empty());
    assert!(
        gw.get_usage_plans()
            .send()
            .await
            .unwrap()
            .items()
            .is_empty()
    );
    assert!(gw.get_api_keys().send().await.unwrap().items().is_empty());
    let links = aws.apigatewayv2.get_vpc_links().send().await.unwrap();
    assert!(links.items().is_empty(), "{:#?}", links.items());
    let live = aws.read(&support::owner("staging")).await.unwrap();
    assert!(
        live.resources
            .keys()
            .all(|a| !a.to_string().contains("api")),
        "{:#?}",
        live.resources.keys().collect::<Vec<_>>()
    );
}
