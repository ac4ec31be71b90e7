"""API Gateway tags kept in one set per resource, as on AWS.

LocalStack keeps the tags given at create time on the resource (what GetRestApi, GetApiKey,
GetUsagePlan and GetStage return inline) and the tags of TagResource/UntagResource in a separate
store that GetTags reads: GetTags misses the create-time tags, and UntagResource cannot remove
them. On AWS a resource has one set of tags. The TagResource reference
(https://docs.aws.amazon.com/apigateway/latest/api/API_TagResource.html) "adds or updates a tag on
a given resource", UntagResource
(https://docs.aws.amazon.com/apigateway/latest/api/API_UntagResource.html) "removes a tag from a
given resource", and GetTags (https://docs.aws.amazon.com/apigateway/latest/api/API_GetTags.html)
"gets the Tags collection for a given resource" - the same collection the resource's own `tags`
field shows. So here TagResource and UntagResource also change the resource's own tags, and
GetTags answers with them.
"""

import re

from localstack.aws.api.apigateway import Tags

_ARN = re.compile(
    r"^arn:aws[\w-]*:apigateway:[^:]*::/"
    r"(?:restapis/(?P<api>[^/]+)(?:/stages/(?P<stage>[^/]+))?"
    r"|apikeys/(?P<key>[^/]+)|usageplans/(?P<plan>[^/]+))$"
)


def _resource(context, arn: str):
    """The moto object the ARN names, if it is one whose tags are shown inline."""
    from moto.apigateway.models import apigateway_backends

    m = _ARN.match(arn or "")
    if not m:
        return None
    backend = apigateway_backends[context.account_id][context.region]
    if m["key"]:
        return backend.keys.get(m["key"])
    if m["plan"]:
        return backend.usage_plans.get(m["plan"])
    api = backend.apis.get(m["api"])
    if api is None or not m["stage"]:
        return api
    return api.stages.get(m["stage"])


# Replacements for ApigatewayProvider's methods (registered in patches.py; the next-gen provider
# inherits them).


def tag_resource(fn, self, context, resource_arn, tags, **kwargs):
    fn(self, context, resource_arn, tags, **kwargs)
    r = _resource(context, resource_arn)
    if r is not None:
        r.tags = {**(r.tags or {}), **(tags or {})}


def untag_resource(fn, self, context, resource_arn, tag_keys, **kwargs):
    fn(self, context, resource_arn, tag_keys, **kwargs)
    r = _resource(context, resource_arn)
    if r is not None and r.tags:
        r.tags = {k: v for k, v in r.tags.items() if k not in (tag_keys or [])}


def get_tags(fn, self, context, resource_arn, *args, **kwargs):
    added = fn(self, context, resource_arn, *args, **kwargs).get("tags") or {}
    r = _resource(context, resource_arn)
    if r is None:
        return Tags(tags=added)
    return Tags(tags={**added, **(r.tags or {})})
