//! Staging's monitoring made by hand (the alarm topic, its e-mail subscription, the ten alarms
//! and the dashboard), as Terraform's aws_sns_topic, aws_sns_topic_subscription,
//! aws_cloudwatch_metric_alarm and aws_cloudwatch_dashboard would have made them.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use serde_json::json;

use super::{Made, push};

/// (alarm, stack, namespace, metric, statistic, dimension name, period, evaluation periods,
/// threshold, comparison) as base.toml and staging.toml give them.
type Alarm = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i32,
    i32,
    f64,
    &'static str,
);

const ALARMS: [Alarm; 10] = [
    (
        "api-5xx",
        "shared",
        "AWS/ApiGateway",
        "5XXError",
        "Sum",
        "ApiName",
        300,
        1,
        10.0,
        "GreaterThanThreshold",
    ),
    (
        "api-latency",
        "shared",
        "AWS/ApiGateway",
        "Latency",
        "Average",
        "ApiName",
        300,
        3,
        2000.0,
        "GreaterThanThreshold",
    ),
    (
        "nat-port-allocation",
        "shared",
        "AWS/NATGateway",
        "ErrorPortAllocation",
        "Sum",
        "NatGatewayId",
        300,
        1,
        0.0,
        "GreaterThanThreshold",
    ),
    (
        "db-cpu",
        "backend",
        "AWS/RDS",
        "CPUUtilization",
        "Average",
        "DBInstanceIdentifier",
        300,
        3,
        80.0,
        "GreaterThanThreshold",
    ),
    (
        "db-free-storage",
        "backend",
        "AWS/RDS",
        "FreeStorageSpace",
        "Minimum",
        "DBInstanceIdentifier",
        300,
        1,
        2147483648.0,
        "LessThanThreshold",
    ),
    (
        "db-connections",
        "backend",
        "AWS/RDS",
        "DatabaseConnections",
        "Maximum",
        "DBInstanceIdentifier",
        300,
        3,
        50.0,
        "GreaterThanThreshold",
    ),
    (
        "backend-health",
        "backend",
        "AWS/ElasticBeanstalk",
        "EnvironmentHealth",
        "Maximum",
        "EnvironmentName",
        60,
        5,
        20.0,
        "GreaterThanOrEqualToThreshold",
    ),
    (
        "backend-5xx",
        "backend",
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        "Sum",
        "LoadBalancer",
        300,
        1,
        10.0,
        "GreaterThanThreshold",
    ),
    (
        "console-health",
        "console",
        "AWS/ElasticBeanstalk",
        "EnvironmentHealth",
        "Maximum",
        "EnvironmentName",
        60,
        5,
        20.0,
        "GreaterThanOrEqualToThreshold",
    ),
    (
        "console-5xx",
        "console",
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        "Sum",
        "LoadBalancer",
        300,
        1,
        10.0,
        "GreaterThanThreshold",
    ),
];

/// Address of each alarm (static strings, as `Made` keeps them).
fn address(alarm: &str) -> &'static str {
    match alarm {
        "api-5xx" => "shared.alarm.api-5xx",
        "api-latency" => "shared.alarm.api-latency",
        "nat-port-allocation" => "shared.alarm.nat-port-allocation",
        "db-cpu" => "backend.alarm.db-cpu",
        "db-free-storage" => "backend.alarm.db-free-storage",
        "db-connections" => "backend.alarm.db-connections",
        "backend-health" => "backend.alarm.backend-health",
        "backend-5xx" => "backend.alarm.backend-5xx",
        "console-health" => "console.alarm.console-health",
        _ => "console.alarm.console-5xx",
    }
}

/// Makes the topic, the subscription, the alarms (dimension values: whatever was made by hand,
/// `nat` and `load_balancer` are the NAT gateway's id and a load balancer's `app/NAME/ID`) and
/// the dashboard.
pub async fn monitoring(
    aws: &provision::aws::Aws,
    nat: &str,
    load_balancer: &str,
    made: &mut Vec<Made>,
) {
    let topic = aws
        .sns
        .create_topic()
        .name("agentpass-staging-alarms")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_owned();
    push(
        made,
        Some("shared.alarm_topic"),
        &topic,
        "shared",
        ("aws_sns_topic", "alarms"),
        json!({"id": topic, "arn": topic, "name": "agentpass-staging-alarms"}),
    );
    let sub = aws
        .sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("email")
        .endpoint("ops+staging@example.com")
        .return_subscription_arn(true)
        .send()
        .await
        .unwrap()
        .subscription_arn()
        .unwrap()
        .to_owned();
    push(
        made,
        Some("shared.alarm_subscription.ops-staging-example-com"),
        &sub,
        "shared",
        ("aws_sns_topic_subscription", "ops"),
        json!({"id": sub, "arn": sub, "topic_arn": topic, "protocol": "email", "endpoint": "ops+staging@example.com"}),
    );
    for (key, stack, ns, metric, stat, dim, period, periods, threshold, cmp) in ALARMS {
        let value = match dim {
            "NatGatewayId" => nat.to_owned(),
            "LoadBalancer" => load_balancer.to_owned(),
            "ApiName" => "agentpass-api-staging".to_owned(),
            "DBInstanceIdentifier" => "agentpass-staging".to_owned(),
            _ => format!("agentpass-{}-staging", &key[..key.find('-').unwrap()]),
        };
        let name = format!("agentpass-staging-{key}");
        aws.cloudwatch
            .put_metric_alarm()
            .alarm_name(&name)
            .namespace(ns)
            .metric_name(metric)
            .dimensions(Dimension::builder().name(dim).value(&value).build())
            .statistic(Statistic::from(stat))
            .period(period)
            .evaluation_periods(periods)
            .threshold(threshold)
            .comparison_operator(ComparisonOperator::from(cmp))
            .alarm_actions(&topic)
            .send()
            .await
            .unwrap();
        push(
            made,
            Some(address(key)),
            &name,
            stack,
            ("aws_cloudwatch_metric_alarm", "alarm"),
            json!({"id": name, "alarm_name": name, "namespace": ns, "metric_name": metric, "threshold": threshold}),
        );
    }
    budget(aws, &topic, made).await;
    let body = json!({"widgets": []}).to_string();
    aws.cloudwatch
        .put_dashboard()
        .dashboard_name("agentpass-staging")
        .dashboard_body(&body)
        .send()
        .await
        .unwrap();
    push(
        made,
        Some("shared.dashboard"),
        "agentpass-staging",
        "backend",
        ("aws_cloudwatch_dashboard", "main"),
        json!({"id": "agentpass-staging", "dashboard_name": "agentpass-staging", "dashboard_body": body}),
    );
}

/// The monthly budget, notifying the topic, as `aws_budgets_budget` makes it (the provider's id
/// is `ACCOUNT:NAME`; provision takes the ARN).
async fn budget(aws: &provision::aws::Aws, topic: &str, made: &mut Vec<Made>) {
    use aws_sdk_budgets::types::{
        Budget, BudgetType, ComparisonOperator, Notification, NotificationType,
        NotificationWithSubscribers, Spend, Subscriber, SubscriptionType, TimeUnit,
    };
    let account = topic.split(':').nth(4).unwrap();
    let name = "agentpass-staging-monthly";
    let notification = |kind: NotificationType, threshold: f64| {
        NotificationWithSubscribers::builder()
            .notification(
                Notification::builder()
                    .notification_type(kind)
                    .comparison_operator(ComparisonOperator::GreaterThan)
                    .threshold(threshold)
                    .build()
                    .unwrap(),
            )
            .subscribers(
                Subscriber::builder()
                    .subscription_type(SubscriptionType::Sns)
                    .address(topic)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    aws.budgets
        .create_budget()
        .account_id(account)
        .budget(
            Budget::builder()
                .budget_name(name)
                .budget_type(BudgetType::Cost)
                .time_unit(TimeUnit::Monthly)
                .budget_limit(
                    Spend::builder()
                        .amount("150.0")
                        .unit("USD")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .notifications_with_subscribers(notification(NotificationType::Actual, 100.0))
        .notifications_with_subscribers(notification(NotificationType::Forecasted, 80.0))
        .send()
        .await
        .unwrap();
    let arn = format!("arn:aws:budgets::{account}:budget/{name}");
    push(
        made,
        Some("shared.budget"),
        &arn,
        "shared",
        ("aws_budgets_budget", "monthly"),
        json!({"id": format!("{account}:{name}"), "arn": arn, "name": name, "budget_type": "COST", "limit_amount": "150.0", "limit_unit": "USD", "time_unit": "MONTHLY"}),
    );
}
