"""The Resource Groups Tagging API's GetResources for every kind provision reads through it:
filtered by tag, with exactly the tags each service's own call answers, paged like AWS
(provision_ext/tagging.py)."""

import botocore.exceptions
import pytest
from support import instance_profile

REGION = "us-east-2"
NODE = "64bit Amazon Linux 2023 v6.11.5 running Node.js 24"
ENV = "provision:env"


def tags(kind: str, env: str = "staging") -> dict:
    return {ENV: env, "provision:kind": kind}


def pairs(d: dict) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in d.items()]


def as_dict(tag_list) -> dict:
    return {t["Key"]: t["Value"] for t in tag_list}


def network(aws) -> dict:
    """VPC, two subnets, IGW, EIP, NAT gateway, route table and security group, each tagged;
    returns ARN -> a function reading the tags with EC2's own call."""
    ec2 = aws("ec2")

    def spec(rtype):
        return [{"ResourceType": rtype, "Tags": pairs(tags(rtype))}]

    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16", TagSpecifications=spec("vpc"))["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.4.{i}.0/24", AvailabilityZone=f"{REGION}{z}",
                          TagSpecifications=spec("subnet"))["Subnet"]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway"))["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip"))["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip,
                                 TagSpecifications=spec("natgateway"))["NatGateway"]["NatGatewayId"]
    table = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table"))["RouteTable"]["RouteTableId"]
    group = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc,
                                      TagSpecifications=spec("security-group"))["GroupId"]
    ids = {"vpc": vpc, "subnet": subnets[0], "internet-gateway": igw, "elastic-ip": eip,
           "natgateway": nat, "route-table": table, "security-group": group}
    account = aws("sts").get_caller_identity()["Account"]

    def ec2_tags(resource_id):
        return lambda: as_dict(ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [resource_id]}])["Tags"])

    found = {f"arn:aws:ec2:{REGION}:{account}:{t}/{i}": ec2_tags(i) for t, i in ids.items()}
    found[f"arn:aws:ec2:{REGION}:{account}:subnet/{subnets[1]}"] = ec2_tags(subnets[1])
    return {"found": found, "vpc": vpc, "subnets": subnets, "group": group}


def everything(aws) -> dict:
    """One of each kind provision reads through GetResources; ARN -> its service's tag read."""
    net = network(aws)
    found = dict(net["found"])
    rds = aws("rds")
    group = rds.create_db_subnet_group(DBSubnetGroupName="db", DBSubnetGroupDescription="db",
                                       SubnetIds=net["subnets"], Tags=pairs(tags("subgrp")))["DBSubnetGroup"]
    db = rds.create_db_instance(DBInstanceIdentifier="db", DBInstanceClass="db.t3.micro", Engine="postgres",
                                MasterUsername="app", ManageMasterUserPassword=True, AllocatedStorage=20,
                                DBSubnetGroupName="db", Tags=pairs(tags("db")))["DBInstance"]
    for arn in (group["DBSubnetGroupArn"], db["DBInstanceArn"]):
        found[arn] = lambda arn=arn: as_dict(rds.list_tags_for_resource(ResourceName=arn)["TagList"])
    eb = aws("elasticbeanstalk")
    app = eb.create_application(ApplicationName="shop", Tags=pairs(tags("application")))["Application"]
    env = eb.create_environment(ApplicationName="shop", EnvironmentName="shop-staging", SolutionStackName=NODE,
                                OptionSettings=[instance_profile(aws("iam"))], Tags=pairs(tags("environment")))
    for arn in (app["ApplicationArn"], env["EnvironmentArn"]):
        found[arn] = lambda arn=arn: as_dict(eb.list_tags_for_resource(ResourceArn=arn)["ResourceTags"])
    found.update(_load_balancer(eb, env))
    found.update(_apigateway(aws, net))
    topic = aws("sns").create_topic(Name="alarms", Tags=pairs(tags("topic")))["TopicArn"]
    found[topic] = lambda: as_dict(aws("sns").list_tags_for_resource(ResourceArn=topic)["Tags"])
    cw = aws("cloudwatch")
    cw.put_metric_alarm(AlarmName="nat-errors", Namespace="AWS/NATGateway", MetricName="ErrorPortAllocation",
                        Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=0.0,
                        ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic], Tags=pairs(tags("alarm")))
    alarm = cw.describe_alarms(AlarmNames=["nat-errors"])["MetricAlarms"][0]["AlarmArn"]
    found[alarm] = lambda: as_dict(cw.list_tags_for_resource(ResourceARN=alarm)["Tags"])
    return found


def _load_balancer(eb, env) -> dict:
    """The environment's load balancer, with the environment's tags and Beanstalk's three."""
    resources = eb.describe_environment_resources(EnvironmentId=env["EnvironmentId"])["EnvironmentResources"]
    system = {"elasticbeanstalk:environment-name": env["EnvironmentName"],
              "elasticbeanstalk:environment-id": env["EnvironmentId"], "Name": env["EnvironmentName"]}
    return {
        lb["Name"]: (lambda: {**as_dict(eb.list_tags_for_resource(ResourceArn=env["EnvironmentArn"])["ResourceTags"]),
                              **system})
        for lb in resources["LoadBalancers"]
    }


def _apigateway(aws, net) -> dict:
    api = aws("apigateway")
    rest = api.create_rest_api(name="shop", tags=tags("restapis"))["id"]
    root = api.get_resources(restApiId=rest)["items"][0]["id"]
    api.put_method(restApiId=rest, resourceId=root, httpMethod="GET", authorizationType="NONE")
    api.put_integration(restApiId=rest, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = api.create_deployment(restApiId=rest)["id"]
    api.create_stage(restApiId=rest, stageName="staging", deploymentId=deployment, tags=tags("stages"))
    key = api.create_api_key(name="shop", enabled=True, tags=tags("apikeys"))["id"]
    plan = api.create_usage_plan(name="shop", tags=tags("usageplans"))["id"]
    v2 = aws("apigatewayv2")
    link = v2.create_vpc_link(Name="shop", SubnetIds=net["subnets"], SecurityGroupIds=[net["group"]],
                              Tags=tags("vpclinks"))["VpcLinkId"]
    base = f"arn:aws:apigateway:{REGION}::"
    found = {
        arn: (lambda arn=arn: api.get_tags(resourceArn=arn)["tags"])
        for arn in (f"{base}/restapis/{rest}", f"{base}/restapis/{rest}/stages/staging",
                    f"{base}/apikeys/{key}", f"{base}/usageplans/{plan}")
    }
    # A tag added later reaches GetResources as it reaches GetTags.
    api.tag_resource(resourceArn=f"{base}/apikeys/{key}", tags={"owner": "ops"})
    found[f"{base}/vpclinks/{link}"] = lambda: v2.get_tags(ResourceArn=f"{base}/vpclinks/{link}")["Tags"]
    return found


def get_all(tagging, **kwargs) -> dict:
    pages = tagging.get_paginator("get_resources").paginate(**kwargs)
    return {r["ResourceARN"]: as_dict(r["Tags"]) for page in pages for r in page["ResourceTagMappingList"]}


def test_every_kind_is_listed_with_its_services_tags(aws):
    found = everything(aws)
    untagged = aws("ec2").create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    other_env = aws("sns").create_topic(Name="prod-alarms", Tags=pairs(tags("topic", "production")))["TopicArn"]
    listed = get_all(aws("resourcegroupstaggingapi"), TagFilters=[{"Key": ENV, "Values": ["staging"]}])
    assert sorted(listed) == sorted(found)
    for arn, read in found.items():
        assert listed[arn] == read(), arn
    assert other_env not in listed and not any(untagged in arn for arn in listed)
    kinds = {t["provision:kind"] for t in listed.values()}
    assert kinds == {"vpc", "subnet", "internet-gateway", "elastic-ip", "natgateway", "route-table",
                     "security-group", "subgrp", "db", "application", "environment", "restapis", "stages",
                     "apikeys", "usageplans", "vpclinks", "topic", "alarm"}
    assert listed[next(a for a in found if "/apikeys/" in a)]["owner"] == "ops"
    # A load-balanced environment's load balancer is listed with the environment's tags.
    assert any(":loadbalancer/app/" in arn for arn in listed)


def test_a_budget_is_listed_in_us_east_1(aws, account):
    budgets = aws("budgets", region="us-east-1")
    budgets.create_budget(AccountId=account, Budget={
        "BudgetName": "staging", "BudgetLimit": {"Amount": "100", "Unit": "USD"},
        "TimeUnit": "MONTHLY", "BudgetType": "COST"}, ResourceTags=pairs(tags("budget")))
    arn = f"arn:aws:budgets::{account}:budget/staging"
    budgets.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "owner", "Value": "ops"}])
    listed = get_all(aws("resourcegroupstaggingapi", region="us-east-1"), TagFilters=[{"Key": ENV}])
    assert listed == {arn: as_dict(budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"])}
    assert get_all(aws("resourcegroupstaggingapi"), TagFilters=[{"Key": ENV}]) == {}


def test_pages_follow_resources_per_page_and_tags_per_page(aws):
    topics = [aws("sns").create_topic(Name=f"t{i:02}", Tags=pairs(tags("topic")))["TopicArn"] for i in range(7)]
    tagging = aws("resourcegroupstaggingapi")
    filters = [{"Key": ENV, "Values": ["staging"]}]
    seen, token, sizes = [], None, []
    while token != "":
        page = tagging.get_resources(TagFilters=filters, ResourcesPerPage=3,
                                     **({"PaginationToken": token} if token else {}))
        sizes.append(len(page["ResourceTagMappingList"]))
        seen += [r["ResourceARN"] for r in page["ResourceTagMappingList"]]
        token = page["PaginationToken"]
    assert sizes == [3, 3, 1] and sorted(seen) == sorted(topics)
    # 7 resources of 2 tags each fit TagsPerPage=100 on one page.
    one = tagging.get_resources(TagFilters=filters, TagsPerPage=100)
    assert len(one["ResourceTagMappingList"]) == 7 and one["PaginationToken"] == ""
    listed = tagging.get_resources(ResourceARNList=topics[:2] + ["arn:aws:sns:us-east-2:000000000000:gone"])
    assert sorted(r["ResourceARN"] for r in listed["ResourceTagMappingList"]) == sorted(topics[:2])


def test_tags_per_page_never_splits_a_resource():
    from provision_ext.tagging import page

    items = [{"ResourceARN": str(i), "Tags": [{"Key": str(k), "Value": ""} for k in range(30)]} for i in range(7)]
    first, token = page(items, 0, 100, 100)
    assert len(first) == 3 and token  # a fourth would make 120 tags
    last, end = page(items, 6, 100, 100)
    assert len(last) == 1 and end == ""
    untagged = [{"ResourceARN": str(i), "Tags": []} for i in range(150)]
    assert len(page(untagged, 0, 100, 100)[0]) == 100  # a resource without tags counts one


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ResourcesPerPage": 101},
        {"ResourcesPerPage": 0},
        {"TagsPerPage": 99},
        {"TagFilters": [{"Key": f"k{i}"} for i in range(51)]},
        {"TagFilters": [{"Key": "k", "Values": [str(i) for i in range(21)]}]},
        {"ResourceARNList": ["arn:aws:sns:us-east-2:000000000000:x"], "TagFilters": [{"Key": "k"}]},
        {"ResourceARNList": ["arn:aws:sns:us-east-2:000000000000:x"], "ResourcesPerPage": 5},
        {"PaginationToken": "not-a-token"},
    ],
)
def test_requests_aws_refuses_are_invalid_parameters(aws, kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        aws("resourcegroupstaggingapi").get_resources(**kwargs)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
