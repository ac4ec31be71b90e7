"""API Gateway integrations keep `integrationTarget`, and every read shows `connectionId`.

PutIntegration's `integrationTarget` is "the ALB or NLB listener to send the request to" for a
private integration through a VPC link V2; the integration's `uri` then sets the Host header
(https://docs.aws.amazon.com/apigateway/latest/api/API_PutIntegration.html, the Integration data
type https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html, and "Set up a private
integration" https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-private-integration.html,
whose example is `put-integration --connection-type VPC_LINK --connection-id <v2 link>
--integration-target <ALB ARN>`). UpdateIntegration patches it like any other field.

LocalStack hands PutIntegration to moto, whose Integration has no such field, so the value was
dropped and GetIntegration could not return it (a perpetual diff for a client that wrote it).
LocalStack also keeps `connectionId` beside moto's object and adds it back only in its own
GetIntegration/PutIntegration/UpdateIntegration answers, so GetResources(embed=methods) and
GetMethod missed it. Here moto's Integration carries both and serialises them wherever it is shown.
Nothing checks that the VPC link or the load balancer exists.
"""

from localstack.services.apigateway.legacy.provider import ApigatewayProvider
from localstack.utils.patch import patch

_applied = False


def _integration(context, rest_api_id, resource_id, http_method):
    from moto.apigateway.models import apigateway_backends

    api = apigateway_backends[context.account_id][context.region].apis.get(rest_api_id)
    resource = api.resources.get(resource_id) if api else None
    method = resource.resource_methods.get(http_method) if resource else None
    return method.method_integration if method else None


def apply():
    """Patches moto's Integration and LocalStack's provider class (next-gen inherits it)."""
    global _applied
    if _applied:
        return
    _applied = True

    from moto.apigateway.models import Integration

    @patch(Integration.__init__)
    def init(fn, self, *args, **kwargs):
        fn(self, *args, **kwargs)
        self.integration_target = None  # so UpdateIntegration's patch path finds the attribute

    @patch(Integration.to_json)
    def to_json(fn, self):
        result = fn(self)
        if target := getattr(self, "integration_target", None):
            result["integrationTarget"] = target
        if connection_id := getattr(self, "connection_id", None):
            result["connectionId"] = connection_id
        return result

    @patch(ApigatewayProvider.put_integration)
    def put_integration(fn, self, context, request, **kwargs):
        response = fn(self, context, request, **kwargs)
        if target := request.get("integrationTarget"):
            integration = _integration(
                context, request.get("restApiId"), request.get("resourceId"), request.get("httpMethod")
            )
            if integration is not None:
                integration.integration_target = target
            response["integrationTarget"] = target
        return response

    @patch(ApigatewayProvider.update_integration)
    def update_integration(fn, self, context, rest_api_id, resource_id, http_method, *args, **kwargs):
        response = fn(self, context, rest_api_id, resource_id, http_method, *args, **kwargs)
        integration = _integration(context, rest_api_id, resource_id, http_method)
        target = getattr(integration, "integration_target", None)
        if target:
            response["integrationTarget"] = target
        else:
            response.pop("integrationTarget", None)
        return response
