"""scripts/aws-acceptance around the emulator: it refuses unless opted in with a profile; the
Tagging API's GetResources lists every kind provision tags (provision_ext/tagging.py); and the
sweep finds what a run left behind (by its `provision:run` tag, IAM and dashboards by name),
deletes it children first and fails, leaving other runs' and untagged resources alone. The whole
run (apply ... destroy) against the emulator is in scripts/test: it needs the provision binary."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ENDPOINT, EC2_TRUST, instance_profile

SCRIPT = Path(__file__).resolve().parents[2] / "scripts/aws-acceptance"
NODE = "64bit Amazon Linux 2023 v6.11.5 running Node.js 24"
ALARM = dict(
    Namespace="AWS/NATGateway",
    MetricName="ErrorPortAllocation",
    Statistic="Sum",
    Period=300,
    EvaluationPeriods=1,
    Threshold=0.0,
    ComparisonOperator="GreaterThanThreshold",
)


def script(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture
def profile_env(tmp_path, account) -> dict:
    """The environment of an opted-in run with a profile `sandbox` for the test's account."""
    (tmp_path / "config").write_text("[profile sandbox]\nregion = us-east-2\n")
    (tmp_path / "credentials").write_text(
        f"[sandbox]\naws_access_key_id = {account}\naws_secret_access_key = test\n")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "PROVISION_ACCEPTANCE"}
    return {**env, "AWS_CONFIG_FILE": str(tmp_path / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            "PROVISION_ACCEPTANCE": "1", "AWS_ENDPOINT_URL": ENDPOINT}


def test_refuses_unless_opted_in_with_a_profile(profile_env):
    not_opted = {k: v for k, v in profile_env.items() if k != "PROVISION_ACCEPTANCE"}
    done = script("--profile", "sandbox", env=not_opted)
    assert done.returncode == 2
    assert "Opt in with PROVISION_ACCEPTANCE=1" in done.stderr
    assert "cost money" in done.stderr
    done = script(env=profile_env)
    assert done.returncode == 2
    assert "--profile NAME (or AWS_PROFILE)" in done.stderr
    # Neither refusal touched AWS: nothing was even looked at.
    assert "sweep" not in done.stderr and "run acc" not in done.stderr


def tag(run: str) -> list[dict]:
    return [{"Key": "provision:run", "Value": run}]


def arns_tagged(aws, run: str) -> list[str]:
    pages = aws("resourcegroupstaggingapi").get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "provision:run", "Values": [run]}])
    return sorted(r["ResourceARN"] for page in pages for r in page["ResourceTagMappingList"])


def plant(aws, account: str, run: str) -> list[str]:
    """What a run that failed half-way leaves: a network whose parts hold each other, an Elastic
    IP, a Beanstalk application and environment, an API with its key and usage plan, an alarm
    and its topic (all tagged with the run), an IAM role and instance profile and a dashboard
    (named with it). Returns what the sweep must name."""
    ec2 = aws("ec2")

    def tagged(resource_type):
        return [{"ResourceType": resource_type, "Tags": tag(run)}]

    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=tagged("vpc"))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24",
                               TagSpecifications=tagged("subnet"))["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway(
        TagSpecifications=tagged("internet-gateway"))["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    groups = [ec2.create_security_group(GroupName=n, Description=n, VpcId=vpc,
                                        TagSpecifications=tagged("security-group"))["GroupId"]
              for n in ("lb", "app")]
    # Each admits the other: neither can go before the rules do.
    for me, other in (groups, groups[::-1]):
        ec2.authorize_security_group_ingress(GroupId=me, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
            "UserIdGroupPairs": [{"GroupId": other}]}])
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=tagged("elastic-ip"))
    eb = aws("elasticbeanstalk")
    eb.create_application(ApplicationName=f"{run}-app", Tags=tag(run))
    setting = instance_profile(aws("iam"), f"{run}-ec2")
    env = eb.create_environment(ApplicationName=f"{run}-app", EnvironmentName=f"{run}-env",
                                SolutionStackName=NODE, OptionSettings=[setting], Tags=tag(run))
    # Its load balancer carries the environment's tags (provision_ext/tagging.py).
    lbs = [lb["Name"] for lb in eb.describe_environment_resources(
        EnvironmentId=env["EnvironmentId"])["EnvironmentResources"]["LoadBalancers"]]
    api = aws("apigateway")
    rest = api.create_rest_api(name=f"{run}-api", tags={"provision:run": run})["id"]
    key = api.create_api_key(name=f"{run}-key", enabled=True, tags={"provision:run": run})["id"]
    plan = api.create_usage_plan(name=f"{run}-plan", tags={"provision:run": run})["id"]
    topic = aws("sns").create_topic(Name=f"{run}-alarms", Tags=tag(run))["TopicArn"]
    aws("cloudwatch").put_metric_alarm(AlarmName=f"{run}-nat", AlarmActions=[topic],
                                       Tags=tag(run), **ALARM)
    aws("cloudwatch").put_dashboard(DashboardName=f"{run}-board", DashboardBody='{"widgets": []}')
    region = "us-east-2"
    return [
        f"arn:aws:ec2:{region}:{account}:vpc/{vpc}",
        f"arn:aws:ec2:{region}:{account}:subnet/{subnet}",
        f"arn:aws:ec2:{region}:{account}:internet-gateway/{igw}",
        *(f"arn:aws:ec2:{region}:{account}:security-group/{g}" for g in groups),
        f"arn:aws:ec2:{region}:{account}:elastic-ip/{eip['AllocationId']}",
        f"arn:aws:elasticbeanstalk:{region}:{account}:application/{run}-app",
        f"arn:aws:elasticbeanstalk:{region}:{account}:environment/{run}-app/{run}-env",
        *lbs,
        f"arn:aws:apigateway:{region}::/restapis/{rest}",
        f"arn:aws:apigateway:{region}::/apikeys/{key}",
        f"arn:aws:apigateway:{region}::/usageplans/{plan}",
        topic,
        f"arn:aws:cloudwatch:{region}:{account}:alarm:{run}-nat",
        f"arn:aws:iam::{account}:role/{run}-ec2",
        f"arn:aws:iam::{account}:instance-profile/{run}-ec2",
        f"arn:aws:cloudwatch::{account}:dashboard/{run}-board",
    ]


def test_get_resources_lists_every_kind_provision_tags(aws, account):
    planted = plant(aws, account, "accaaaa0001")
    listed = arns_tagged(aws, "accaaaa0001")
    # GetResources covers neither IAM ("does not currently support IAM users and roles") nor
    # dashboards (they take no tags): the sweep finds those by name.
    assert listed == sorted(a for a in planted if ":iam::" not in a and ":dashboard/" not in a)
    rds = aws("rds")
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24",
                                 AvailabilityZone=f"us-east-2{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    rds.create_db_subnet_group(DBSubnetGroupName="accaaaa0002-db", SubnetIds=subnets,
                               DBSubnetGroupDescription="db", Tags=tag("accaaaa0002"))
    assert arns_tagged(aws, "accaaaa0002") == [
        f"arn:aws:rds:us-east-2:{account}:subgrp:accaaaa0002-db"]
    # A type filter narrows to a service or one type of it.
    tagging = aws("resourcegroupstaggingapi")
    only = tagging.get_resources(TagFilters=[{"Key": "provision:run", "Values": ["accaaaa0001"]}],
                                 ResourceTypeFilters=["elasticbeanstalk:application"])
    assert [r["ResourceARN"] for r in only["ResourceTagMappingList"]] == [
        f"arn:aws:elasticbeanstalk:us-east-2:{account}:application/accaaaa0001-app"]


def test_the_sweep_deletes_what_a_run_left_children_first_and_fails(aws, account, profile_env):
    run = "accbbbb0001"
    planted = plant(aws, account, run)
    ec2 = aws("ec2")
    others = [
        ec2.create_vpc(CidrBlock="10.7.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": tag("accbbbb0002")}])["Vpc"]["VpcId"],
        ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"],
    ]
    aws("iam").create_role(RoleName=f"{run}x-role", AssumeRolePolicyDocument=EC2_TRUST)

    done = script("--sweep", run, "--profile", "sandbox", env=profile_env)
    assert done.returncode == 1, done.stderr
    deleted = sorted(line.split("leftover: ", 1)[1].removesuffix(": deleted")
                     for line in done.stderr.splitlines() if "sweep: leftover: " in line)
    # The environment's load balancer goes with the environment: the sweep leaves it to Beanstalk.
    left = sorted(a for a in planted if ":loadbalancer/" not in a)
    assert len(left) < len(planted)
    assert deleted == left, done.stderr
    assert f"FAILED: run {run} left {len(left)} resources behind" in done.stderr
    # Children first: the environment before its application, the usage plan before the API,
    # the Elastic IP and internet gateway before the subnet, groups and VPC.
    order = [line for line in done.stderr.splitlines() if "sweep: deleting " in line]

    def at(fragment):
        return next(i for i, line in enumerate(order) if fragment in line)

    assert at("environment/") < at("application/")
    assert at("usageplans/") < at("restapis/")
    assert at("elastic-ip/") < at("internet-gateway/") < at("subnet/") < at("vpc/")
    assert at("security-group/") < at("vpc/")

    assert arns_tagged(aws, run) == []
    assert ec2.describe_vpcs(VpcIds=others)["Vpcs"], "another run's and an untagged VPC stay"
    assert aws("iam").get_role(RoleName=f"{run}x-role"), "only names starting with the run id-"
    assert aws("cloudwatch").list_dashboards(DashboardNamePrefix=run)["DashboardEntries"] == []

    again = script("--sweep", run, "--profile", "sandbox", env=profile_env)
    assert again.returncode == 0, again.stderr
    assert f"sweep: nothing of run {run} is left" in again.stderr
