"""The realistic-latency mode (config.py latency_scale): AWS's usual durations, scaled."""

import time

import pytest
from botocore.exceptions import ClientError
from support import EC2_TRUST, internal, wait_for
from test_elasticbeanstalk import create_env, describe

SCALE = 0.01  # NAT gateway 0.9 s to create, RDS 4.8 s, a Beanstalk launch 3 s


@pytest.fixture
def latency():
    _, before = internal("GET", "/_provision/config")
    assert internal("POST", "/_provision/config", {"latency_scale": SCALE})[0] == 200
    yield SCALE
    internal("POST", "/_provision/config", {"latency_scale": before["latency_scale"]})


def timed(predicate, timeout=30.0) -> float:
    start = time.monotonic()
    wait_for(predicate, timeout)
    return time.monotonic() - start


def test_nat_gateway_is_pending_then_deleting(aws, latency):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]["NatGatewayId"]

    def state():
        return ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"]

    assert state() == "pending"
    took = timed(lambda: state() == "available")
    assert 0.9 * 0.5 < took < 0.9 + 2

    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert state() == "deleting"
    with pytest.raises(ClientError):  # its interface still holds the subnet
        ec2.delete_subnet(SubnetId=subnet)
    timed(lambda: state() == "deleted")
    ec2.delete_subnet(SubnetId=subnet)


def test_rds_instance_is_creating_then_deleting(aws, latency):
    rds = aws("rds")
    created = rds.create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        EngineVersion="16.9",
        MasterUsername="app",
        MasterUserPassword="correct-horse",
        AllocatedStorage=20,
    )["DBInstance"]
    assert created["DBInstanceStatus"] == "creating"

    def status():
        try:
            return rds.describe_db_instances(DBInstanceIdentifier="orders")["DBInstances"][0]["DBInstanceStatus"]
        except ClientError as e:
            assert e.response["Error"]["Code"] == "DBInstanceNotFound"
            return None

    assert status() == "creating"
    took = timed(lambda: status() == "available")
    assert 4.8 * 0.5 < took < 4.8 + 2

    rds.delete_db_instance(DBInstanceIdentifier="orders", SkipFinalSnapshot=True)
    assert status() == "deleting"
    listed = rds.describe_db_instances()["DBInstances"]
    assert [(d["DBInstanceIdentifier"], d["DBInstanceStatus"]) for d in listed] == [("orders", "deleting")]
    took = timed(lambda: status() is None)
    assert 3.0 * 0.5 < took < 3.0 + 2


def test_beanstalk_launch_takes_the_scaled_five_minutes(aws, latency):
    iam, eb = aws("iam"), aws("elasticbeanstalk")
    iam.create_role(RoleName="shop-ec2", AssumeRolePolicyDocument=EC2_TRUST)
    iam.create_instance_profile(InstanceProfileName="shop-ec2")
    iam.add_role_to_instance_profile(InstanceProfileName="shop-ec2", RoleName="shop-ec2")
    eb.create_application(ApplicationName="shop")
    create_env(eb)
    assert describe(eb)["Status"] == "Launching"
    took = timed(lambda: describe(eb)["Status"] == "Ready")
    assert 3.0 * 0.5 < took < 3.0 + 2


def test_the_scale_is_a_setting(latency):
    _, config = internal("GET", "/_provision/config")
    assert config["latency_scale"] == SCALE
    assert internal("POST", "/_provision/config", {"latency_scale": -1})[0] == 400
