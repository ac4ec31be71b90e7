"""The Resource Groups Tagging API's GetResources, for every kind provision tags.

Community LocalStack serves GetResources from moto, which lists only the resource types whose
state lives in moto's own backends: here EC2 (but not Elastic IPs), RDS instances and SNS topics.
On AWS "The GetResources, GetTagKeys, and GetTagValues operations support all resource types"
(https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html),
except IAM ("The GetResources operation does not currently support IAM users and roles", same
page). scripts/aws-acceptance finds what a run left behind with it, so this adds what moto misses
of what provision creates: Elastic IPs, DB subnet groups, Elastic Beanstalk applications and
environments (provision_ext's own provider), API Gateway REST APIs, stages, API keys, usage plans
and VPC links, and CloudWatch alarms (LocalStack's own store, where their tags are kept).

ARNs are AWS's forms (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
and each service's "Actions, resources, and condition keys" page): `elastic-ip/eipalloc-…`,
`rds:…:subgrp:NAME`, `elasticbeanstalk:…:application/APP` and `environment/APP/ENV`,
`apigateway:REGION::/restapis/ID[/stages/NAME]`, `/apikeys/ID`, `/usageplans/ID`, `/vpclinks/ID`.
A terminated Beanstalk environment is not listed (AWS keeps them visible for about an hour in
DescribeEnvironments, but a sweep asks each service whether a listed resource still exists, so
listing it or not changes nothing for it).
"""


def _wanted(service: str, rtype: str, type_filters) -> bool:
    return not type_filters or service in type_filters or f"{service}:{rtype}" in type_filters


def _matches(tags: dict, tag_filters) -> bool:
    """AND across filters; a filter's values are alternatives; no values: the key alone."""
    for f in tag_filters or []:
        key, values = f["Key"], f.get("Values") or []
        if key not in tags or (values and tags[key] not in values):
            return False
    return True


def _ec2(account: str, region: str):
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account][region]
    for address in ec2.addresses:
        if address.allocation_id:
            arn = f"arn:aws:ec2:{region}:{account}:elastic-ip/{address.allocation_id}"
            yield "ec2", "elastic-ip", arn, dict(ec2.tags.get(address.allocation_id, {}))


def _rds(account: str, region: str):
    from moto.rds.models import rds_backends

    for group in rds_backends[account][region].subnet_groups.values():
        tags = {t["Key"]: t["Value"] for t in group.get_tags()}
        yield "rds", "subgrp", group.arn, tags


def _beanstalk(account: str, region: str):
    from .elasticbeanstalk import eb_stores

    store = eb_stores[account][region]
    for app in store.applications.values():
        yield "elasticbeanstalk", "application", app.arn, dict(app.tags)
    for env in store.environments.values():
        if env.active:
            yield "elasticbeanstalk", "environment", env.arn, dict(env.tags)


def _apigateway(account: str, region: str):
    from moto.apigateway.models import apigateway_backends

    from . import apigatewayv2

    backend = apigateway_backends[account][region]
    base = f"arn:aws:apigateway:{region}::"
    for api in backend.apis.values():
        yield "apigateway", "restapis", f"{base}/restapis/{api.id}", dict(api.tags or {})
        for name, stage in api.stages.items():
            arn = f"{base}/restapis/{api.id}/stages/{name}"
            yield "apigateway", "restapis", arn, dict(stage.tags or {})
    for key in backend.keys.values():
        yield "apigateway", "apikeys", f"{base}/apikeys/{key.id}", dict(key.tags or {})
    for plan in backend.usage_plans.values():
        yield "apigateway", "usageplans", f"{base}/usageplans/{plan.id}", dict(plan.tags or {})
    for link in apigatewayv2.stores[account][region].vpc_links.values():
        if not link.gone:
            yield "apigateway", "vpclinks", link.arn, dict(link.tags)


def _cloudwatch(account: str, region: str):
    from localstack.services.cloudwatch.models import cloudwatch_stores

    store = cloudwatch_stores[account][region]
    for arn in list(store.alarms):
        tags = {t["Key"]: t["Value"] for t in store.TAGS.list_tags_for_resource(arn).get("Tags", [])}
        yield "cloudwatch", "alarm", arn, tags


SOURCES = (_ec2, _rds, _beanstalk, _apigateway, _cloudwatch)


def extra(account: str, region: str, tag_filters, type_filters):
    """What moto does not list, in its answer's form. Untagged resources are left out, as moto
    leaves out its own (AWS lists what is tagged or ever was)."""
    for source in SOURCES:
        for service, rtype, arn, tags in source(account, region):
            if tags and _wanted(service, rtype, type_filters) and _matches(tags, tag_filters):
                yield {"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


def get_resources_generator(fn, self, tag_filters=None, resource_type_filters=None):
    """Replaces moto's ResourceGroupsTaggingAPIBackend._get_resources_generator (patches.py)."""
    # moto iterates the filters without checking for None.
    yield from fn(self, tag_filters=tag_filters or [], resource_type_filters=resource_type_filters)
    yield from extra(self.account_id, self.region_name, tag_filters, resource_type_filters)
