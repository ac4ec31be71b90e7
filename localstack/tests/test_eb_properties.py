"""Environment properties and environment secrets (eb_properties.py): values and names outside the
documented character sets, properties over 4,096 bytes together and secrets that are no ARN are
refused with ConfigurationValidationException; an RDS-managed secret's ARN is accepted as a secret."""

import pytest
from botocore.exceptions import ClientError
from support import EC2_TRUST

NODE = "64bit Amazon Linux 2023 v6.11.5 running Node.js 24"
PROPERTIES = "aws:elasticbeanstalk:application:environment"
SECRETS = "aws:elasticbeanstalk:application:environmentsecrets"
LAUNCH = "aws:autoscaling:launchconfiguration"


@pytest.fixture
def eb(aws):
    iam = aws("iam")
    iam.create_role(RoleName="shop-ec2", AssumeRolePolicyDocument=EC2_TRUST)
    iam.create_instance_profile(InstanceProfileName="shop-ec2")
    iam.add_role_to_instance_profile(InstanceProfileName="shop-ec2", RoleName="shop-ec2")
    client = aws("elasticbeanstalk")
    client.create_application(ApplicationName="shop")
    return client


@pytest.fixture
def instant(eb_status_delay):
    eb_status_delay(0)


def option(namespace, name, value):
    return {"Namespace": namespace, "OptionName": name, "Value": value}


def create(eb, *settings):
    return eb.create_environment(
        ApplicationName="shop",
        EnvironmentName="shop-prod",
        SolutionStackName=NODE,
        OptionSettings=[option(LAUNCH, "IamInstanceProfile", "shop-ec2"), *settings],
    )


def refusal(call, *args, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    error = raised.value.response["Error"]
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def secrets_of(eb):
    config = eb.describe_configuration_settings(ApplicationName="shop", EnvironmentName="shop-prod")
    return {
        o["OptionName"]: o.get("Value")
        for o in config["ConfigurationSettings"][0]["OptionSettings"]
        if o["Namespace"] in (PROPERTIES, SECRETS)
    }


def rds_secret(aws, account) -> str:
    """A real RDS-managed master secret's ARN, as the emulator's RDS makes it (`…:secret:rds!db-…`)."""
    rds = aws("rds")
    db = rds.create_db_instance(
        DBInstanceIdentifier="shop-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="shop",
        ManageMasterUserPassword=True,
    )["DBInstance"]
    arn = db["MasterUserSecret"]["SecretArn"]
    assert f":{account}:secret:rds!db-" in arn
    return arn


def test_an_rds_secret_arn_is_refused_as_a_property_and_accepted_as_a_secret(eb, aws, account, instant):
    arn = rds_secret(aws, account)
    status, code, message = refusal(create, eb, option(PROPERTIES, "DB_SECRET_ARN", arn))
    assert (status, code) == (400, "ConfigurationValidationException")
    assert message.startswith(
        f"Configuration validation exception: Invalid option value: '{arn}' "
        f"(Namespace: '{PROPERTIES}', OptionName: 'DB_SECRET_ARN'): Value does not satisfy regex"
    ), message
    assert eb.describe_environments(EnvironmentNames=["shop-prod"])["Environments"] == []

    create(
        eb,
        option(PROPERTIES, "DB_HOST", "shop-db.abc.us-east-2.rds.amazonaws.com"),
        option(SECRETS, "DB_USER", f"{arn}:username"),
        option(SECRETS, "DB_PASSWORD", f"{arn}:password"),
        option(SECRETS, "API_TOKEN", f"arn:aws:ssm:us-east-2:{account}:parameter/shop/token"),
    )
    assert secrets_of(eb) == {
        "DB_HOST": "shop-db.abc.us-east-2.rds.amazonaws.com",
        "DB_USER": f"{arn}:username",
        "DB_PASSWORD": f"{arn}:password",
        "API_TOKEN": f"arn:aws:ssm:us-east-2:{account}:parameter/shop/token",
    }


@pytest.mark.parametrize(
    "namespace,name,value",
    [
        (PROPERTIES, "GREETING", "hello, world"),
        (PROPERTIES, "PATTERN", "{x}"),
        (PROPERTIES, "LIMIT", "50%"),
        (SECRETS, "TOKEN", "hunter2"),
        (SECRETS, "TOKEN", "arn:aws:secretsmanager:us-east-2:123456789012:secret:s:key:extra"),
        (SECRETS, "TOKEN", "arn:aws:ssm:us-east-2:123456789012:parameter/p:key"),
    ],
)
def test_values_outside_the_documented_sets_are_refused(eb, namespace, name, value):
    status, code, message = refusal(create, eb, option(namespace, name, value))
    assert (status, code) == (400, "ConfigurationValidationException")
    assert f"Invalid option value: '{value}' (Namespace: '{namespace}', OptionName: '{name}')" in message
    # ValidateConfigurationSettings reports the same, as an error message.
    messages = eb.validate_configuration_settings(
        ApplicationName="shop", OptionSettings=[option(namespace, name, value)]
    )["Messages"]
    assert [(m["Severity"], m["Namespace"], m["OptionName"]) for m in messages] == [("error", namespace, name)]


def test_names_outside_the_documented_set_are_refused(eb):
    status, code, message = refusal(create, eb, option(PROPERTIES, "MY VAR", "x"))
    assert (status, code) == (400, "ConfigurationValidationException")
    assert f"Invalid option specification (Namespace: '{PROPERTIES}', OptionName: 'MY VAR')" in message


def test_the_documented_symbols_are_accepted(eb, instant):
    value = "a b\tc_d.e:f/g=h+i\\j-k@l'm\"n"
    create(eb, option(PROPERTIES, "MIXED", value), option(PROPERTIES, "a.b:c/d+e\\f-g@h", "1"))
    assert secrets_of(eb) == {"MIXED": value, "a.b:c/d+e\\f-g@h": "1"}


def test_properties_stay_within_4096_bytes_together(eb, instant):
    # `A=` + 2,000 and `B=` + 2,092 bytes: 4,096 exactly, accepted.
    create(eb, option(PROPERTIES, "A", "a" * 2000), option(PROPERTIES, "B", "b" * 2092))
    assert len(secrets_of(eb)["B"]) == 2092
    # One more byte, in an update that merges with what the environment has: refused.
    status, code, message = refusal(
        eb.update_environment, EnvironmentName="shop-prod", OptionSettings=[option(PROPERTIES, "B", "b" * 2093)]
    )
    assert (status, code) == (400, "ConfigurationValidationException")
    assert "4097 bytes" in message and "cannot exceed 4096 bytes" in message
    # Removing a property makes room again.
    eb.update_environment(
        EnvironmentName="shop-prod",
        OptionSettings=[option(PROPERTIES, "B", "b" * 2093)],
        OptionsToRemove=[{"Namespace": PROPERTIES, "OptionName": "A"}],
    )
    assert set(secrets_of(eb)) == {"B"}
