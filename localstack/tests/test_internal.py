from support import internal


def test_config_endpoint_reads_and_validates(eb_status_delay):
    status, config = internal("GET", "/_provision/config")
    assert status == 200 and isinstance(config["eb_status_delay"], float)
    eb_status_delay(2.5)
    assert internal("GET", "/_provision/config")[1]["eb_status_delay"] == 2.5
    assert internal("POST", "/_provision/config", {"eb_status_delay": -1})[0] == 400
    assert internal("POST", "/_provision/config", {"eb_status_delay": "slow"})[0] == 400
    assert internal("POST", "/_provision/config", {"no_such_setting": 1})[0] == 400


def fill(aws, account: str, tag: str) -> dict:
    """Something of every service provision uses, in one account; returns what to look for."""
    client = lambda service: aws(service, account_id=account)  # noqa: E731
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    bucket = f"reset-{tag}-{account}"
    client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    client("s3").put_object(Bucket=bucket, Key="k", Body=b"v")
    client("apigateway").create_rest_api(name="api")
    rds = client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="g", SubnetIds=[subnet])
    rds.create_db_instance(
        DBInstanceIdentifier="db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        ManageMasterUserPassword=True,
        AllocatedStorage=20,
    )
    client("iam").create_instance_profile(InstanceProfileName="reset-me")
    client("iam").create_role(RoleName="reset-me", AssumeRolePolicyDocument="{}")
    eb = client("elasticbeanstalk")
    eb.create_application(ApplicationName="app")
    eb.create_environment(
        ApplicationName="app",
        EnvironmentName="app-env",
        SolutionStackName="64bit Amazon Linux 2023 v6.11.5 running Node.js 24",
    )
    cloudwatch = client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="reset-me",
        MetricName="CPUUtilization",
        Namespace="AWS/RDS",
        Statistic="Average",
        Period=300,
        EvaluationPeriods=1,
        Threshold=80,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.put_dashboard(DashboardName="reset-me", DashboardBody='{"widgets": []}')
    client("sns").create_topic(Name="reset-me")
    budget = {"BudgetName": "reset-me", "BudgetLimit": {"Amount": "1", "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST"}
    aws("budgets", region="us-east-1", account_id=account).create_budget(AccountId=account, Budget=budget)
    assert internal("POST", "/_provision/ce/cost-allocation-tags", {"account_id": account, "tag_keys": ["reset-me"]})[0] == 200
    return {"vpc": vpc, "bucket": bucket}


def contents(aws, account: str) -> dict:
    """What fill() made that an account still holds, per service."""
    client = lambda service: aws(service, account_id=account)  # noqa: E731
    return {
        "vpcs": [v["VpcId"] for v in client("ec2").describe_vpcs()["Vpcs"] if not v["IsDefault"]],
        "buckets": [b["Name"] for b in client("s3").list_buckets()["Buckets"]],
        "apis": [a["name"] for a in client("apigateway").get_rest_apis()["items"]],
        "databases": [d["DBInstanceIdentifier"] for d in client("rds").describe_db_instances()["DBInstances"]],
        "subnet_groups": [g["DBSubnetGroupName"] for g in client("rds").describe_db_subnet_groups()["DBSubnetGroups"]],
        "applications": [a["ApplicationName"] for a in client("elasticbeanstalk").describe_applications()["Applications"]],
        "environments": [e["EnvironmentName"] for e in client("elasticbeanstalk").describe_environments()["Environments"]],
        "profiles": [p["InstanceProfileName"] for p in client("iam").list_instance_profiles()["InstanceProfiles"]],
        "roles": [r["RoleName"] for r in client("iam").list_roles()["Roles"]],
        "alarms": [a["AlarmName"] for a in client("cloudwatch").describe_alarms()["MetricAlarms"]],
        "dashboards": [d["DashboardName"] for d in client("cloudwatch").list_dashboards()["DashboardEntries"]],
        "topics": [t["TopicArn"].rsplit(":", 1)[1] for t in client("sns").list_topics()["Topics"]],
        "budgets": [
            b["BudgetName"]
            for b in aws("budgets", region="us-east-1", account_id=account).describe_budgets(AccountId=account)["Budgets"]
        ],
        "cost_allocation_tags": [
            t["TagKey"] for t in aws("ce", region="us-east-1", account_id=account).list_cost_allocation_tags()["CostAllocationTags"]
        ],
    }


def test_reset_of_one_account_empties_it_and_leaves_the_others(aws, account):
    """What tests use on a shared emulator: every service emptied for one account only (the whole
    server is reset only on a server of its own: test_scripts.py)."""
    other = str(int(account) + 1 if int(account) < 10**12 - 1 else int(account) - 1)
    made = fill(aws, account, "a")
    fill(aws, other, "b")
    before_other = contents(aws, other)

    status, result = internal("POST", "/_provision/reset", {"account_id": account})
    assert status == 200 and result["account_id"] == account and result["seconds"] < 1
    assert {"cloudwatch", "sns", "s3", "ec2", "budgets", "ce"} <= set(result["reset"])

    assert all(found == [] for found in contents(aws, account).values()), contents(aws, account)
    assert contents(aws, other) == before_other
    # Bucket names are global: the reset account's name is free again, for any account.
    s3 = aws("s3", account_id=other)
    s3.create_bucket(Bucket=made["bucket"], CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    assert s3.list_objects_v2(Bucket=made["bucket"])["KeyCount"] == 0
    assert internal("POST", "/_provision/reset", {"account_id": other})[0] == 200


def test_reset_refuses_a_malformed_account():
    status, result = internal("POST", "/_provision/reset", {"account_id": "12"})
    assert status == 400 and "12 digits" in result["error"]
