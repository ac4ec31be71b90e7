from support import internal


def test_config_endpoint_reads_and_validates(eb_status_delay):
    status, config = internal("GET", "/_provision/config")
    assert status == 200 and isinstance(config["eb_status_delay"], float)
    eb_status_delay(2.5)
    assert internal("GET", "/_provision/config")[1]["eb_status_delay"] == 2.5
    assert internal("POST", "/_provision/config", {"eb_status_delay": -1})[0] == 400
    assert internal("POST", "/_provision/config", {"eb_status_delay": "slow"})[0] == 400
    assert internal("POST", "/_provision/config", {"no_such_setting": 1})[0] == 400


def test_reset_empties_every_service(aws):
    """Note: empties the whole server, not only this test's account."""
    ec2, s3, apigateway, rds, eb = (aws(s) for s in ("ec2", "s3", "apigateway", "rds", "elasticbeanstalk"))
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    s3.create_bucket(Bucket="reset-me", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    s3.put_object(Bucket="reset-me", Key="k", Body=b"v")
    apigateway.create_rest_api(name="api")
    rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="g", SubnetIds=[subnet])
    rds.create_db_instance(
        DBInstanceIdentifier="db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        ManageMasterUserPassword=True,
        AllocatedStorage=20,
    )
    iam = aws("iam")
    iam.create_instance_profile(InstanceProfileName="reset-me")
    iam.create_role(RoleName="reset-me", AssumeRolePolicyDocument="{}")
    eb.create_application(ApplicationName="app")
    eb.create_environment(
        ApplicationName="app",
        EnvironmentName="app-env",
        SolutionStackName="64bit Amazon Linux 2023 v6.11.5 running Node.js 24",
    )

    status, result = internal("POST", "/_provision/reset")
    assert status == 200 and result["seconds"] < 1

    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    assert s3.list_buckets()["Buckets"] == []
    assert apigateway.get_rest_apis()["items"] == []
    assert rds.describe_db_instances()["DBInstances"] == []
    assert rds.describe_db_subnet_groups()["DBSubnetGroups"] == []
    assert eb.describe_applications()["Applications"] == []
    assert eb.describe_environments()["Environments"] == []
    assert iam.list_instance_profiles()["InstanceProfiles"] == []
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    s3.create_bucket(Bucket="reset-me", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    assert s3.list_objects_v2(Bucket="reset-me")["KeyCount"] == 0
    # Bucket names are global: left behind, it would refuse the next run on this server.
    s3.delete_bucket(Bucket="reset-me")
