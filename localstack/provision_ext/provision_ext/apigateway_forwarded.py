"""The path a REST API's integration sends to its backend for a request to a stage, from the API's
stored configuration: GET /_provision/apigateway/forwarded?api=ID&stage=STAGE&path=/health
(optionally &method=GET&account_id=…&region=…) answers {"path": "…"}. Nothing runs behind an
integration here, so this is how a test sees what the backend would receive.

AWS's documented behaviour, followed step by step:

1. The method: the resource whose path matches (an exact one first, else the deepest greedy
   `{name+}`), its method for the request's verb or ANY, and that method's integration.
2. The integration URI's path, its `{name}` parts filled from the integration's request
   parameters (`integration.request.path.name` = `method.request.path.x` or a 'literal')
   ("Parameter mapping for REST APIs in API Gateway",
   https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-parameter-mapping.html).
3. A private integration (connectionType VPC_LINK) adds the stage: "In a private integration, API
   Gateway includes the stage portion of the API endpoint in the request to your backend
   resources. For example, if you request the test stage of an API, API Gateway includes
   test/path in the request to your private integration. To remove the stage name from the
   request to your backend resources, use parameter mapping to create an override for the
   $context.requestOverride.path variable." ("Private integrations for REST APIs in API Gateway",
   Considerations, https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html).
4. Overrides are set in the integration's mapping template ("Override your API's request and
   response parameters and status codes for REST APIs in API Gateway",
   https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-override-request-response-parameters.html):
   `#set($context.requestOverride.path.name = …)` overrides one path parameter (step 2, the stage
   still added); `#set($context.requestOverride.path = …)` is the path sent, as is. The template
   read is the one for application/json, which API Gateway applies to a request that has no
   Content-Type (a GET). Template expressions understood: quoted strings, `$input.params('x')`
   (the request's path parameter x) and variables set earlier; anything else is a 400, not a guess.
"""

import re

from moto.apigateway.models import apigateway_backends

JSON = "application/json"


class Unanswerable(Exception):
    """The request cannot be answered from the stored configuration; the message says why."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status  # 404: no such API, stage or resource


def _api(api_id: str, account_id: str | None, region: str | None):
    for account, regions in list(apigateway_backends.items()):
        if account_id and account != account_id:
            continue
        for name, backend in list(regions.items()):
            if region and name != region:
                continue
            if api := backend.apis.get(api_id):
                return api
    raise Unanswerable(f"no REST API {api_id}", 404)


def _match(api, path: str) -> tuple[object, dict]:
    """The resource serving `path`, with the path parameters it captures."""
    wanted = [p for p in path.split("/") if p]
    best = None
    for resource in api.resources.values():
        parts = [p for p in resource.get_path().split("/") if p]
        params = {}
        for i, part in enumerate(parts):
            greedy = re.fullmatch(r"\{(\w+)\+\}", part)
            if greedy and i == len(parts) - 1 and len(wanted) > i:
                params[greedy[1]] = "/".join(wanted[i:])
                break
            if i >= len(wanted):
                params = None
                break
            if m := re.fullmatch(r"\{(\w+)\}", part):
                params[m[1]] = wanted[i]
            elif part != wanted[i]:
                params = None
                break
        else:
            if params is not None and len(parts) != len(wanted):
                params = None
        if params is None:
            continue
        exact = not any(p.endswith("+}") for p in parts)
        rank = (exact, len(parts))
        if best is None or rank > best[0]:
            best = (rank, resource, params)
    if best is None:
        raise Unanswerable(f"no resource of API {api.id} serves {path}", 404)
    return best[1], best[2]


def _evaluate(expression: str, params: dict, variables: dict) -> str:
    expression = expression.strip()
    call = r"""\$input\.params\(\s*['"](\w+)['"]\s*\)"""
    if m := re.fullmatch(call, expression):
        return params.get(m[1], "")
    if m := re.fullmatch(r"\$\{?(\w+)\}?", expression):
        if m[1] not in variables:
            raise Unanswerable(f"cannot evaluate ${m[1]}: the template never sets it")
        return variables[m[1]]
    if m := re.fullmatch(r"'([^']*)'", expression):
        return m[1]  # single quotes: no interpolation in VTL
    if m := re.fullmatch(r'"([^"]*)"', expression):
        text = re.sub(call, lambda c: params.get(c[1], ""), m[1])

        def variable(v):
            if v[1] not in variables:
                raise Unanswerable(f"cannot evaluate ${v[1]}: the template never sets it")
            return variables[v[1]]

        text = re.sub(r"\$\{?(\w+)\}?", variable, text)
        if "$" in text:
            raise Unanswerable(f"cannot evaluate {expression}")
        return text
    raise Unanswerable(f"cannot evaluate {expression}")


def _overrides(template: str | None, params: dict) -> tuple[str | None, dict]:
    """(the whole path override, per-parameter overrides) a mapping template sets."""
    whole, per_param, variables = None, {}, {}
    for target, expression in re.findall(r"#set\(\s*\$([\w.]+)\s*=\s*(.+?)\)\s*$", template or "", re.M):
        value = _evaluate(expression, params, variables)
        if target == "context.requestOverride.path":
            whole = value
        elif target.startswith("context.requestOverride.path."):
            per_param[target.rsplit(".", 1)[1]] = value
        elif "." not in target:
            variables[target] = value
    return whole, per_param


def _uri_path(integration, params: dict, overridden: dict) -> str:
    uri = integration.uri or ""
    path = "/" + uri.split("://", 1)[-1].partition("/")[2]
    path = path.split("?", 1)[0]
    mappings = integration.request_parameters or {}

    def fill(m):
        name = m[1]
        if name in overridden:
            return overridden[name]
        source = mappings.get(f"integration.request.path.{name}")
        if source is None:
            raise Unanswerable(f"the URI's {{{name}}} has no integration.request.path.{name} mapping")
        if source.startswith("method.request.path."):
            return params.get(source.removeprefix("method.request.path."), "")
        if source.startswith("'") and source.endswith("'"):
            return source[1:-1]
        raise Unanswerable(f"cannot evaluate the mapping {source}")

    return re.sub(r"\{(\w+)\+?\}", fill, path)


def forwarded(api_id: str, stage: str, path: str, method: str = "GET", account_id=None, region=None) -> str:
    api = _api(api_id, account_id, region)
    if stage not in api.stages:
        raise Unanswerable(f"API {api_id} has no stage {stage}", 404)
    resource, params = _match(api, path)
    found = resource.resource_methods.get(method) or resource.resource_methods.get("ANY")
    if found is None or found.method_integration is None:
        raise Unanswerable(f"{resource.get_path()} has no {method} or ANY method with an integration", 404)
    integration = found.method_integration
    whole, per_param = _overrides((integration.request_templates or {}).get(JSON), params)
    if whole is not None:
        return whole
    sent = _uri_path(integration, params, per_param)
    if integration.connection_type == "VPC_LINK":
        return f"/{stage}{sent}"
    return sent
