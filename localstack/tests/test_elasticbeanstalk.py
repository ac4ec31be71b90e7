import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from provision_ext import eb_health
from support import EC2_TRUST, REGION, internal, wait_for

NODE = "64bit Amazon Linux 2023 v6.11.5 running Node.js 24"
PYTHON = "64bit Amazon Linux 2023 v4.7.0 running Python 3.11"
ENV_VARS = "aws:elasticbeanstalk:application:environment"
ASG = "aws:autoscaling:asg"
LAUNCH = "aws:autoscaling:launchconfiguration"


@pytest.fixture
def eb(aws):
    return aws("elasticbeanstalk")


@pytest.fixture
def app(eb, aws):
    iam = aws("iam")
    iam.create_role(RoleName="shop-ec2", AssumeRolePolicyDocument=EC2_TRUST)
    iam.create_instance_profile(InstanceProfileName="shop-ec2")
    iam.add_role_to_instance_profile(InstanceProfileName="shop-ec2", RoleName="shop-ec2")
    eb.create_application(
        ApplicationName="shop", Description="the shop", Tags=[{"Key": "team", "Value": "web"}]
    )
    return "shop"


def option(namespace, name, value=None):
    setting = {"Namespace": namespace, "OptionName": name}
    if value is not None:
        setting["Value"] = value
    return setting


def create_env(eb, name="shop-prod", profile="shop-ec2", **kwargs):
    """Creates an environment; with the app fixture's instance profile unless profile is None."""
    kwargs.setdefault("SolutionStackName", NODE)
    if profile:
        kwargs["OptionSettings"] = [option(LAUNCH, "IamInstanceProfile", profile)] + kwargs.get(
            "OptionSettings", []
        )
    return eb.create_environment(ApplicationName="shop", EnvironmentName=name, **kwargs)


def describe(eb, name="shop-prod", **kwargs):
    environments = eb.describe_environments(EnvironmentNames=[name], **kwargs)["Environments"]
    return environments[0] if environments else None


def settings_of(eb, name="shop-prod"):
    config = eb.describe_configuration_settings(ApplicationName="shop", EnvironmentName=name)
    return {
        (o["Namespace"], o["OptionName"]): o.get("Value")
        for o in config["ConfigurationSettings"][0]["OptionSettings"]
    }


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_applications_create_describe_update_delete(eb, app, account):
    described = eb.describe_applications(ApplicationNames=["shop"])["Applications"]
    assert [a["ApplicationName"] for a in described] == ["shop"]
    assert described[0]["Description"] == "the shop"
    assert described[0]["ApplicationArn"] == f"arn:aws:elasticbeanstalk:{REGION}:{account}:application/shop"
    assert error_of(eb.create_application, ApplicationName="shop") == (
        "InvalidParameterValue",
        "Application shop already exists.",
    )

    updated = eb.update_application(ApplicationName="shop", Description="renamed")["Application"]
    assert updated["Description"] == "renamed"
    assert error_of(eb.update_application, ApplicationName="nope", Description="x") == (
        "InvalidParameterValue",
        "No Application named 'nope' found.",
    )

    eb.delete_application(ApplicationName="shop")
    assert eb.describe_applications()["Applications"] == []


def test_environment_identity(eb, app, account):
    eb.create_application_version(
        ApplicationName="shop", VersionLabel="v1", SourceBundle={"S3Bucket": "bundles", "S3Key": "v1.zip"}
    )
    env = create_env(eb, VersionLabel="v1", CNAMEPrefix="shop-live", Description="production")
    assert re.fullmatch(r"e-[a-z0-9]{10}", env["EnvironmentId"])
    assert env["EnvironmentArn"] == f"arn:aws:elasticbeanstalk:{REGION}:{account}:environment/shop/shop-prod"
    assert env["CNAME"] == f"shop-live.{REGION}.elasticbeanstalk.com"
    assert re.fullmatch(rf"awseb-.+\.{REGION}\.elb\.amazonaws\.com", env["EndpointURL"])
    assert env["Tier"] == {"Name": "WebServer", "Type": "Standard", "Version": "1.0"}
    assert env["VersionLabel"] == "v1"
    assert env["PlatformArn"].endswith("::platform/Node.js 24 running on 64bit Amazon Linux 2023/6.11.5")
    assert env["DateCreated"] <= env["DateUpdated"]
    assert (env["Status"], env["Health"]) == ("Launching", "Grey")

    single = create_env(
        eb,
        "shop-single",
        OptionSettings=[option("aws:elasticbeanstalk:environment", "EnvironmentType", "SingleInstance")],
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", single["EndpointURL"])
    assert re.fullmatch(rf"shop-single\.eba-[a-z0-9]{{8}}\.{REGION}\.elasticbeanstalk\.com", single["CNAME"])

    worker = create_env(eb, "shop-worker", Tier={"Name": "Worker", "Type": "SQS/HTTP"})
    assert "CNAME" not in worker and worker["Tier"]["Name"] == "Worker"


def test_status_transitions_follow_the_configured_delay(eb, app, eb_status_delay):
    eb_status_delay(0.6)
    env = create_env(eb)
    assert (env["Status"], env["Health"]) == ("Launching", "Grey")
    assert describe(eb)["Status"] == "Launching"
    assert error_of(eb.update_environment, EnvironmentName="shop-prod", Description="x") == (
        "InvalidParameterValue",
        "Environment named shop-prod is in an invalid state for this operation. Must be Ready.",
    )

    waiter_config = {"Delay": 0.1, "MaxAttempts": 50}
    eb.get_waiter("environment_exists").wait(EnvironmentNames=["shop-prod"], WaiterConfig=waiter_config)
    ready = describe(eb)
    assert (ready["Status"], ready["Health"], ready["HealthStatus"]) == ("Ready", "Green", "Ok")

    updating = eb.update_environment(
        EnvironmentId=env["EnvironmentId"], OptionSettings=[option(ENV_VARS, "A", "1")]
    )
    assert (updating["Status"], updating["Health"], updating["AbortableOperationInProgress"]) == (
        "Updating",
        "Grey",
        True,
    )
    eb.get_waiter("environment_updated").wait(EnvironmentNames=["shop-prod"], WaiterConfig=waiter_config)
    assert describe(eb)["Status"] == "Ready"

    assert eb.terminate_environment(EnvironmentName="shop-prod")["Status"] == "Terminating"
    assert error_of(eb.terminate_environment, EnvironmentName="shop-prod")[0] == "InvalidParameterValue"
    eb.get_waiter("environment_terminated").wait(EnvironmentNames=["shop-prod"], WaiterConfig=waiter_config)
    assert describe(eb)["Status"] == "Terminated"


def test_describe_environments_filters(eb, app):
    first = create_env(eb, "shop-one")
    create_env(eb, "shop-two")
    eb.create_application(ApplicationName="other")
    eb.create_environment(ApplicationName="other", EnvironmentName="other-one", SolutionStackName=NODE)

    def names(**kwargs):
        return sorted(e["EnvironmentName"] for e in eb.describe_environments(**kwargs)["Environments"])

    assert names(ApplicationName="shop") == ["shop-one", "shop-two"]
    assert names(EnvironmentIds=[first["EnvironmentId"]]) == ["shop-one"]
    assert names(EnvironmentNames=["shop-two", "other-one"]) == ["other-one", "shop-two"]
    assert names(EnvironmentNames=["missing"]) == []

    eb.terminate_environment(EnvironmentName="shop-one")
    assert names(ApplicationName="shop") == ["shop-one", "shop-two"]  # IncludeDeleted defaults to true
    assert names(ApplicationName="shop", IncludeDeleted=False) == ["shop-two"]
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert names(ApplicationName="shop", IncludedDeletedBackTo=later) == ["shop-two"]
    pages = eb.get_paginator("describe_environments").paginate(
        ApplicationName="shop", PaginationConfig={"PageSize": 1}
    )
    assert [len(page["Environments"]) for page in pages] == [1, 1]
    # The name is free again once the old environment is terminated.
    assert create_env(eb, "shop-one")["EnvironmentId"] != first["EnvironmentId"]


def test_configuration_settings_merge_defaults_and_honour_removal(eb, app):
    create_env(
        eb,
        SolutionStackName=PYTHON,
        OptionSettings=[
            option(ENV_VARS, "DATABASE_URL", "postgres://db"),
            option(ENV_VARS, "LOG_LEVEL", "debug"),
            option(ASG, "MaxSize", "8"),
        ],
    )
    settings = settings_of(eb)
    assert settings[(ENV_VARS, "DATABASE_URL")] == "postgres://db"
    assert settings[(ASG, "MaxSize")] == "8"
    assert settings[(ASG, "MinSize")] == "1"  # a default
    assert settings[("aws:elasticbeanstalk:container:python", "WSGIPath")] == "application"

    eb.update_environment(
        EnvironmentName="shop-prod",
        OptionSettings=[option(ENV_VARS, "LOG_LEVEL", "info"), option(ASG, "MinSize", "2")],
        OptionsToRemove=[option(ENV_VARS, "DATABASE_URL"), option(ASG, "MaxSize")],
    )
    settings = settings_of(eb)
    assert (ENV_VARS, "DATABASE_URL") not in settings
    assert settings[(ENV_VARS, "LOG_LEVEL")] == "info"
    assert (settings[(ASG, "MinSize")], settings[(ASG, "MaxSize")]) == ("2", "4")


def test_validation_errors(eb, app):
    invalid_spec = "Invalid option specification (Namespace: 'aws:nope', OptionName: 'X'): Unknown configuration setting."
    assert error_of(create_env, eb, OptionSettings=[option("aws:nope", "X", "1")]) == (
        "ConfigurationValidationException",
        f"Configuration validation exception: {invalid_spec}",
    )
    assert (
        "Unknown configuration setting"
        in error_of(create_env, eb, OptionSettings=[option(ASG, "Biggest", "1")])[1]
    )
    code, message = error_of(
        create_env, eb, OptionSettings=[option(ASG, "MinSize", "5"), option(ASG, "MaxSize", "2")]
    )
    assert code == "ConfigurationValidationException"
    assert "(Namespace: 'aws:autoscaling:asg', OptionName: 'MinSize')" in message
    assert error_of(
        create_env, eb, OptionSettings=[option("aws:elasticbeanstalk:environment", "EnvironmentType", "Huge")]
    )[1].endswith("Value is not one of the allowed values: [LoadBalanced, SingleInstance]")
    assert error_of(
        eb.create_environment, ApplicationName="nope", EnvironmentName="nope-env", SolutionStackName=NODE
    ) == ("InvalidParameterValue", "No Application named 'nope' found.")
    assert error_of(create_env, eb, SolutionStackName="64bit Plan 9") == (
        "InvalidParameterValue",
        "No Solution Stack named '64bit Plan 9' found.",
    )

    create_env(eb, CNAMEPrefix="shop-live")
    assert error_of(create_env, eb) == ("InvalidParameterValue", "Environment shop-prod already exists.")
    assert error_of(create_env, eb, "shop-other", CNAMEPrefix="shop-live") == (
        "InvalidParameterValue",
        f"DNS name (shop-live.{REGION}.elasticbeanstalk.com) is not available.",
    )
    assert eb.check_dns_availability(CNAMEPrefix="shop-live")["Available"] is False
    code, _ = error_of(
        eb.update_environment, EnvironmentName="shop-prod", OptionSettings=[option(ASG, "MinSize", "9")]
    )
    assert code == "ConfigurationValidationException"
    assert error_of(eb.update_environment, EnvironmentName="ghost", Description="x") == (
        "InvalidParameterValue",
        "No Environment found for EnvironmentName = 'ghost'.",
    )
    assert error_of(eb.terminate_environment, EnvironmentName="ghost")[0] == "InvalidParameterValue"

    messages = eb.validate_configuration_settings(
        ApplicationName="shop", EnvironmentName="shop-prod", OptionSettings=[option("aws:nope", "X", "1")]
    )["Messages"]
    assert messages == [
        {"Message": invalid_spec, "Severity": "error", "Namespace": "aws:nope", "OptionName": "X"}
    ]
    assert (
        eb.validate_configuration_settings(
            ApplicationName="shop", EnvironmentName="shop-prod", OptionSettings=[option(ASG, "MaxSize", "6")]
        )["Messages"]
        == []
    )


def test_a_load_balanced_environment_pauses_at_zero_a_single_instance_one_cannot(eb, app):
    create_env(eb)
    eb.update_environment(
        EnvironmentName="shop-prod", OptionSettings=[option(ASG, "MinSize", "0"), option(ASG, "MaxSize", "0")]
    )
    settings = settings_of(eb)
    assert (settings[(ASG, "MinSize")], settings[(ASG, "MaxSize")]) == ("0", "0")
    eb.update_environment(
        EnvironmentName="shop-prod", OptionSettings=[option(ASG, "MinSize", "1"), option(ASG, "MaxSize", "1")]
    )
    assert settings_of(eb)[(ASG, "MaxSize")] == "1"
    single = [option("aws:elasticbeanstalk:environment", "EnvironmentType", "SingleInstance")]
    create_env(eb, "shop-solo", OptionSettings=single)
    code, message = error_of(
        eb.update_environment, EnvironmentName="shop-solo", OptionSettings=[option(ASG, "MinSize", "0")]
    )
    assert code == "ConfigurationValidationException"
    assert "OptionName: 'MinSize'" in message and "single-instance" in message
    assert error_of(create_env, eb, "shop-solo2", OptionSettings=single + [option(ASG, "MaxSize", "0")])[0] == (
        "ConfigurationValidationException"
    )


def test_vpc_options_reference_ec2(eb, app, aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    other_vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    stray = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]
    vpc_options = [
        option("aws:ec2:vpc", "VPCId", vpc),
        option("aws:ec2:vpc", "Subnets", ",".join(subnets)),
        option("aws:ec2:vpc", "ELBSubnets", ",".join(subnets)),
        option("aws:ec2:vpc", "ELBScheme", "internal"),
    ]
    env = create_env(eb, OptionSettings=vpc_options)
    assert env["EndpointURL"].startswith("internal-awseb-")
    settings = settings_of(eb)
    assert settings[("aws:ec2:vpc", "VPCId")] == vpc
    assert settings[("aws:ec2:vpc", "Subnets")] == ",".join(subnets)

    assert error_of(
        create_env, eb, "shop-b", OptionSettings=[option("aws:ec2:vpc", "VPCId", "vpc-0000000000")]
    ) == (
        "InvalidParameterValue",
        (
            "Invalid option value: 'vpc-0000000000' (Namespace: 'aws:ec2:vpc', OptionName: 'VPCId'): "
            "The VPC 'vpc-0000000000' does not exist."
        ),
    )
    code, message = error_of(
        create_env,
        eb,
        "shop-b",
        OptionSettings=[
            option("aws:ec2:vpc", "VPCId", vpc),
            option("aws:ec2:vpc", "Subnets", f"{subnets[0]},{stray}"),
        ],
    )
    assert code == "InvalidParameterValue" and f"The subnet '{stray}' is not in VPC '{vpc}'." in message
    code, message = error_of(
        create_env, eb, "shop-b", OptionSettings=[option("aws:ec2:vpc", "Subnets", "subnet-00000000")]
    )
    assert code == "InvalidParameterValue" and "The subnet 'subnet-00000000' does not exist." in message


def test_solution_stacks(eb):
    listed = eb.list_available_solution_stacks()
    assert {NODE, PYTHON} <= set(listed["SolutionStacks"])
    assert {"SolutionStackName": NODE, "PermittedFileTypes": ["zip"]} in listed["SolutionStackDetails"]


def test_superseded_versions_are_not_launched(eb, app):
    """Only a branch's current version launches on a fresh account (v6.6.0 is superseded)."""
    superseded = "64bit Amazon Linux 2023 v6.6.0 running Node.js 24"
    assert superseded not in eb.list_available_solution_stacks()["SolutionStacks"]
    assert error_of(create_env, eb, SolutionStackName=superseded) == (
        "InvalidParameterValue",
        f"No Solution Stack named '{superseded}' found.",
    )


def test_a_released_version_is_listed_and_launchable_in_that_account_only(eb, app, aws, account):
    newer = "64bit Amazon Linux 2023 v6.12.0 running Node.js 24"
    assert error_of(create_env, eb, SolutionStackName=newer)[0] == "InvalidParameterValue"
    status, body = internal(
        "POST",
        "/_provision/elasticbeanstalk/platforms",
        {"account_id": account, "region": REGION, "solution_stack": newer},
    )
    assert status == 200 and body["solution_stacks"][0] == newer
    assert eb.list_available_solution_stacks()["SolutionStacks"][0] == newer
    # The version running keeps working; the environment moves to the new one in place.
    create_env(eb)
    wait_for(lambda: describe(eb)["Status"] == "Ready")
    eb.update_environment(EnvironmentName="shop-prod", SolutionStackName=newer)
    assert describe(eb)["SolutionStackName"] == newer
    other = aws("elasticbeanstalk", account_id="210987654321")
    assert newer not in other.list_available_solution_stacks()["SolutionStacks"]
    bad = internal("POST", "/_provision/elasticbeanstalk/platforms", {"solution_stack": "Plan 9"})
    assert bad[0] == 400


def test_tags(eb, app, account):
    env = create_env(eb, Tags=[{"Key": "stage", "Value": "prod"}])
    arn = env["EnvironmentArn"]
    assert eb.list_tags_for_resource(ResourceArn=arn)["ResourceTags"] == [{"Key": "stage", "Value": "prod"}]
    eb.update_tags_for_resource(
        ResourceArn=arn, TagsToAdd=[{"Key": "owner", "Value": "ops"}], TagsToRemove=["stage"]
    )
    assert eb.list_tags_for_resource(ResourceArn=arn)["ResourceTags"] == [{"Key": "owner", "Value": "ops"}]

    app_arn = f"arn:aws:elasticbeanstalk:{REGION}:{account}:application/shop"
    assert eb.list_tags_for_resource(ResourceArn=app_arn)["ResourceTags"] == [{"Key": "team", "Value": "web"}]
    assert error_of(eb.list_tags_for_resource, ResourceArn=arn.replace("shop-prod", "ghost"))[0] == (
        "ResourceNotFoundException"
    )


def test_delete_application_with_environments(eb, app):
    create_env(eb)
    assert error_of(eb.delete_application, ApplicationName="shop")[0] == "InvalidParameterValue"
    eb.delete_application(ApplicationName="shop", TerminateEnvByForce=True)
    assert eb.describe_applications()["Applications"] == []
    assert wait_for(lambda: describe(eb)["Status"] == "Terminated")


def test_state_is_per_account_and_region(eb, app, aws, account):
    create_env(eb)
    other_account = str(int(account) + 1)
    for other in (
        aws("elasticbeanstalk", region="eu-west-1"),
        aws("elasticbeanstalk", account_id=other_account),
    ):
        assert other.describe_applications()["Applications"] == []
        assert other.describe_environments()["Environments"] == []


def test_load_balancer_type_is_fixed_at_creation(eb, app):
    """AWS: the load balancer type can be chosen "only during environment creation"."""
    lb_type = ("aws:elasticbeanstalk:environment", "LoadBalancerType")
    create_env(eb, OptionSettings=[option(*lb_type, "network")])
    refused = (
        "ConfigurationValidationException",
        "Configuration validation exception: LoadBalancer type option cannot be changed.",
    )
    assert error_of(
        eb.update_environment, EnvironmentName="shop-prod", OptionSettings=[option(*lb_type, "application")]
    ) == refused
    # Removing the option would restore the default type: a change too.
    assert error_of(eb.update_environment, EnvironmentName="shop-prod", OptionsToRemove=[option(*lb_type)]) == refused
    assert settings_of(eb)[lb_type] == "network"
    # Naming the same type again is no change.
    eb.update_environment(EnvironmentName="shop-prod", OptionSettings=[option(*lb_type, "network")])


def test_beanstalk_makes_awseb_security_groups_unless_disabled(eb, app, aws):
    """AWS gives instances (and an ALB) groups of its own, named awseb-…, in the environment's VPC,
    listed in the SecurityGroups values; DisableDefaultEC2SecurityGroup and ManagedSecurityGroup
    opt out, and termination deletes them."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    mine = ec2.create_security_group(GroupName="mine", Description="d", VpcId=vpc)["GroupId"]
    lb = ec2.create_security_group(GroupName="lb", Description="d", VpcId=vpc)["GroupId"]
    launch, elb = "aws:autoscaling:launchconfiguration", "aws:elbv2:loadbalancer"

    def awseb_groups():
        groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
        return {g["GroupId"]: g["GroupName"] for g in groups if g["GroupName"].startswith("awseb")}

    base = [option("aws:ec2:vpc", "VPCId", vpc), option(launch, "SecurityGroups", mine)]
    create_env(eb, OptionSettings=base)
    made = awseb_groups()
    assert sorted(re.sub(r"-[A-Z0-9]{12}$", "", n).split("-stack-")[1] for n in made.values()) == [
        "AWSEBLoadBalancerSecurityGroup",
        "AWSEBSecurityGroup",
    ]
    settings = settings_of(eb)
    instance_groups = settings[(launch, "SecurityGroups")].split(",")
    assert instance_groups[0] == mine and made[instance_groups[1]].startswith("awseb-e-")
    assert "AWSEBLoadBalancerSecurityGroup" in made[settings[(elb, "SecurityGroups")]]

    # Opting out removes them; the values then hold only what was set.
    eb.update_environment(
        EnvironmentName="shop-prod",
        OptionSettings=[
            option(launch, "DisableDefaultEC2SecurityGroup", "true"),
            option(elb, "ManagedSecurityGroup", lb),
            option(elb, "SecurityGroups", lb),
        ],
    )
    assert awseb_groups() == {}
    settings = settings_of(eb)
    assert (settings[(launch, "SecurityGroups")], settings[(elb, "SecurityGroups")]) == (mine, lb)

    # Disabled without groups of one's own: refused (AWS: "you must provide other security groups").
    code, _ = error_of(
        create_env,
        eb,
        "shop-b",
        OptionSettings=[option(launch, "DisableDefaultEC2SecurityGroup", "true")],
    )
    assert code == "ConfigurationValidationException"

    # Termination deletes the groups it made.
    create_env(eb, "shop-c", OptionSettings=base)
    assert len(awseb_groups()) == 2
    eb.terminate_environment(EnvironmentName="shop-c")
    assert awseb_groups() == {}


def error_events(eb, name="shop-prod", **kwargs):
    events = eb.describe_events(EnvironmentName=name, Severity="ERROR", **kwargs)["Events"]
    return [e["Message"] for e in events]


def test_launch_without_instance_profile_terminates_with_error_events(eb, app, eb_status_delay):
    eb_status_delay(0.3)
    started = datetime.now(UTC)
    assert create_env(eb, profile=None)["Status"] == "Launching"  # the option is not checked up front
    assert error_events(eb) == []
    assert wait_for(lambda: describe(eb)["Status"] == "Terminated")
    assert error_events(eb, StartTime=started) == [
        "Failed to launch environment.",
        "Environment must have instance profile associated with it.",
    ]
    everything = eb.describe_events(EnvironmentName="shop-prod")["Events"]
    assert [e["Severity"] for e in everything] == ["ERROR", "ERROR", "INFO"]
    assert everything[-1]["Message"] == "createEnvironment is starting."
    assert error_events(eb, StartTime=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert error_events(eb, EndTime=started) == []
    assert eb.describe_events(EnvironmentName="shop-prod", MaxRecords=1)["NextToken"] == "1"


def test_launch_with_an_unknown_instance_profile_terminates(eb, app, account, eb_status_delay):
    eb_status_delay(0.2)
    create_env(eb, "shop-ghost", profile="ghost")
    arn = f"arn:aws:iam::{account}:instance-profile/shop-ec2"
    create_env(eb, "shop-arn", profile=arn)  # the option takes a name or an ARN
    assert wait_for(lambda: describe(eb, "shop-ghost")["Status"] == "Terminated")
    assert error_events(eb, "shop-ghost")[-1] == (
        "The instance profile ghost associated with the environment does not exist."
    )
    assert wait_for(lambda: describe(eb, "shop-arn")["Status"] == "Ready")
    assert error_events(eb, "shop-arn") == []
    assert error_of(eb.describe_events, Severity="LOUD")[0] == "InvalidParameterValue"


SERVICE_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"elasticbeanstalk.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def test_service_role_must_exist(eb, app, aws, account, eb_status_delay):
    eb_status_delay(0)
    missing = option("aws:elasticbeanstalk:environment", "ServiceRole", "shop-eb-service")
    with pytest.raises(ClientError) as raised:
        create_env(eb, OptionSettings=[missing])
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (
        "InsufficientPrivilegesException",
        "Insufficient privileges for IAM PassRole Action.",
    )
    assert describe(eb) is None

    role = aws("iam").create_role(RoleName="shop-eb-service", AssumeRolePolicyDocument=SERVICE_TRUST)["Role"]
    by_arn = option("aws:elasticbeanstalk:environment", "ServiceRole", role["Arn"])
    create_env(eb, OptionSettings=[by_arn])
    wait_for(lambda: describe(eb)["Status"] == "Ready")

    wrong = f"arn:aws:iam::{account}:role/other/shop-eb-service"
    with pytest.raises(ClientError) as raised:
        eb.update_environment(
            EnvironmentName="shop-prod",
            OptionSettings=[option("aws:elasticbeanstalk:environment", "ServiceRole", wrong)],
        )
    assert raised.value.response["Error"]["Code"] == "InsufficientPrivilegesException"
    eb.update_environment(EnvironmentName="shop-prod", OptionSettings=[missing])  # by name: exists


NODE_BRANCH = "Node.js 24 running on 64bit Amazon Linux 2023"
RETIRED = "64bit Amazon Linux 2023 v6.11.5 running Node.js 20"


def branches(eb, *filters, **kwargs):
    return eb.list_platform_branches(Filters=list(filters), **kwargs)["PlatformBranchSummaryList"]


def term(attribute, operator, *values):
    return {"Attribute": attribute, "Operator": operator, "Values": list(values)}


def test_platform_branches_carry_their_lifecycle_and_filter_as_aws_does(eb):
    node20 = "Node.js 20 running on 64bit Amazon Linux 2023"
    named = branches(eb, term("BranchName", "in", NODE_BRANCH, node20))
    assert {(b["BranchName"], b["LifecycleState"]) for b in named} == {
        (NODE_BRANCH, "supported"),
        (node20, "retired"),
    }
    assert named[0]["PlatformName"] == "Node.js" and named[0]["SupportedTierList"]
    # Successors: the platform's supported branches, the newest with the largest BranchOrder.
    node = term("PlatformName", "=", "Node.js")
    supported = branches(eb, node, term("LifecycleState", "=", "supported"))
    assert max(supported, key=lambda b: b["BranchOrder"])["BranchName"] == NODE_BRANCH
    deprecated = branches(eb, term("LifecycleState", "=", "deprecated"))
    assert deprecated and {b["LifecycleState"] for b in deprecated} == {"deprecated"}
    al2 = branches(eb, term("BranchName", "ends_with", "Linux 2"))
    assert al2 and all(b["BranchName"].endswith("Amazon Linux 2") for b in al2)
    not_retired = term("LifecycleState", "not_in", "retired")
    live = branches(eb, term("BranchName", "contains", "Node.js"), not_retired)
    assert live == [b for b in branches(eb, node) if b["LifecycleState"] != "retired"]
    workers = term("TierType", "=", "Worker/SQS/HTTP")
    assert branches(eb, workers, term("BranchName", "contains", "Windows")) == []
    page = eb.list_platform_branches(MaxRecords=2)
    assert len(page["PlatformBranchSummaryList"]) == 2 and page["NextToken"]
    rest = eb.list_platform_branches(NextToken=page["NextToken"])["PlatformBranchSummaryList"]
    assert len(rest) == len(branches(eb)) - 2


@pytest.mark.parametrize(
    "bad",
    [
        term("Flavour", "=", "x"),
        term("LifecycleState", "contains", "supported"),
        term("LifecycleState", "=", "sunset"),
        term("BranchName", "=", "a", "b"),
        term("TierType", "in", "WebServer/Standard"),
    ],
)
def test_a_filter_aws_refuses_is_refused(eb, bad):
    assert error_of(eb.list_platform_branches, Filters=[bad])[0] == "InvalidParameterValue"


def test_a_retired_branch_launches_only_for_an_account_running_it(eb, app, account):
    stacks = eb.list_available_solution_stacks()["SolutionStacks"]
    assert RETIRED not in stacks and NODE in stacks
    assert error_of(create_env, eb, SolutionStackName=RETIRED) == (
        "InvalidParameterValue",
        f"No Solution Stack named '{RETIRED}' found.",
    )
    # AWS retires Node.js 24 after this account launched on it: its environment keeps the branch
    # (and may be updated or launched again beside it); a fresh account cannot launch it.
    create_env(eb)
    wait_for(lambda: describe(eb)["Status"] == "Ready")
    body = {"account_id": account, "region": REGION, "branch": NODE_BRANCH, "lifecycle_state": "retired"}
    status, summary = internal("POST", "/_provision/elasticbeanstalk/branches", body)
    assert status == 200 and summary["LifecycleState"] == "retired"
    assert branches(eb, term("BranchName", "=", NODE_BRANCH))[0]["LifecycleState"] == "retired"
    assert NODE in eb.list_available_solution_stacks()["SolutionStacks"]
    create_env(eb, "shop-next")
    eb.terminate_environment(EnvironmentName="shop-prod")
    eb.terminate_environment(EnvironmentName="shop-next")
    wait_for(lambda: not eb.describe_environments(IncludeDeleted=False)["Environments"])
    assert NODE not in eb.list_available_solution_stacks()["SolutionStacks"]
    assert error_of(create_env, eb)[0] == "InvalidParameterValue"
    bad = internal("POST", "/_provision/elasticbeanstalk/branches", {**body, "lifecycle_state": "sunset"})
    assert bad[0] == 400


def arm_blip(account, red_seconds, name="shop-prod"):
    body = {"account_id": account, "region": REGION, "environment_name": name, "red_seconds": red_seconds}
    return internal("POST", "/_provision/elasticbeanstalk/health", body)


def test_a_health_blip_after_an_update_is_red_then_recovers(eb, app, account):
    create_env(eb)
    wait_for(lambda: describe(eb)["Status"] == "Ready")
    status, armed = arm_blip(account, 2)
    assert status == 200 and armed["red_seconds"] == 2
    assert describe(eb)["Health"] == "Green", "armed, not yet red"
    eb.update_environment(EnvironmentName="shop-prod", OptionSettings=[option(ASG, "MaxSize", "2")])
    env = wait_for(lambda: (e := describe(eb))["Status"] == "Ready" and e)
    assert (env["Health"], env["HealthStatus"]) == ("Red", "Severe")
    wait_for(lambda: describe(eb)["Health"] == "Green")
    events = eb.describe_events(EnvironmentName="shop-prod", Severity="INFO")["Events"]
    texts = [(e["Severity"], e["Message"]) for e in reversed(events)]
    worse = texts.index(("WARN", eb_health.WORSE))
    assert texts[worse + 1] == ("INFO", eb_health.BETTER)
    # Once only: the next update is healthy at once.
    eb.update_environment(EnvironmentName="shop-prod", OptionSettings=[option(ASG, "MaxSize", "3")])
    assert wait_for(lambda: (e := describe(eb))["Status"] == "Ready" and e)["Health"] == "Green"


def test_a_health_blip_can_stay_red(eb, app, account):
    create_env(eb)
    wait_for(lambda: describe(eb)["Status"] == "Ready")
    assert arm_blip(account, None)[0] == 200
    eb.update_environment(EnvironmentName="shop-prod", OptionSettings=[option(ASG, "MaxSize", "2")])
    wait_for(lambda: describe(eb)["Status"] == "Ready")
    time.sleep(0.5)
    assert describe(eb)["Health"] == "Red"
    warnings = eb.describe_events(EnvironmentName="shop-prod", Severity="WARN")["Events"]
    assert [e["Message"] for e in warnings] == [eb_health.WORSE]
    assert arm_blip(account, None, "ghost")[0] == 400
    assert arm_blip(account, -1)[0] == 400
