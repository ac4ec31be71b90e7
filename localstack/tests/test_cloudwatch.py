"""CloudWatch alarms (issue 13's monitoring): tags given to PutMetricAlarm are the alarm's tags
on create only, and leave with the alarm; alarms are stored, not evaluated (see
provision_ext/cloudwatch.py)."""

ALARM = dict(
    Namespace="AWS/RDS",
    MetricName="CPUUtilization",
    Statistic="Average",
    Period=300,
    EvaluationPeriods=1,
    Threshold=80.0,
    ComparisonOperator="GreaterThanThreshold",
    Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "db"}],
)


def test_create_time_tags_are_the_alarms_and_updates_ignore_them(aws):
    cw = aws("cloudwatch")
    cw.put_metric_alarm(AlarmName="cpu", Tags=[{"Key": "owner", "Value": "a"}], **ALARM)
    arn = cw.describe_alarms(AlarmNames=["cpu"])["MetricAlarms"][0]["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "owner", "Value": "a"}]
    assert "Tags" not in cw.describe_alarms(AlarmNames=["cpu"])["MetricAlarms"][0]
    # An update's tags are ignored.
    cw.put_metric_alarm(AlarmName="cpu", Tags=[{"Key": "owner", "Value": "b"}], **ALARM)
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "owner", "Value": "a"}]
    # Deleted, the name starts again without tags.
    cw.delete_alarms(AlarmNames=["cpu"])
    cw.put_metric_alarm(AlarmName="cpu", **ALARM)
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == []


def test_an_alarm_is_stored_not_scheduled_for_evaluation(aws):
    from localstack.services.cloudwatch.alarm_scheduler import AlarmScheduler
    from provision_ext import cloudwatch

    cw = aws("cloudwatch")
    cw.put_metric_alarm(AlarmName="cpu", **ALARM)
    alarm = cw.describe_alarms(AlarmNames=["cpu"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    # LocalStack's scheduler, given this real alarm, would read it back over HTTP and schedule
    # its evaluation; through the replacement it keeps nothing and starts nothing.
    scheduler = AlarmScheduler()
    try:
        cloudwatch.schedule_metric_alarm(AlarmScheduler.schedule_metric_alarm, scheduler, alarm["AlarmArn"])
        assert scheduler.scheduled_alarms == {}
    finally:
        scheduler.shutdown_scheduler()
