import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def rds(aws):
    return aws("rds")


def create_db(rds, identifier="orders", **kwargs):
    if not kwargs.get("ManageMasterUserPassword"):
        kwargs.setdefault("MasterUserPassword", "correct-horse")
    kwargs.setdefault("EngineVersion", "16.9")
    kwargs.setdefault("AllocatedStorage", 20)
    return rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        **kwargs,
    )["DBInstance"]


def describe(rds, identifier="orders"):
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_subnet_group_and_instance_live_in_an_ec2_vpc(rds, aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.3.{i}.0/24", AvailabilityZone=f"us-east-2{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    group = rds.create_db_subnet_group(
        DBSubnetGroupName="orders-db",
        DBSubnetGroupDescription="orders",
        SubnetIds=subnets,
        Tags=[{"Key": "app", "Value": "orders"}],
    )["DBSubnetGroup"]
    assert group["VpcId"] == vpc
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets)

    db = create_db(rds, DBSubnetGroupName="orders-db")
    assert db["DBSubnetGroup"]["VpcId"] == vpc
    assert describe(rds)["DBSubnetGroup"]["DBSubnetGroupName"] == "orders-db"

    rds.modify_db_subnet_group(
        DBSubnetGroupName="orders-db", DBSubnetGroupDescription="changed", SubnetIds=subnets
    )
    assert (
        rds.describe_db_subnet_groups(DBSubnetGroupName="orders-db")["DBSubnetGroups"][0][
            "DBSubnetGroupDescription"
        ]
        == "changed"
    )
    assert (
        error_of(
            rds.create_db_subnet_group,
            DBSubnetGroupName="bad",
            DBSubnetGroupDescription="x",
            SubnetIds=["subnet-00000000"],
        )[0]
        == "InvalidSubnetID.NotFound"
    )

    assert error_of(rds.delete_db_subnet_group, DBSubnetGroupName="orders-db") == (
        "InvalidDBSubnetGroupStateFault",
        "Cannot delete the subnet group 'orders-db' because at least one database instance: orders is still using it.",
    )
    rds.delete_db_instance(DBInstanceIdentifier="orders", SkipFinalSnapshot=True)
    rds.delete_db_subnet_group(DBSubnetGroupName="orders-db")
    assert rds.describe_db_subnet_groups()["DBSubnetGroups"] == []


def test_an_instance_shows_its_subnet_group_as_the_groups_describe_does(rds, aws):
    """provision takes a database's subnet group from DescribeDBInstances: DBInstance.DBSubnetGroup
    is "the subnet group associated with the DB instance, including the name, description, and
    subnets in the subnet group"
    (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html), a
    DBSubnetGroup with its VpcId and DBSubnetGroupArn
    (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSubnetGroup.html), as the
    group is now, after a ModifyDBSubnetGroup too."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.4.{i}.0/24", AvailabilityZone=f"us-east-2{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"), (3, "c"))
    ]
    rds.create_db_subnet_group(
        DBSubnetGroupName="shown-db", DBSubnetGroupDescription="shown", SubnetIds=subnets[:2]
    )
    create_db(rds, identifier="shown", DBSubnetGroupName="shown-db")

    def same():
        group = rds.describe_db_subnet_groups(DBSubnetGroupName="shown-db")["DBSubnetGroups"][0]
        shown = describe(rds, "shown")["DBSubnetGroup"]
        for field in ("DBSubnetGroupName", "DBSubnetGroupDescription", "VpcId", "DBSubnetGroupArn"):
            assert shown[field] == group[field], field
        ids = sorted(s["SubnetIdentifier"] for s in shown["Subnets"])
        assert ids == sorted(s["SubnetIdentifier"] for s in group["Subnets"])
        return ids

    assert same() == sorted(subnets[:2])
    rds.modify_db_subnet_group(
        DBSubnetGroupName="shown-db", DBSubnetGroupDescription="moved", SubnetIds=subnets
    )
    assert same() == sorted(subnets)
    assert describe(rds, "shown")["DBSubnetGroup"]["DBSubnetGroupDescription"] == "moved"


def test_modifications_stay_pending_until_applied_immediately(rds):
    create_db(rds)
    modified = rds.modify_db_instance(DBInstanceIdentifier="orders", DBInstanceClass="db.t3.large")[
        "DBInstance"
    ]
    assert modified["DBInstanceClass"] == "db.t3.micro"
    assert modified["PendingModifiedValues"] == {"DBInstanceClass": "db.t3.large"}

    rds.modify_db_instance(DBInstanceIdentifier="orders", AllocatedStorage=50, BackupRetentionPeriod=7)
    db = describe(rds)
    assert (db["DBInstanceClass"], db["AllocatedStorage"], db["BackupRetentionPeriod"]) == (
        "db.t3.micro",
        20,
        7,
    )
    assert db["PendingModifiedValues"] == {"DBInstanceClass": "db.t3.large", "AllocatedStorage": 50}

    applied = rds.modify_db_instance(DBInstanceIdentifier="orders", MultiAZ=True, ApplyImmediately=True)[
        "DBInstance"
    ]
    assert (applied["DBInstanceClass"], applied["AllocatedStorage"], applied["MultiAZ"]) == (
        "db.t3.large",
        50,
        True,
    )
    assert describe(rds)["PendingModifiedValues"] == {}


def test_deletion_protection_is_honoured(rds):
    create_db(rds, DeletionProtection=True)
    assert error_of(rds.delete_db_instance, DBInstanceIdentifier="orders", SkipFinalSnapshot=True) == (
        "InvalidParameterCombination",
        "Cannot delete protected DB Instance, please disable deletion protection and try again.",
    )
    rds.modify_db_instance(DBInstanceIdentifier="orders", DeletionProtection=False)
    rds.delete_db_instance(DBInstanceIdentifier="orders", SkipFinalSnapshot=True)
    assert rds.describe_db_instances()["DBInstances"] == []


def test_managed_master_password_needs_no_password(rds):
    db = create_db(rds, ManageMasterUserPassword=True)
    assert db["MasterUserSecret"]["SecretArn"].startswith("arn:aws:secretsmanager:us-east-2:")
    assert describe(rds)["MasterUserSecret"]["SecretArn"] == db["MasterUserSecret"]["SecretArn"]


def test_final_snapshot_on_delete(rds):
    create_db(rds)
    assert error_of(rds.delete_db_instance, DBInstanceIdentifier="orders") == (
        "InvalidParameterCombination",
        "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
    )
    rds.delete_db_instance(DBInstanceIdentifier="orders", FinalDBSnapshotIdentifier="orders-final")
    snapshots = rds.describe_db_snapshots(DBSnapshotIdentifier="orders-final")["DBSnapshots"]
    assert [s["DBInstanceIdentifier"] for s in snapshots] == ["orders"]


def test_tags(rds):
    arn = create_db(rds, Tags=[{"Key": "app", "Value": "orders"}])["DBInstanceArn"]
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "stage", "Value": "prod"}])
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["app"])
    assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "stage", "Value": "prod"}]
    rds.modify_db_instance(DBInstanceIdentifier="orders", BackupRetentionPeriod=3, ApplyImmediately=True)
    assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "stage", "Value": "prod"}]


def test_allocated_storage_only_grows_by_ten_percent_or_more(rds):
    create_db(rds, AllocatedStorage=100)
    code, message = error_of(rds.modify_db_instance, DBInstanceIdentifier="orders", AllocatedStorage=80)
    assert code == "InvalidParameterCombination"
    assert message.startswith("Invalid storage size for engine name postgres and storage type gp2: 80.")
    code, message = error_of(rds.modify_db_instance, DBInstanceIdentifier="orders", AllocatedStorage=109)
    assert (code, message.split(" (")[0]) == (
        "InvalidParameterCombination",
        "The allocated storage must be increased by at least 10 percent",
    )
    code, message = error_of(
        rds.modify_db_instance, DBInstanceIdentifier="orders", AllocatedStorage=70000, ApplyImmediately=True
    )
    assert (code, message) == (
        "InvalidParameterCombination",
        "Invalid storage size for engine name postgres and storage type gp2: 70000",
    )
    assert describe(rds)["AllocatedStorage"] == 100

    rds.modify_db_instance(DBInstanceIdentifier="orders", AllocatedStorage=100, BackupRetentionPeriod=3)
    rds.modify_db_instance(DBInstanceIdentifier="orders", AllocatedStorage=110, ApplyImmediately=True)
    assert describe(rds)["AllocatedStorage"] == 110
