//! Monitoring end to end against LocalStack: staging's alarm topic, its e-mail subscription,
//! every alarm (with the spec's thresholds) and the dashboard are created; a threshold changed
//! by hand and a deleted alarm are drift that apply puts back; a hand-edited dashboard is drift;
//! destroy removes them all. Each test runs in its own LocalStack account.

use std::collections::BTreeMap;

use crate::support::{Account, assert_ok, text};

const TOPIC: &str = "agentpass-staging-alarms";
const DASHBOARD: &str = "agentpass-staging";

/// Every alarm of the account whose name starts with `agentpass-staging-`: name -> (threshold,
/// comparison, dimension names and values, actions).
async fn alarms(
    cw: &aws_sdk_cloudwatch::Client,
) -> BTreeMap<String, (f64, String, BTreeMap<String, String>, Vec<String>)> {
    let out = cw
        .describe_alarms()
        .alarm_name_prefix("agentpass-staging-")
        .send()
        .await
        .unwrap();
    out.metric_alarms()
        .iter()
        .map(|a| {
            let dims = a
                .dimensions()
                .iter()
                .map(|d| {
                    (
                        d.name().unwrap_or_default().to_owned(),
                        d.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            (
                a.alarm_name().unwrap_or_default().to_owned(),
                (
                    a.threshold().unwrap_or_default(),
                    a.comparison_operator()
                        .map(|c| c.as_str().to_owned())
                        .unwrap_or_default(),
                    dims,
                    a.alarm_actions().to_vec(),
                ),
            )
        })
        .collect()
}

async fn topics(sns: &aws_sdk_sns::Client) -> Vec<String> {
    let out = sns.list_topics().send().await.unwrap();
    out.topics()
        .iter()
        .filter_map(|t| t.topic_arn().map(str::to_owned))
        .collect()
}

async fn dashboards(cw: &aws_sdk_cloudwatch::Client) -> Vec<String> {
    let out = cw.list_dashboards().send().await.unwrap();
    out.dashboard_entries()
        .iter()
        .filter_map(|e| e.dashboard_name().map(str::to_owned))
        .collect()
}

/// Sets one alarm's threshold by hand, keeping everything else as it is.
async fn set_threshold(cw: &aws_sdk_cloudwatch::Client, name: &str, threshold: f64) {
    let out = cw.describe_alarms().alarm_names(name).send().await.unwrap();
    let a = out.metric_alarms().first().expect("the alarm exists");
    cw.put_metric_alarm()
        .alarm_name(name)
        .set_alarm_description(a.alarm_description().map(str::to_owned))
        .set_namespace(a.namespace().map(str::to_owned))
        .set_metric_name(a.metric_name().map(str::to_owned))
        .set_dimensions(Some(a.dimensions().to_vec()))
        .set_statistic(a.statistic().cloned())
        .set_period(a.period())
        .set_evaluation_periods(a.evaluation_periods())
        .threshold(threshold)
        .set_comparison_operator(a.comparison_operator().cloned())
        .set_treat_missing_data(a.treat_missing_data().map(str::to_owned))
        .set_alarm_actions(Some(a.alarm_actions().to_vec()))
        .set_ok_actions(Some(a.ok_actions().to_vec()))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_monitoring_apply_drift_and_destroy() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));
    let aws = acct.aws().await;
    let (cw, sns) = (aws.cloudwatch.clone(), aws.sns.clone());

    // The topic, its subscription, every alarm with the spec's threshold, and the dashboard.
    let topic = topics(&sns)
        .await
        .into_iter()
        .find(|t| t.ends_with(&format!(":{TOPIC}")))
        .expect("the alarm topic exists");
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let endpoints: Vec<(&str, &str)> = subs
        .subscriptions()
        .iter()
        .map(|s| (s.protocol().unwrap(), s.endpoint().unwrap()))
        .collect();
    assert_eq!(endpoints, [("email", "ops+staging@example.com")]);
    let live = alarms(&cw).await;
    let thresholds: BTreeMap<&str, f64> = live.iter().map(|(n, a)| (n.as_str(), a.0)).collect();
    let expected: BTreeMap<&str, f64> = [
        ("agentpass-staging-api-5xx", 10.0),
        ("agentpass-staging-api-latency", 2000.0),
        ("agentpass-staging-nat-port-allocation", 0.0),
        ("agentpass-staging-db-cpu", 80.0),
        (
            "agentpass-staging-db-free-storage",
            2.0 * 1024.0 * 1024.0 * 1024.0,
        ),
        ("agentpass-staging-db-connections", 50.0),
        ("agentpass-staging-backend-health", 20.0),
        ("agentpass-staging-backend-5xx", 10.0),
        ("agentpass-staging-console-health", 20.0),
        ("agentpass-staging-console-5xx", 10.0),
    ]
    .into();
    assert_eq!(thresholds, expected);
    for (name, (_, comparison, dims, actions)) in &live {
        assert_eq!(
            actions,
            std::slice::from_ref(&topic),
            "{name} notifies the topic"
        );
        assert!(!dims.is_empty(), "{name} has dimensions");
        assert!(!comparison.is_empty(), "{name}");
    }
    // The NAT alarm watches the NAT gateway provision made; the load balancer alarms the
    // environments' load balancers (`app/NAME/ID`).
    let nat = &live["agentpass-staging-nat-port-allocation"].2["NatGatewayId"];
    let nats = aws.ec2.describe_nat_gateways().send().await.unwrap();
    assert!(
        nats.nat_gateways()
            .iter()
            .any(|n| n.nat_gateway_id() == Some(nat.as_str())),
        "{nat}"
    );
    let lb = &live["agentpass-staging-backend-5xx"].2["LoadBalancer"];
    assert!(lb.starts_with("app/"), "{lb}");
    assert_eq!(
        live["agentpass-staging-db-free-storage"].1,
        "LessThanThreshold"
    );
    assert_eq!(dashboards(&cw).await, [DASHBOARD]);
    let body = cw
        .get_dashboard()
        .dashboard_name(DASHBOARD)
        .send()
        .await
        .unwrap()
        .dashboard_body()
        .unwrap()
        .to_owned();
    let widgets: serde_json::Value = serde_json::from_str(&body).unwrap();
    // Ten graphs, then the marker naming the dashboard's owner (it takes no tags).
    let list = widgets["widgets"].as_array().unwrap();
    assert_eq!(list.len(), 11, "{body}");
    assert_eq!(list[10]["type"], "text", "{body}");
    assert!(
        body.contains("`provision:env=staging`")
            && body.contains("`provision:address=shared.dashboard`"),
        "{body}"
    );
    // The NAT gateway by its id; the load balancers through their alarms, by ARN.
    assert!(body.contains(nat.as_str()), "{body}");
    assert!(
        body.contains(":alarm:agentpass-staging-console-5xx\""),
        "{body}"
    );

    // Converged: nothing to do.
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));

    // A threshold changed by hand is drift, and the plan updates the alarm in place.
    set_threshold(&cw, "agentpass-staging-db-cpu", 99.0).await;
    let drift = acct.provision(d, &["drift", "--env", "staging"]);
    let t = text(&drift);
    assert_eq!(drift.status.code(), Some(2), "{t}");
    assert!(
        t.contains("backend.alarm.db-cpu") && t.contains("threshold"),
        "{t}"
    );
    let plan = acct.plan(d, "staging", &[]);
    let t = text(&plan);
    assert_eq!(plan.status.code(), Some(2), "{t}");
    assert!(t.contains("~ backend.alarm.db-cpu"), "{t}");
    assert!(t.contains("threshold: 99.0 -> 80.0"), "{t}");
    assert!(t.contains("0 to create, 1 to update, 0 to replace"), "{t}");

    // A deleted alarm is missing, and apply creates it again (and puts the threshold back).
    cw.delete_alarms()
        .alarm_names("agentpass-staging-api-latency")
        .send()
        .await
        .unwrap();
    let drift = acct.provision(d, &["drift", "--env", "staging"]);
    let t = text(&drift);
    assert_eq!(drift.status.code(), Some(2), "{t}");
    assert!(t.contains("shared.alarm.api-latency"), "{t}");
    assert!(t.contains("missing"), "{t}");
    assert_ok(&acct.apply(d, "staging", &[]));
    let live = alarms(&cw).await;
    assert_eq!(live["agentpass-staging-db-cpu"].0, 80.0);
    assert_eq!(live["agentpass-staging-api-latency"].0, 2000.0);

    // A dashboard edited by hand is drift; apply writes the spec's back.
    cw.put_dashboard()
        .dashboard_name(DASHBOARD)
        .dashboard_body(body.replace("\"width\":12", "\"width\":24"))
        .send()
        .await
        .unwrap();
    let drift = acct.provision(d, &["drift", "--env", "staging"]);
    let t = text(&drift);
    assert_eq!(drift.status.code(), Some(2), "{t}");
    assert!(
        t.contains("shared.dashboard") && t.contains("widgets"),
        "{t}"
    );
    assert_ok(&acct.apply(d, "staging", &[]));
    let now = cw
        .get_dashboard()
        .dashboard_name(DASHBOARD)
        .send()
        .await
        .unwrap();
    assert_eq!(now.dashboard_body(), Some(body.as_str()));
    let plan = acct.plan(d, "staging", &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));

    // Destroy removes every alarm, the dashboard, the subscription and the topic.
    assert_ok(&acct.destroy(d, "staging", &[]));
    assert!(alarms(&cw).await.is_empty());
    assert!(dashboards(&cw).await.is_empty());
    assert!(topics(&sns).await.is_empty());
    let subs = sns.list_subscriptions().send().await.unwrap();
    assert!(subs.subscriptions().is_empty(), "{subs:?}");
}
