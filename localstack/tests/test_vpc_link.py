"""The private-integration path: API Gateway v2 VPC links (apigatewayv2.py), REST API integrations
through them (apigateway_integration.py) and the Beanstalk load balancer ARN they target
(DescribeEnvironmentResources in elasticbeanstalk.py)."""

import re

import pytest
from botocore.exceptions import ClientError
from support import REGION, instance_profile, internal, wait_for


@pytest.fixture
def vpc_link_delay():
    _, before = internal("GET", "/_provision/config")

    def set_delay(seconds: float):
        assert internal("POST", "/_provision/config", {"vpc_link_delay": seconds})[0] == 200

    yield set_delay
    set_delay(before["vpc_link_delay"])


@pytest.fixture
def network(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    group = ec2.create_security_group(GroupName="link", Description="link", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "group": group}


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response["Error"]
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def create_link(v2, network, **kwargs):
    return v2.create_vpc_link(
        Name="link", SubnetIds=network["subnets"], SecurityGroupIds=[network["group"]], **kwargs
    )


def test_vpc_link_walks_pending_available_deleting_gone(aws, network, vpc_link_delay):
    v2 = aws("apigatewayv2")
    vpc_link_delay(3)
    link = create_link(v2, network, Tags={"team": "api"})
    assert link["VpcLinkStatus"] == "PENDING" and link["VpcLinkVersion"] == "V2"
    assert link["SubnetIds"] == network["subnets"] and link["Tags"] == {"team": "api"}
    link_id = link["VpcLinkId"]
    assert v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] == "PENDING"
    wait_for(lambda: v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] == "AVAILABLE")
    assert [i["VpcLinkId"] for i in v2.get_vpc_links()["Items"]] == [link_id]

    v2.delete_vpc_link(VpcLinkId=link_id)
    assert v2.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"] == "DELETING"
    wait_for(lambda: not v2.get_vpc_links()["Items"])
    status, code, _ = error_of(v2.get_vpc_link, VpcLinkId=link_id)
    assert (status, code) == (404, "NotFoundException")
    assert error_of(v2.delete_vpc_link, VpcLinkId=link_id)[1] == "NotFoundException"


def test_vpc_link_subnets_and_groups_must_exist_in_one_vpc(aws, network):
    v2, ec2 = aws("apigatewayv2"), aws("ec2")
    other_vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    stray = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]
    cases = {
        "no subnets": dict(SubnetIds=[], SecurityGroupIds=[network["group"]]),
        "unknown subnet": dict(SubnetIds=["subnet-0000000000000000f"], SecurityGroupIds=[]),
        "unknown group": dict(SubnetIds=network["subnets"], SecurityGroupIds=["sg-0000000000000000f"]),
        "two vpcs": dict(SubnetIds=[network["subnets"][0], stray], SecurityGroupIds=[]),
        "eleven subnets": dict(SubnetIds=network["subnets"] * 6, SecurityGroupIds=[]),
    }
    for case, kwargs in cases.items():
        status, code, _ = error_of(v2.create_vpc_link, Name="bad", **kwargs)
        assert (status, code) == (400, "BadRequestException"), case
    assert v2.get_vpc_links()["Items"] == []


def test_vpc_link_tags(aws, network, account):
    v2 = aws("apigatewayv2")
    link_id = create_link(v2, network, Tags={"keep": "1", "drop": "2"})["VpcLinkId"]
    arn = f"arn:aws:apigateway:{REGION}::/vpclinks/{link_id}"
    v2.untag_resource(ResourceArn=arn, TagKeys=["drop"])
    v2.tag_resource(ResourceArn=arn, Tags={"added": "3"})
    assert v2.get_tags(ResourceArn=arn)["Tags"] == {"keep": "1", "added": "3"}
    assert v2.get_vpc_link(VpcLinkId=link_id)["Tags"] == {"keep": "1", "added": "3"}
    other = aws("apigatewayv2", account_id="000000000001")
    assert error_of(other.get_vpc_link, VpcLinkId=link_id)[1] == "NotFoundException"


@pytest.fixture
def proxy_method(aws):
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name="api")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    resource = apigw.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api, resourceId=resource, httpMethod="ANY", authorizationType="NONE")
    return apigw, {"restApiId": api, "resourceId": resource, "httpMethod": "ANY"}


def integration(link_id=None, target=None):
    fields = {"type": "HTTP_PROXY", "integrationHttpMethod": "ANY", "uri": "http://backend.internal/{proxy}"}
    if link_id is not None:
        fields.update(connectionType="VPC_LINK", connectionId=link_id)
    if target is not None:
        fields["integrationTarget"] = target
    return fields


def test_private_integration_keeps_its_target(aws, network, proxy_method, account):
    apigw, method = proxy_method
    link_id = create_link(aws("apigatewayv2"), network)["VpcLinkId"]
    alb = f"arn:aws:elasticloadbalancing:{REGION}:{account}:loadbalancer/app/awseb--AWSEB-X/0123456789abcdef"
    put = apigw.put_integration(**method, **integration(link_id, alb))
    assert (put["connectionType"], put["connectionId"], put["integrationTarget"]) == ("VPC_LINK", link_id, alb)
    got = apigw.get_integration(**method)
    assert (got["connectionType"], got["connectionId"], got["integrationTarget"]) == ("VPC_LINK", link_id, alb)
    embedded = apigw.get_resources(restApiId=method["restApiId"], embed=["methods"])["items"]
    proxy = next(r for r in embedded if r["id"] == method["resourceId"])
    assert proxy["resourceMethods"]["ANY"]["methodIntegration"]["integrationTarget"] == alb
    # Replaced by an internet integration: the target goes with the link.
    apigw.put_integration(**method, **integration())
    assert "integrationTarget" not in apigw.get_integration(**method)


def test_private_integration_needs_an_available_link_and_a_load_balancer(
    aws, network, proxy_method, account, vpc_link_delay
):
    apigw, method = proxy_method
    alb = f"arn:aws:elasticloadbalancing:{REGION}:{account}:loadbalancer/app/lb/0123456789abcdef"
    link_id = create_link(aws("apigatewayv2"), network)["VpcLinkId"]
    vpc_link_delay(30)
    pending = create_link(aws("apigatewayv2"), network)["VpcLinkId"]
    cases = {
        "no link id": integration("", alb),
        "unknown link": integration("nolink", alb),
        "pending link": integration(pending, alb),
        "no target": integration(link_id),
        "not a load balancer": integration(link_id, "arn:aws:ec2:us-east-2:000000000000:instance/i-1"),
        "another account's": integration(link_id, alb.replace(account, "000000000001")),
        "target without link": integration(None, alb),
    }
    for case, fields in cases.items():
        status, code, _ = error_of(apigw.put_integration, **method, **fields)
        assert (status, code) == (400, "BadRequestException"), case


def test_load_balanced_environment_reports_its_load_balancer_arn(aws, account):
    eb = aws("elasticbeanstalk")
    stack = next(s for s in eb.list_available_solution_stacks()["SolutionStacks"] if "Node.js" in s)
    eb.create_application(ApplicationName="shop")
    profile = instance_profile(aws("iam"))

    def resources(name, OptionSettings=()):
        settings = [profile, *OptionSettings]
        eb.create_environment(ApplicationName="shop", EnvironmentName=name, SolutionStackName=stack, OptionSettings=settings)
        return eb.describe_environment_resources(EnvironmentName=name)["EnvironmentResources"]

    def setting(name, value):
        return {"Namespace": "aws:elasticbeanstalk:environment", "OptionName": name, "Value": value}

    alb = resources("shop-alb")["LoadBalancers"]
    assert len(alb) == 1
    pattern = rf"arn:aws:elasticloadbalancing:{REGION}:{account}:loadbalancer/app/awseb--AWSEB-\w+/[0-9a-f]{{16}}"
    assert re.fullmatch(pattern, alb[0]["Name"])
    again = eb.describe_environment_resources(EnvironmentName="shop-alb")["EnvironmentResources"]
    assert again["LoadBalancers"] == alb
    nlb = resources("shop-nlb", OptionSettings=[setting("LoadBalancerType", "network")])["LoadBalancers"]
    assert ":loadbalancer/net/" in nlb[0]["Name"]
    classic = resources("shop-elb", OptionSettings=[setting("LoadBalancerType", "classic")])["LoadBalancers"]
    assert classic[0]["Name"].startswith("awseb-") and not classic[0]["Name"].startswith("arn:")
    single = resources("shop-one", OptionSettings=[setting("EnvironmentType", "SingleInstance")])
    assert single["LoadBalancers"] == []
    code = error_of(eb.describe_environment_resources, EnvironmentName="nope")[1]
    assert code == "InvalidParameterValue"


def test_subnets_and_groups_of_a_link_cannot_be_deleted_until_it_is_gone(aws, network, vpc_link_delay):
    v2, ec2 = aws("apigatewayv2"), aws("ec2")
    link_id = create_link(v2, network)["VpcLinkId"]
    vpc_link_delay(3)
    v2.delete_vpc_link(VpcLinkId=link_id)
    # DELETING: the link's network interfaces are still there.
    assert error_of(ec2.delete_subnet, SubnetId=network["subnets"][0])[1] == "DependencyViolation"
    assert error_of(ec2.delete_security_group, GroupId=network["group"])[1] == "DependencyViolation"
    wait_for(lambda: not v2.get_vpc_links()["Items"])
    ec2.delete_subnet(SubnetId=network["subnets"][0])
    ec2.delete_security_group(GroupId=network["group"])
