"""The Resource Groups Tagging API's GetResources, for every kind provision tags.

Community LocalStack serves GetResources from moto, which lists only the resource types whose
state lives in moto's own backends: here EC2 (but not Elastic IPs), RDS instances and SNS topics.
On AWS "The GetResources, GetTagKeys, and GetTagValues operations support all resource types"
(https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html),
except IAM ("The GetResources operation does not currently support IAM users and roles", same
page). scripts/aws-acceptance finds what a run left behind with it, so this adds what moto misses
of what provision creates: Elastic IPs, DB subnet groups, Elastic Beanstalk applications and
environments (provision_ext's own provider) and an environment's load balancer (with the
environment's tags and Beanstalk's own, as AWS tags the resources of an environment), API Gateway REST APIs, stages, API keys, usage plans
and VPC links, and CloudWatch alarms (LocalStack's own store, where their tags are kept).

ARNs are AWS's forms (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
and each service's "Actions, resources, and condition keys" page): `elastic-ip/eipalloc-…`,
`rds:…:subgrp:NAME`, `elasticbeanstalk:…:application/APP` and `environment/APP/ENV`,
`apigateway:REGION::/restapis/ID[/stages/NAME]`, `/apikeys/ID`, `/usageplans/ID`, `/vpclinks/ID`.
Budgets are global: listed in us-east-1 only, under `arn:aws:budgets::ACCOUNT:budget/NAME` (whether
AWS's tagging API lists budgets at all is not verified; provision may read their tags this way).

GetResources' paging (moto's checks ResourcesPerPage with a condition that is never true, always
pages by 100 tags, ignores ResourceARNList and answers a null token at the end) follows the API
reference (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html):
ResourcesPerPage 1-100 ("You can specify a minimum of 1 and a maximum value of 100"; 50 when
absent, moto's default: AWS's is not documented), TagsPerPage 100-500 and only when given ("A
resource with no tags is counted as having one tag"; a resource is never split across pages),
at most 50 TagFilters of at most 20 values each ("A request can include up to 50 keys, and each
key can include up to 20 values"), ResourceARNList (1-100 ARNs) not with TagFilters,
ResourceTypeFilters or paging ("If you do, you get an Invalid Parameter exception"), an ARN that
does not exist simply left out; all InvalidParameterException. The token is opaque and the last
page answers PaginationToken "" as AWS does.

A terminated Beanstalk environment is not listed (AWS keeps them visible for about an hour in
DescribeEnvironments, but a sweep asks each service whether a listed resource still exists, so
listing it or not changes nothing for it).
"""

import base64
import json

from moto.core.exceptions import JsonRESTError

MAX_PER_PAGE, DEFAULT_PER_PAGE = 100, 50
MAX_FILTERS, MAX_VALUES, MAX_ARNS = 50, 20, 100


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
    from .elasticbeanstalk import ElasticBeanstalkProvider, eb_stores

    store = eb_stores[account][region]
    for app in store.applications.values():
        yield "elasticbeanstalk", "application", app.arn, dict(app.tags)
    for env in store.environments.values():
        if env.active:
            yield "elasticbeanstalk", "environment", env.arn, dict(env.tags)
            lb = ElasticBeanstalkProvider._load_balancer_name(env, account, region)
            if lb and lb.startswith("arn:"):
                yield "elasticloadbalancing", "loadbalancer", lb, load_balancer_tags(env)


def load_balancer_tags(env) -> dict:
    """An environment's load balancer carries the environment's tags and the three Beanstalk adds
    ("When you create an Elastic Beanstalk environment, you can specify tags to apply to
    resources in the environment ... Elastic Beanstalk applies three tags by default.
    elasticbeanstalk:environment-name ... elasticbeanstalk:environment-id ... Name",
    https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/using-features.tagging.html)."""
    system = {"elasticbeanstalk:environment-name": env.name, "elasticbeanstalk:environment-id": env.id,
              "Name": env.name}
    return {**env.tags, **system}


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


def _budgets(account: str, region: str):
    from .budgets import GLOBAL, budgets_of

    if region == GLOBAL:
        for budget in budgets_of(account).values():
            yield "budgets", "budget", budget.arn, dict(budget.tags)


SOURCES = (_ec2, _rds, _beanstalk, _apigateway, _cloudwatch, _budgets)


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


def _invalid(message: str) -> JsonRESTError:
    return JsonRESTError("InvalidParameterException", message)


def _check(params: dict):
    """Raises InvalidParameterException for what AWS refuses in a GetResources request."""
    per_page, tags_per_page = params.get("ResourcesPerPage"), params.get("TagsPerPage")
    if per_page is not None and not 1 <= per_page <= MAX_PER_PAGE:
        raise _invalid(f"ResourcesPerPage must be between 1 and {MAX_PER_PAGE}, got {per_page}.")
    if tags_per_page is not None and not 100 <= tags_per_page <= 500:
        raise _invalid(f"TagsPerPage must be between 100 and 500, got {tags_per_page}.")
    filters = params.get("TagFilters") or []
    if len(filters) > MAX_FILTERS or any(len(f.get("Values") or []) > MAX_VALUES for f in filters):
        raise _invalid(f"At most {MAX_FILTERS} TagFilters of at most {MAX_VALUES} values each.")
    arns = params.get("ResourceARNList")
    if arns is not None:
        if not 1 <= len(arns) <= MAX_ARNS:
            raise _invalid(f"ResourceARNList must hold 1 to {MAX_ARNS} ARNs.")
        others = ("TagFilters", "ResourceTypeFilters", "ResourcesPerPage", "TagsPerPage", "PaginationToken")
        if any(params.get(k) for k in others):
            raise _invalid("ResourceARNList cannot be combined with TagFilters, ResourceTypeFilters or paging.")


def _offset(token) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError):
        raise _invalid("The PaginationToken is not valid.") from None


def page(items: list, start: int, per_page: int, tags_per_page: int | None) -> tuple[list, str]:
    """One page from start: at most per_page resources and, if given, tags_per_page tags (a
    resource with none counts one), never splitting a resource; "" when nothing is left."""
    taken, tags = [], 0
    for item in items[start:]:
        weight = max(1, len(item["Tags"]))
        if len(taken) >= per_page or (tags_per_page and taken and tags + weight > tags_per_page):
            break
        taken.append(item)
        tags += weight
    end = start + len(taken)
    token = base64.urlsafe_b64encode(json.dumps({"offset": end}).encode()).decode() if end < len(items) else ""
    return taken, token


def get_resources(fn, self):
    """Replaces moto's ResourceGroupsTaggingAPIResponse.get_resources (patches.py)."""
    params = {
        k: self._get_param(k)
        for k in ("PaginationToken", "TagFilters", "ResourceTypeFilters", "ResourceARNList", "ResourcesPerPage", "TagsPerPage")
    }
    _check(params)
    items = list(
        self.backend._get_resources_generator(
            tag_filters=params["TagFilters"] or [], resource_type_filters=params["ResourceTypeFilters"] or []
        )
    )
    if params["ResourceARNList"] is not None:
        wanted = set(params["ResourceARNList"])
        return json.dumps({"ResourceTagMappingList": [i for i in items if i["ResourceARN"] in wanted], "PaginationToken": ""})
    per_page = params["ResourcesPerPage"] or DEFAULT_PER_PAGE
    taken, token = page(items, _offset(params["PaginationToken"]), per_page, params["TagsPerPage"])
    return json.dumps({"ResourceTagMappingList": taken, "PaginationToken": token})
