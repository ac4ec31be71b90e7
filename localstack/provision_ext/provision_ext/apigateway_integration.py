"""Private integrations of REST APIs through a VPC link V2, checked and kept as on AWS.

LocalStack's PutIntegration accepts `connectionType: VPC_LINK` with any `connectionId` (or none) and
drops `integrationTarget` (moto's Integration has no such field), so an integration that could
never route reads back as fine, and one that names its load balancer reads back without it. AWS:

- PutIntegration (https://docs.aws.amazon.com/apigateway/latest/api/API_PutIntegration.html):
  `connectionId` is "the ID of the VpcLink used for the integration. Specify this value only if you
  specify VPC_LINK as the connection type"; `integrationTarget` is "the ALB or NLB listener to send
  the request to". Set-up of a private integration with a VPC link V2
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-private-integration.html)
  passes `--connection-type VPC_LINK --connection-id <VPC link V2 id> --integration-target <load
  balancer ARN>`: with a V2 link the target names the load balancer.
- Here: VPC_LINK needs a connectionId naming an AVAILABLE link of this account and region (V2 from
  apigatewayv2.py, or V1 from LocalStack's own store); a V2 link needs an integrationTarget that is
  an ALB or NLB ARN of this account and region; integrationTarget without VPC_LINK is refused.
  Errors are BadRequestException (400), the error PutIntegration lists for bad input.
- GetIntegration and GetResources(embed=methods) return connectionId and integrationTarget.
"""

import re

from localstack.aws.api import CommonServiceException
from localstack.services.apigateway.helpers import get_apigateway_store, get_moto_rest_api

from . import apigatewayv2

_LB_ARN = re.compile(
    r"^arn:aws[\w-]*:elasticloadbalancing:(?P<region>[^:]+):(?P<account>\d{12}):loadbalancer/(app|net)/[^/]+/[0-9a-f]+$"
)


def _bad(message: str) -> CommonServiceException:
    return CommonServiceException("BadRequestException", message, status_code=400, sender_fault=True)


def check(context, request: dict):
    """Raises BadRequestException when the connection fields could not route on AWS."""
    connection = request.get("connectionType")
    target = request.get("integrationTarget")
    if connection != "VPC_LINK":
        if target:
            raise _bad("integrationTarget is only valid with connectionType VPC_LINK.")
        return
    link_id = request.get("connectionId")
    if not link_id:
        raise _bad("connectionId is required when connectionType is VPC_LINK.")
    link = apigatewayv2.find_link(context.account_id, context.region, link_id)
    if link is None:
        v1 = get_apigateway_store(context).vpc_links.get(link_id)
        if v1 is None:
            raise _bad(f"Invalid VPC link identifier specified: {link_id}")
        if target:
            raise _bad("integrationTarget is only valid with a VPC link V2.")
        return
    if link.status != "AVAILABLE":
        raise _bad(f"VPC link {link_id} is {link.status}, not AVAILABLE.")
    m = _LB_ARN.match(target or "")
    if not m:
        raise _bad(
            f"A VPC link V2 integration needs integrationTarget, the ARN of an Application or "
            f"Network Load Balancer; got {target!r}."
        )
    if (m["account"], m["region"]) != (context.account_id, context.region):
        raise _bad(f"The load balancer {target} is not in this account and region.")


# Replacements for moto's Integration and the provider class (registered in patches.py; the
# next-gen provider inherits its methods).


def integration_to_json(fn, self):
    result = fn(self)
    for attribute, member in (("connection_id", "connectionId"), ("integration_target", "integrationTarget")):
        if value := getattr(self, attribute, None):
            result[member] = value
    return result


def put_integration(fn, self, context, request, **kwargs):
    check(context, request)
    response = fn(self, context, request, **kwargs)
    method = _method(context, request)
    if method is not None and method.method_integration is not None:
        method.method_integration.integration_target = request.get("integrationTarget")
    if request.get("integrationTarget"):
        response["integrationTarget"] = request["integrationTarget"]
    return response


def _method(context, request: dict):
    """The moto method PutIntegration just wrote, found as LocalStack's provider finds it."""
    api = get_moto_rest_api(context=context, rest_api_id=request.get("restApiId"))
    resource = api.resources.get(request.get("resourceId"))
    return resource.resource_methods.get(request.get("httpMethod")) if resource else None
