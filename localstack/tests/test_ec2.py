"""EC2 deletes refuse what something still holds (provision_ext/ec2.py), with AWS's texts."""

import time

import pytest
from botocore.exceptions import ClientError
from support import instance_profile, internal, wait_for
from test_elasticbeanstalk import NODE, option


@pytest.fixture
def ec2(aws):
    return aws("ec2")


@pytest.fixture
def release_delay():
    """Sets how long a deleted owner's network interfaces linger, restored afterwards."""
    _, before = internal("GET", "/_provision/config")

    def set_delay(seconds: float):
        assert internal("POST", "/_provision/config", {"eni_release_delay": seconds})[0] == 200

    yield set_delay
    set_delay(before["eni_release_delay"])


def refusal(call, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Error"]["Code"], error["Error"]["Message"]


def network(ec2, zones=("a", "b")):
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{i}.0/24", AvailabilityZone=f"us-east-2{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in enumerate(zones)
    ]
    group = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    return vpc, subnets, group


def interfaces(ec2, name, value):
    found = ec2.describe_network_interfaces(Filters=[{"Name": name, "Values": [value]}])
    return found["NetworkInterfaces"]


def test_subnet_and_group_held_by_a_network_interface(ec2):
    vpc, subnets, group = network(ec2)
    eni = ec2.create_network_interface(SubnetId=subnets[0], Groups=[group], Description="by hand")
    eni = eni["NetworkInterface"]["NetworkInterfaceId"]

    assert refusal(ec2.delete_subnet, SubnetId=subnets[0]) == (
        "DependencyViolation",
        f"The subnet '{subnets[0]}' has dependencies and cannot be deleted.",
    )
    assert refusal(ec2.delete_security_group, GroupId=group) == (
        "DependencyViolation",
        f"resource {group} has a dependent object",
    )
    ec2.delete_subnet(SubnetId=subnets[1])  # nothing in it

    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_subnet(SubnetId=subnets[0])
    ec2.delete_security_group(GroupId=group)


def test_vpc_held_by_a_gateway_or_a_group(ec2):
    vpc, subnets, group = network(ec2)
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    held = ("DependencyViolation", f"The vpc '{vpc}' has dependencies and cannot be deleted.")

    assert refusal(ec2.delete_vpc, VpcId=vpc) == held
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert refusal(ec2.delete_vpc, VpcId=vpc) == held  # the group is left
    ec2.delete_security_group(GroupId=group)
    ec2.delete_vpc(VpcId=vpc)


def test_gateway_detach_waits_for_public_addresses(ec2):
    vpc, subnets, _ = network(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    mapped = (
        "DependencyViolation",
        f"Network {vpc} has some mapped public address(es). "
        "Please unmap those public address(es) before detaching the gateway.",
    )

    assert refusal(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc) == mapped
    ec2.delete_nat_gateway(NatGatewayId=nat)
    # The gateway's interface goes with it, and with it its address's association.
    assert interfaces(ec2, "subnet-id", subnets[0]) == []
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[eip])["Addresses"][0]
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_subnet(SubnetId=subnets[0])


def test_database_interfaces_linger_after_delete(ec2, aws, release_delay):
    release_delay(1.5)
    vpc, subnets, group = network(ec2)
    rds = aws("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="db", DBSubnetGroupDescription="db", SubnetIds=subnets)
    rds.create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        MasterUserPassword="correct-horse",
        AllocatedStorage=20,
        DBSubnetGroupName="db",
        VpcSecurityGroupIds=[group],
    )
    held = interfaces(ec2, "subnet-id", subnets[0])
    assert [(i["Description"], i["RequesterManaged"], i["RequesterId"]) for i in held] == [
        ("RDSNetworkInterface", True, "amazon-rds")
    ]
    assert refusal(ec2.delete_security_group, GroupId=group)[0] == "DependencyViolation"

    rds.delete_db_instance(DBInstanceIdentifier="orders", SkipFinalSnapshot=True)
    deleted = time.monotonic()
    assert refusal(ec2.delete_subnet, SubnetId=subnets[0])[0] == "DependencyViolation"
    wait_for(lambda: not interfaces(ec2, "group-id", group), timeout=5)
    assert time.monotonic() - deleted >= 1.4
    ec2.delete_subnet(SubnetId=subnets[0])
    ec2.delete_security_group(GroupId=group)


def test_load_balancer_interfaces_linger_after_terminate(ec2, aws, release_delay):
    release_delay(1.5)
    vpc, subnets, group = network(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eb = aws("elasticbeanstalk")
    eb.create_application(ApplicationName="shop")
    eb.create_environment(
        ApplicationName="shop",
        EnvironmentName="shop-prod",
        SolutionStackName=NODE,
        OptionSettings=[
            instance_profile(aws("iam")),
            option("aws:ec2:vpc", "VPCId", vpc),
            option("aws:ec2:vpc", "Subnets", subnets[1]),
            option("aws:ec2:vpc", "ELBSubnets", subnets[0]),
            option("aws:elbv2:loadbalancer", "SecurityGroups", group),
        ],
    )
    balancer = interfaces(ec2, "subnet-id", subnets[0])
    assert [i["Description"].startswith("ELB app/awseb-") for i in balancer] == [True]
    assert refusal(ec2.delete_subnet, SubnetId=subnets[1])[0] == "DependencyViolation"  # instances
    # An internet-facing load balancer maps public addresses in the VPC.
    assert refusal(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)[0] == "DependencyViolation"

    def status():
        return eb.describe_environments(EnvironmentNames=["shop-prod"])["Environments"][0]["Status"]

    wait_for(lambda: status() == "Ready")
    eb.terminate_environment(EnvironmentName="shop-prod")
    wait_for(lambda: status() == "Terminated")
    assert refusal(ec2.delete_security_group, GroupId=group)[0] == "DependencyViolation"
    wait_for(lambda: not interfaces(ec2, "vpc-id", vpc), timeout=5)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_security_group(GroupId=group)


def test_group_referenced_by_another_groups_rule_cannot_be_deleted(ec2):
    vpc, _, app = network(ec2)
    db = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    rule = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app}]}
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[rule])
    # A rule naming its own group does not hold it.
    own = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": app}]}
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[own])

    assert refusal(ec2.delete_security_group, GroupId=app) == (
        "DependencyViolation",
        f"resource {app} has a dependent object",
    )
    ec2.revoke_security_group_ingress(GroupId=db, IpPermissions=[rule])
    ec2.delete_security_group(GroupId=app)
    ec2.delete_security_group(GroupId=db)


def test_group_referenced_by_an_egress_rule_cannot_be_deleted(ec2):
    vpc, _, app = network(ec2)
    lb = ec2.create_security_group(GroupName="lb", Description="lb", VpcId=vpc)["GroupId"]
    rule = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": app}]}
    ec2.authorize_security_group_egress(GroupId=lb, IpPermissions=[rule])

    assert refusal(ec2.delete_security_group, GroupId=app)[0] == "DependencyViolation"
    ec2.delete_security_group(GroupId=lb)  # the referencing group itself can go
    ec2.delete_security_group(GroupId=app)


def test_group_names_and_descriptions_aws_does_not_allow_are_refused(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]

    def create(name, description="app"):
        return refusal(ec2.create_security_group, GroupName=name, Description=description, VpcId=vpc)

    assert create("sg-app") == (
        "InvalidParameterValue",
        "Value (sg-app) for parameter GroupName is invalid. Group names may not be in the format sg-*.",
    )
    assert create("app|web")[0] == "InvalidParameterValue"
    assert create("a" * 256)[0] == "InvalidParameterValue"
    code, message = create("app", "caf\u00e9")
    assert (code, "GroupDescription" in message) == ("InvalidParameterValue", True)
    # Terraform's names and the AWS provider's default description, and every allowed character.
    ec2.create_security_group(
        GroupName="agentpass-staging-alb-public-sg", Description="Managed by Terraform", VpcId=vpc
    )
    ec2.create_security_group(GroupName="a" * 255, Description=" ._-:/()#,@[]+=&;{}!$*", VpcId=vpc)


def test_a_nat_gateway_shows_its_elastic_ip_and_the_tagging_api_lists_the_ip(ec2, aws):
    """provision takes a NAT gateway's Elastic IP from DescribeNatGateways: each
    NatGatewayAddress has the address's AllocationId and PublicIp
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NatGatewayAddress.html); its
    tags come from GetResources under `ec2:elastic-ip` ("The GetResources ... operations support
    all resource types",
    https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html)."""
    vpc, subnets, _ = network(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    tags = [{"Key": "provision:env", "Value": "staging"}]
    spec = [{"ResourceType": "elastic-ip", "Tags": tags}]
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=spec)
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip["AllocationId"])["NatGateway"]
    shown = ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]
    assert shown["State"] == "available"
    (address,) = shown["NatGatewayAddresses"]
    assert (address["AllocationId"], address["PublicIp"]) == (eip["AllocationId"], eip["PublicIp"])
    listed = aws("resourcegroupstaggingapi").get_resources(
        ResourceTypeFilters=["ec2:elastic-ip"], TagFilters=[{"Key": "provision:env", "Values": ["staging"]}]
    )["ResourceTagMappingList"]
    assert [(m["ResourceARN"].split(":")[5], m["Tags"]) for m in listed] == [
        (f"elastic-ip/{eip['AllocationId']}", tags)
    ]
