"""GET /_provision/apigateway/forwarded (apigateway_forwarded.py): the path an integration sends its
backend for a request to a stage, from the API's stored configuration. A private integration adds
the stage, as AWS documents, unless its mapping template overrides $context.requestOverride.path."""

import pytest
from support import REGION, internal

# What provision's integration sends (src/aws/apigateway.rs): the path the client asked for.
OVERRIDE = "#set($context.requestOverride.path = \"/$input.params('proxy')\")\n$input.body"


@pytest.fixture
def api(aws, account):
    """A REST API with a {proxy+} ANY method, a VPC link V2 and a `staging` stage."""
    apigw, ec2 = aws("apigateway"), aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    link = aws("apigatewayv2").create_vpc_link(Name="link", SubnetIds=[subnet])["VpcLinkId"]
    api_id = apigw.create_rest_api(name="api")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="ANY",
        authorizationType="NONE",
        requestParameters={"method.request.path.proxy": True},
    )
    alb = f"arn:aws:elasticloadbalancing:{REGION}:{account}:loadbalancer/app/awseb--AWSEB-X/0123456789abcdef"

    def integrate(private=True, **extra):
        fields = {
            "type": "HTTP_PROXY",
            "integrationHttpMethod": "ANY",
            "uri": "http://internal-awseb.example/{proxy}",
            "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
            **extra,
        }
        if private:
            fields.update(connectionType="VPC_LINK", connectionId=link, integrationTarget=alb)
        apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="ANY", **fields)
        apigw.create_deployment(restApiId=api_id, stageName="staging")

    return api_id, integrate, account


def forwarded(api_id, path, stage="staging", **extra):
    query = "&".join(f"{k}={v}" for k, v in {"api": api_id, "stage": stage, "path": path, **extra}.items())
    return internal("GET", f"/_provision/apigateway/forwarded?{query}")


def test_a_private_integration_adds_the_stage_unless_the_path_is_overridden(api):
    api_id, integrate, account = api
    integrate()
    assert forwarded(api_id, "/health") == (200, {"path": "/staging/health"})
    assert forwarded(api_id, "/v1/users/7", account_id=account, region=REGION) == (
        200,
        {"path": "/staging/v1/users/7"},
    )

    integrate(requestTemplates={"application/json": OVERRIDE})
    assert forwarded(api_id, "/health") == (200, {"path": "/health"})
    assert forwarded(api_id, "/v1/users/7") == (200, {"path": "/v1/users/7"})


def test_an_internet_integration_sends_the_uri_path(api):
    api_id, integrate, _ = api
    integrate(private=False)
    assert forwarded(api_id, "/health") == (200, {"path": "/health"})


def test_overriding_one_path_parameter_keeps_the_stage(api):
    api_id, integrate, _ = api
    template = "#set($p = $input.params('proxy'))\n#set($context.requestOverride.path.proxy = \"v2/$p\")"
    integrate(requestTemplates={"application/json": template})
    assert forwarded(api_id, "/health") == (200, {"path": "/staging/v2/health"})
    # Only the template for application/json applies to a request without Content-Type.
    integrate(requestTemplates={"text/plain": OVERRIDE})
    assert forwarded(api_id, "/health") == (200, {"path": "/staging/health"})


def test_what_cannot_be_answered_says_why(api):
    api_id, integrate, _ = api
    integrate(requestTemplates={"application/json": '#set($context.requestOverride.path = "/$util.x()")'})
    status, body = forwarded(api_id, "/health")
    assert status == 400 and "cannot evaluate" in body["error"], body
    assert forwarded(api_id, "/health", stage="prod")[0] == 404
    assert forwarded("nosuchapi", "/health")[0] == 404
    assert forwarded(api_id, "/")[0] == 404  # the root has no method
    status, body = internal("GET", "/_provision/apigateway/forwarded?api=x")
    assert status == 400 and "stage, path" in body["error"], body
