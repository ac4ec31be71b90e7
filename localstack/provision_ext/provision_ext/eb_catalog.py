"""Elastic Beanstalk's static knowledge: solution stacks and the option settings it understands.

The option table follows the "General options for all environments" and platform-specific option
pages of the Elastic Beanstalk Developer Guide; it holds the namespaces an application like
provision's uses, with AWS's defaults for environments created through the API.
"""

import re
from dataclasses import dataclass

# What a fresh account can launch: each branch's recommended version only. "You can launch an
# environment only on the latest platform version of a supported or deprecated branch, unless
# your account used an older version in the last 30 days" (Elastic Beanstalk Developer Guide,
# "Platform versions": https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/platforms-supported.html),
# so superseded versions, such as v6.6.0 of the Node.js branches, are refused with AWS's
# InvalidParameterValue. Newer versions a test releases (`/_provision/elasticbeanstalk/platforms`)
# are listed before these, per account, and the account may keep launching what it ran.
#
# As of late 2026. The Node.js versions are v6.11.5, current from late July 2026 ("64bit Amazon
# Linux 2023 v6.11.5 running Node.js 24"; Node.js 20's last, on "Elastic Beanstalk platform
# versions scheduled for retirement",
# https://docs.aws.amazon.com/elasticbeanstalk/latest/platforms/platforms-retiring.html); the
# retired and deprecated branches' versions are the last that page lists; the other supported
# branches keep the versions of the January 2026 "supported platforms" list (not every one
# checked since). Retired branches' versions are listed only to an account that runs one
# (`BRANCHES` below).
SOLUTION_STACKS = [
    "64bit Amazon Linux 2023 v6.11.5 running Node.js 24",
    "64bit Amazon Linux 2023 v6.11.5 running Node.js 22",
    "64bit Amazon Linux 2023 v6.11.5 running Node.js 20",
    "64bit Amazon Linux 2023 v6.7.2 running Node.js 18",
    "64bit Amazon Linux 2023 v4.7.0 running Python 3.13",
    "64bit Amazon Linux 2023 v4.7.0 running Python 3.12",
    "64bit Amazon Linux 2023 v4.7.0 running Python 3.11",
    "64bit Amazon Linux 2023 v4.13.5 running Python 3.9",
    "64bit Amazon Linux 2023 v4.7.0 running Docker",
    "64bit Amazon Linux 2023 v4.5.0 running ECS",
    "64bit Amazon Linux 2023 v4.6.0 running Go 1",
    "64bit Amazon Linux 2023 v4.7.0 running Corretto 21",
    "64bit Amazon Linux 2023 v4.7.0 running Corretto 17",
    "64bit Amazon Linux 2023 v5.8.0 running Tomcat 10 Corretto 21",
    "64bit Amazon Linux 2023 v5.8.0 running Tomcat 10 Corretto 17",
    "64bit Amazon Linux 2023 v3.11.5 running .NET 8",
    "64bit Amazon Linux 2023 v4.8.0 running PHP 8.4",
    "64bit Amazon Linux 2023 v4.8.0 running PHP 8.3",
    "64bit Amazon Linux 2023 v4.13.5 running PHP 8.2",
    "64bit Amazon Linux 2023 v4.7.0 running Ruby 3.4",
    "64bit Amazon Linux 2023 v4.7.0 running Ruby 3.3",
    "64bit Amazon Linux 2 v5.11.0 running Node.js 18",
    "64bit Amazon Linux 2 v4.9.5 running Docker",
    "64bit Amazon Linux 2 v3.14.5 running Corretto 11",
    "64bit Windows Server 2022 v2.19.2 running IIS 10.0",
    "64bit Windows Server Core 2022 v2.19.2 running IIS 10.0",
]


@dataclass(frozen=True)
class Branch:
    """A platform branch as ListPlatformBranches summarises it (PlatformBranchSummary,
    https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_PlatformBranchSummary.html)."""

    name: str
    platform: str  # PlatformName
    lifecycle: str  # beta | supported | deprecated | retired
    order: int  # BranchOrder: "A larger BranchOrder value designates a newer platform branch"
    tiers: tuple = ("WebServer/Standard", "Worker/SQS/HTTP")


# Each catalogued branch's lifecycle state as of late 2026. A branch is deprecated once AWS
# schedules its retirement and retired on that date: "Retired platform branches are no longer
# available for creating new environments" ("About Elastic Beanstalk platforms",
# https://docs.aws.amazon.com/elasticbeanstalk/latest/platforms/welcome.html). Dates from the
# retiring page above: Node.js 20, Python 3.9 (AL2023) and every AL2 branch here retired on
# 2026-07-31 and 2026-06-30; .NET 8 and PHP 8.2 (AL2023) retire on 2027-03-31, so they are
# deprecated; Node.js 18 retired on 2025-08-11 ("Release: Elastic Beanstalk Node.js 18 on AL2023
# and AL2 platform branches retired on August 11, 2025", AWS Elastic Beanstalk release notes).
# Platform names follow the docs' platform sections; BranchOrder values are this emulator's
# (larger is newer within a platform), AWS's own numbers were not checked.
BRANCHES = {
    b.name: b
    for b in [
        Branch("Node.js 24 running on 64bit Amazon Linux 2023", "Node.js", "supported", 5),
        Branch("Node.js 22 running on 64bit Amazon Linux 2023", "Node.js", "supported", 4),
        Branch("Node.js 20 running on 64bit Amazon Linux 2023", "Node.js", "retired", 3),
        Branch("Node.js 18 running on 64bit Amazon Linux 2023", "Node.js", "retired", 2),
        Branch("Node.js 18 running on 64bit Amazon Linux 2", "Node.js", "retired", 1),
        Branch("Python 3.13 running on 64bit Amazon Linux 2023", "Python", "supported", 4),
        Branch("Python 3.12 running on 64bit Amazon Linux 2023", "Python", "supported", 3),
        Branch("Python 3.11 running on 64bit Amazon Linux 2023", "Python", "supported", 2),
        Branch("Python 3.9 running on 64bit Amazon Linux 2023", "Python", "retired", 1),
        Branch("Docker running on 64bit Amazon Linux 2023", "Docker", "supported", 3),
        Branch("ECS running on 64bit Amazon Linux 2023", "Docker", "supported", 2),
        Branch("Docker running on 64bit Amazon Linux 2", "Docker", "retired", 1),
        Branch("Go 1 running on 64bit Amazon Linux 2023", "Go", "supported", 1),
        Branch("Corretto 21 running on 64bit Amazon Linux 2023", "Java SE", "supported", 3),
        Branch("Corretto 17 running on 64bit Amazon Linux 2023", "Java SE", "supported", 2),
        Branch("Corretto 11 running on 64bit Amazon Linux 2", "Java SE", "retired", 1),
        Branch("Tomcat 10 Corretto 21 running on 64bit Amazon Linux 2023", "Tomcat", "supported", 2),
        Branch("Tomcat 10 Corretto 17 running on 64bit Amazon Linux 2023", "Tomcat", "supported", 1),
        Branch(".NET 8 running on 64bit Amazon Linux 2023", ".NET Core on Linux", "deprecated", 1),
        Branch("PHP 8.4 running on 64bit Amazon Linux 2023", "PHP", "supported", 3),
        Branch("PHP 8.3 running on 64bit Amazon Linux 2023", "PHP", "supported", 2),
        Branch("PHP 8.2 running on 64bit Amazon Linux 2023", "PHP", "deprecated", 1),
        Branch("Ruby 3.4 running on 64bit Amazon Linux 2023", "Ruby", "supported", 2),
        Branch("Ruby 3.3 running on 64bit Amazon Linux 2023", "Ruby", "supported", 1),
        Branch(
            "IIS 10.0 running on 64bit Windows Server 2022",
            ".NET on Windows Server",
            "supported",
            2,
            ("WebServer/Standard",),
        ),
        Branch(
            "IIS 10.0 running on 64bit Windows Server Core 2022",
            ".NET on Windows Server",
            "supported",
            1,
            ("WebServer/Standard",),
        ),
    ]
}

_STACK_NAME = re.compile(r"^64bit (?P<os>.+?) v(?P<version>[\d.]+) running (?P<platform>.+)$")


def platform_arn(solution_stack: str, region: str) -> str:
    """'64bit Amazon Linux 2023 v6.6.0 running Node.js 20' ->
    'arn:aws:elasticbeanstalk:REGION::platform/Node.js 20 running on 64bit Amazon Linux 2023/6.6.0'"""
    m = _STACK_NAME.match(solution_stack)
    return (
        f"arn:aws:elasticbeanstalk:{region}::platform/"
        f"{m['platform']} running on 64bit {m['os']}/{m['version']}"
    )


def branch_of(solution_stack: str) -> str | None:
    """'64bit Amazon Linux 2023 v6.11.5 running Node.js 24' ->
    'Node.js 24 running on 64bit Amazon Linux 2023'."""
    m = _STACK_NAME.match(solution_stack)
    return f"{m['platform']} running on 64bit {m['os']}" if m else None


def is_solution_stack(name: str) -> bool:
    """Whether `name` has a solution stack's shape ('64bit OS vX.Y.Z running PLATFORM')."""
    return _STACK_NAME.match(name) is not None


assert all(branch_of(stack) in BRANCHES for stack in SOLUTION_STACKS), "every stack's branch has a state"


def solution_stack_of(arn: str, extra: list[str] = ()) -> str | None:
    for stack in [*extra, *SOLUTION_STACKS]:
        if platform_arn(stack, arn.split(":")[3]) == arn:
            return stack
    return None


def permitted_file_types(solution_stack: str) -> list[str]:
    if "Docker" in solution_stack or "ECS" in solution_stack:
        return ["zip", "json"]
    if "Corretto" in solution_stack or "Tomcat" in solution_stack:
        return ["jar", "war", "zip"]
    return ["zip"]


@dataclass(frozen=True)
class Option:
    default: str | None = None
    kind: str = "text"  # text | int | bool | enum
    low: int = 0
    high: int = 0
    values: tuple[str, ...] = ()

    def problem(self, value: str) -> str | None:
        """Why `value` is not acceptable, in AWS's words, or None."""
        if self.kind == "int":
            if not re.fullmatch(r"-?\d+", value):
                return "Value is not an integer."
            if int(value) < self.low:
                return f"Value is less than minimum allowed value: {self.low}"
            if int(value) > self.high:
                return f"Value is greater than maximum allowed value: {self.high}"
        if self.kind in ("bool", "enum"):
            allowed = ("true", "false") if self.kind == "bool" else self.values
            if (value.lower() if self.kind == "bool" else value) not in allowed:
                return f"Value is not one of the allowed values: [{', '.join(allowed)}]"
        return None


def Int(default, low, high):
    return Option(default, "int", low, high)


def Bool(default):
    return Option(default, "bool")


def Enum(default, *values):
    return Option(default, "enum", values=values)


TEXT = Option()

# Namespaces whose option names are free (environment properties, static file mappings).
FREE_FORM = {
    "aws:elasticbeanstalk:application:environment",
    "aws:elasticbeanstalk:application:environmentsecrets",
    "aws:elasticbeanstalk:environment:proxy:staticfiles",
}

_PROCESS = {
    "DeregistrationDelay": Int("20", 0, 3600),
    "HealthCheckInterval": Int("15", 5, 300),
    "HealthCheckPath": Option("/"),
    "HealthCheckTimeout": Int("5", 1, 60),
    "HealthyThresholdCount": Int("3", 2, 10),
    "MatcherHTTPCode": TEXT,
    "Port": Int("80", 1, 65535),
    "Protocol": Enum("HTTP", "HTTP", "HTTPS", "TCP"),
    "StickinessEnabled": Bool("false"),
    "StickinessLBCookieDuration": Int("86400", 1, 604800),
    "StickinessType": Enum("lb_cookie", "lb_cookie"),
    "UnhealthyThresholdCount": Int("5", 2, 10),
}
_LISTENER = {
    "DefaultProcess": Option("default"),
    "ListenerEnabled": Bool("true"),
    "Protocol": Enum("HTTP", "HTTP", "HTTPS", "TCP"),
    "Rules": TEXT,
    "SSLCertificateArns": TEXT,
    "SSLPolicy": TEXT,
}
_LOG_RETENTION = Enum(
    "7", *map(str, (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653))
)

OPTIONS: dict[str, dict[str, Option]] = {
    "aws:autoscaling:asg": {
        "Availability Zones": Enum("Any", "Any", "Any 1", "Any 2", "Any 3"),
        "Cooldown": Int("360", 0, 10000),
        "Custom Availability Zones": TEXT,
        "EnableCapacityRebalancing": Bool("false"),
        # 0 and 0 pause a load-balanced environment ("Pausing and resuming Elastic Beanstalk
        # environments": "use the UpdateEnvironment action ... to set the minimum and maximum
        # instance counts to zero"); a single-instance one cannot be (elasticbeanstalk.py).
        "MaxSize": Int("4", 0, 10000),
        "MinSize": Int("1", 0, 10000),
    },
    "aws:autoscaling:launchconfiguration": {
        "BlockDeviceMappings": TEXT,
        "DisableDefaultEC2SecurityGroup": Bool("false"),
        "DisableDefaultEC2SecurityGroup": Bool("false"),
        "DisableIMDSv1": Bool("true"),
        "EC2KeyName": TEXT,
        "IamInstanceProfile": TEXT,
        "ImageId": TEXT,
        "InstanceType": TEXT,
        "MonitoringInterval": Enum("5 minute", "1 minute", "5 minute"),
        "RootVolumeIOPS": Int(None, 100, 64000),
        "RootVolumeSize": Int(None, 10, 16384),
        "RootVolumeThroughput": Int(None, 125, 1000),
        "RootVolumeType": Enum(None, "standard", "gp2", "gp3", "io1"),
        "SecurityGroups": TEXT,
        "SSHSourceRestriction": TEXT,
    },
    "aws:autoscaling:trigger": {
        "BreachDuration": Int("5", 1, 600),
        "EvaluationPeriods": Int("1", 1, 600),
        "LowerBreachScaleIncrement": Int("-1", -10000, 10000),
        "LowerThreshold": Int("2000000", 0, 20000000),
        "MeasureName": Enum(
            "NetworkOut",
            "CPUUtilization",
            "NetworkIn",
            "NetworkOut",
            "DiskWriteOps",
            "DiskReadBytes",
            "DiskReadOps",
            "DiskWriteBytes",
            "Latency",
            "RequestCount",
            "HealthyHostCount",
            "UnhealthyHostCount",
        ),
        "Period": Int("5", 1, 600),
        "Statistic": Enum("Average", "Minimum", "Maximum", "Sum", "Average"),
        "Unit": Enum(
            "Bytes",
            "Seconds",
            "Percent",
            "Bytes",
            "Bits",
            "Count",
            "Bytes/Second",
            "Bits/Second",
            "Count/Second",
            "None",
        ),
        "UpperBreachScaleIncrement": Int("1", -10000, 10000),
        "UpperThreshold": Int("6000000", 0, 20000000),
    },
    "aws:autoscaling:updatepolicy:rollingupdate": {
        "MaxBatchSize": Int(None, 1, 10000),
        "MinInstancesInService": Int(None, 0, 9999),
        "PauseTime": TEXT,
        "RollingUpdateEnabled": Bool("false"),
        "RollingUpdateType": Enum("Time", "Time", "Health", "Immutable"),
        "Timeout": Option("PT30M"),
    },
    "aws:ec2:instances": {
        "EnableSpot": Bool("false"),
        "InstanceTypes": Option("t3.micro, t3.small"),
        "SpotFleetOnDemandAboveBasePercentage": Int(None, 0, 100),
        "SpotFleetOnDemandBase": Int("0", 0, 10000),
        "SpotMaxPrice": TEXT,
        "SupportedArchitectures": Option("x86_64"),
    },
    "aws:ec2:vpc": {
        "AssociatePublicIpAddress": Bool(None),
        "DBSubnets": TEXT,
        "ELBScheme": Enum("public", "public", "internal"),
        "ELBSubnets": TEXT,
        "Subnets": TEXT,
        "VPCId": TEXT,
    },
    "aws:elasticbeanstalk:application": {"Application Healthcheck URL": Option("")},
    "aws:elasticbeanstalk:application:environment": {},
    "aws:elasticbeanstalk:application:environmentsecrets": {},
    "aws:elasticbeanstalk:cloudwatch:logs": {
        "DeleteOnTerminate": Bool("false"),
        "RetentionInDays": _LOG_RETENTION,
        "StreamLogs": Bool("false"),
    },
    "aws:elasticbeanstalk:cloudwatch:logs:health": {
        "DeleteOnTerminate": Bool("false"),
        "HealthStreamingEnabled": Bool("false"),
        "RetentionInDays": _LOG_RETENTION,
    },
    "aws:elasticbeanstalk:command": {
        "BatchSize": Int("100", 1, 10000),
        "BatchSizeType": Enum("Percentage", "Percentage", "Fixed"),
        "DeploymentPolicy": Enum(
            "AllAtOnce", "AllAtOnce", "Rolling", "RollingWithAdditionalBatch", "Immutable", "TrafficSplitting"
        ),
        "IgnoreHealthCheck": Bool("false"),
        "Timeout": Int("600", 1, 3600),
    },
    "aws:elasticbeanstalk:container:python": {
        "NumProcesses": Int("1", 1, 10000),
        "NumThreads": Int("15", 1, 10000),
        "WSGIPath": Option("application"),
    },
    "aws:elasticbeanstalk:environment": {
        "EnvironmentType": Enum("LoadBalanced", "LoadBalanced", "SingleInstance"),
        "LoadBalancerIsShared": Bool("false"),
        "LoadBalancerType": Enum("application", "classic", "application", "network"),
        "ServiceRole": TEXT,
    },
    "aws:elasticbeanstalk:environment:process:default": _PROCESS,
    "aws:elasticbeanstalk:environment:proxy": {"ProxyServer": Enum("nginx", "nginx", "apache", "none")},
    "aws:elasticbeanstalk:environment:proxy:staticfiles": {},
    "aws:elasticbeanstalk:healthreporting:system": {
        "ConfigDocument": TEXT,
        "EnhancedHealthAuthEnabled": Bool("true"),
        "SystemType": Enum("enhanced", "basic", "enhanced"),
    },
    "aws:elasticbeanstalk:hostmanager": {"LogPublicationControl": Bool("false")},
    "aws:elasticbeanstalk:managedactions": {
        "ManagedActionsEnabled": Bool("false"),
        "PreferredStartTime": TEXT,
        "ServiceRoleForManagedUpdates": TEXT,
    },
    "aws:elasticbeanstalk:managedactions:platformupdate": {
        "InstanceRefreshEnabled": Bool("false"),
        "UpdateLevel": Enum(None, "minor", "patch"),
    },
    "aws:elasticbeanstalk:monitoring": {"Automatically Terminate Unhealthy Instances": Bool("true")},
    "aws:elasticbeanstalk:sns:topics": {
        "Notification Endpoint": TEXT,
        "Notification Protocol": Enum("email", "http", "https", "email", "email-json", "sqs"),
        "Notification Topic ARN": TEXT,
        "Notification Topic Name": TEXT,
    },
    "aws:elasticbeanstalk:xray": {"XRayEnabled": Bool("false")},
    "aws:elb:healthcheck": {
        "HealthyThreshold": Int("3", 2, 10),
        "Interval": Int("10", 5, 300),
        "Target": Option("TCP:80"),
        "Timeout": Int("5", 2, 60),
        "UnhealthyThreshold": Int("5", 2, 10),
    },
    "aws:elb:listener": {
        "InstancePort": Int("80", 1, 65535),
        "InstanceProtocol": Enum("HTTP", "HTTP", "HTTPS", "TCP", "SSL"),
        "ListenerEnabled": Bool("true"),
        "ListenerProtocol": Enum("HTTP", "HTTP", "HTTPS", "TCP", "SSL"),
        "PolicyNames": TEXT,
    },
    "aws:elb:loadbalancer": {
        "CrossZone": Bool("false"),
        "ManagedSecurityGroup": TEXT,
        "SecurityGroups": TEXT,
    },
    "aws:elb:policies": {
        "ConnectionDrainingEnabled": Bool("false"),
        "ConnectionDrainingTimeout": Int("20", 1, 3600),
        "ConnectionSettingIdleTimeout": Int("60", 1, 3600),
        "Stickiness Cookie Expiration": Int("0", 0, 1000000),
        "Stickiness Policy": Bool("false"),
    },
    "aws:elbv2:listener:default": _LISTENER,
    "aws:elbv2:loadbalancer": {
        "AccessLogsS3Bucket": TEXT,
        "AccessLogsS3Enabled": Bool("false"),
        "AccessLogsS3Prefix": TEXT,
        "IdleTimeout": Int(None, 1, 3600),
        "ManagedSecurityGroup": TEXT,
        "SecurityGroups": TEXT,
    },
}

# Namespaces with a name part chosen by the user: a listener port, a process or rule name.
_PATTERNS = [
    (re.compile(r"aws:elbv2:listener:\d+"), _LISTENER),
    (re.compile(r"aws:elasticbeanstalk:environment:process:[\w-]+"), _PROCESS),
    (
        re.compile(r"aws:elbv2:listenerrule:[\w-]+"),
        {
            "PathPatterns": TEXT,
            "HostHeaders": TEXT,
            "Priority": Int("1", 1, 1000),
            "Process": Option("default"),
        },
    ),
]


def options_of(namespace: str) -> dict[str, Option] | None:
    if namespace in OPTIONS:
        return OPTIONS[namespace]
    for pattern, options in _PATTERNS:
        if pattern.fullmatch(namespace):
            return options
    return None


def default_settings(solution_stack: str, environment_type: str, load_balancer_type: str) -> dict:
    """{(namespace, option): default} as DescribeConfigurationSettings shows them for such an environment."""
    skip = {"aws:elasticbeanstalk:container:python"} if "Python" not in solution_stack else set()
    if environment_type == "SingleInstance":
        skip |= {ns for ns in OPTIONS if ns.startswith(("aws:elb", "aws:elbv2"))}
        skip.add("aws:elasticbeanstalk:environment:process:default")
    elif load_balancer_type == "classic":
        skip |= {ns for ns in OPTIONS if ns.startswith("aws:elbv2")}
    else:
        skip |= {ns for ns in OPTIONS if ns.startswith("aws:elb:")}
    defaults = {
        (ns, name): option.default
        for ns, options in OPTIONS.items()
        if ns not in skip
        for name, option in options.items()
        if option.default is not None
    }
    if environment_type == "SingleInstance":
        defaults[("aws:autoscaling:asg", "MaxSize")] = "1"
    return defaults
