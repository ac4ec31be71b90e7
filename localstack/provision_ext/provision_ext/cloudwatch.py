"""CloudWatch alarm tags as on AWS.

LocalStack keeps the `Tags` given to PutMetricAlarm inside the stored alarm instead of in the
tag store: ListTagsForResource misses them, and DescribeAlarms in the RPCv2 CBOR protocol (the
Rust SDK's) fails with an internal error on the member `MetricAlarm` does not have. On AWS the
tags are the alarm's tags, and only on create: "If you are using this operation to update an
existing alarm, any tags you specify in this parameter are ignored. To change the tags of an
existing alarm, use TagResource or UntagResource"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
A deleted alarm's tags go with it, so a new alarm of the same name starts without them.
"""

from localstack.utils.aws import arns


def _arn(context, name: str) -> str:
    return arns.cloudwatch_alarm_arn(name, account_id=context.account_id, region_name=context.region)


# Replacements for CloudwatchProvider's methods (registered in patches.py), before the provider
# is created.


def put_metric_alarm(fn, self, context, request, **kwargs):
    tags = request.pop("Tags", None)
    store = self.get_store(context.account_id, context.region)
    arn = _arn(context, request.get("AlarmName", ""))
    existed = arn in store.alarms
    result = fn(self, context, request, **kwargs)
    if tags and not existed:
        store.TAGS.tag_resource(arn, tags)
    return result


def delete_alarms(fn, self, context, alarm_names, **kwargs):
    result = fn(self, context, alarm_names, **kwargs)
    store = self.get_store(context.account_id, context.region)
    for name in alarm_names or []:
        arn = _arn(context, name)
        keys = [t["Key"] for t in store.TAGS.list_tags_for_resource(arn).get("Tags", [])]
        if keys:
            store.TAGS.untag_resource(arn, keys)
    return result


# Replacement for AlarmScheduler.schedule_metric_alarm (registered in patches.py).


def schedule_metric_alarm(fn, self, alarm_arn):
    """Alarms are stored, not evaluated. LocalStack evaluates each metric alarm every
    `Period x EvaluationPeriods` seconds from a scheduler thread by calling itself over HTTP
    (DescribeAlarms, GetMetricStatistics, SetAlarmState, each through a new signed boto3 request),
    and once more on every PutMetricAlarm. The alarms of every account ever made stay scheduled,
    so after one run of provision's test suite (thousands of alarms in throw-away accounts) the
    evaluations took up to 90 % of the server's one core. provision reads an alarm's
    configuration and tags, never its state (StateValue), so nothing it depends on changes: an
    alarm stays in INSUFFICIENT_DATA, as a new alarm on AWS is until its first evaluation."""
    return None
