"""Beanstalk's environment events, the instance-profile rule that launches fail on, and the
service-role rule requests are refused on.

AWS no longer creates a default instance profile ("Elastic Beanstalk no longer creates a default
aws-elasticbeanstalk-ec2-role instance profile",
https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/iam-instanceprofile.html), and
CreateEnvironment does not check the option itself: the launch fails afterwards, with ERROR events
("Environment must have instance profile associated with it." when the option is missing, "The
instance profile NAME associated with the environment does not exist." when IAM has no such
profile, then "Failed to launch environment.") and the environment ends Terminated.
DescribeEvents follows https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_DescribeEvents.html:
Severity keeps that level "or higher", StartTime is "on or after", EndTime "up to, but not
including", newest first, MaxRecords 1-1000.
"""

from datetime import UTC, datetime

from moto.iam.models import iam_backends

LAUNCH_NS = "aws:autoscaling:launchconfiguration"
SEVERITIES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")


def launch_failure(account_id: str, partition: str, settings: dict) -> str | None:
    """Why a launch with these merged settings fails for want of an instance profile, or None."""
    value = (settings.get((LAUNCH_NS, "IamInstanceProfile")) or "").strip()
    if not value:
        return "Environment must have instance profile associated with it."
    # The option takes a profile name or ARN (…:instance-profile/[path/]name).
    name = value.rsplit("/", 1)[-1] if value.startswith("arn:") else value
    profiles = iam_backends[account_id][partition].instance_profiles
    profile = profiles.get(name)
    if profile is None or (value.startswith("arn:") and profile.arn != value):
        return f"The instance profile {value} associated with the environment does not exist."
    return None


# ServiceRole (aws:elasticbeanstalk:environment) is a role name or ARN Beanstalk assumes, so it must
# pass it (iam:PassRole) when the request is made: CreateEnvironment and UpdateEnvironment list
# InsufficientPrivilegesException (HTTP 403, "The specified account does not have sufficient
# privileges for one or more AWS services",
# https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_CreateEnvironment.html), and AWS
# answers a role it cannot pass with "Insufficient privileges for IAM PassRole Action." (reported
# in aws-cloudformation/cloudformation-coverage-roadmap#2293 for a ServiceRole given as a name
# that resolves to no role). The refusal is synchronous, unlike the instance profile's, which only
# fails the launch.
ENV_NS = "aws:elasticbeanstalk:environment"


def service_role_problem(account_id: str, partition: str, given: dict) -> str | None:
    """Why the ServiceRole these request settings name cannot be passed, or None."""
    value = (given.get((ENV_NS, "ServiceRole")) or "").strip()
    if not value:
        return None  # unset: Beanstalk uses its service-linked role
    name = value.rsplit("/", 1)[-1] if value.startswith("arn:") else value
    roles = iam_backends[account_id][partition].roles.values()
    if not any(r.name == name and (not value.startswith("arn:") or r.arn == value) for r in roles):
        return "Insufficient privileges for IAM PassRole Action."
    return None


def event(env, severity: str, message: str, date: datetime) -> dict:
    return {
        "EventDate": date,
        "Message": message,
        "ApplicationName": env.application,
        "EnvironmentName": env.name,
        "Severity": severity,
        **({"VersionLabel": env.version_label} if env.version_label else {}),
        **({"PlatformArn": env.platform_arn} if env.platform_arn else {}),
    }


def _aware(value):
    return value.replace(tzinfo=UTC) if value and not value.tzinfo else value


def select(events: list[dict], request: dict) -> dict:
    """The DescribeEvents answer for events already filtered to the request's environments."""
    severity = request.get("Severity") or "TRACE"
    if severity not in SEVERITIES:
        raise ValueError(severity)
    floor = SEVERITIES.index(severity)
    start, end = _aware(request.get("StartTime")), _aware(request.get("EndTime"))
    chosen = [
        e
        for e in events
        if SEVERITIES.index(e["Severity"]) >= floor
        and (not start or e["EventDate"] >= start)
        and (not end or e["EventDate"] < end)
        and (not request.get("VersionLabel") or e.get("VersionLabel") == request["VersionLabel"])
    ]
    chosen.sort(key=lambda e: e["EventDate"], reverse=True)
    first = int(request.get("NextToken") or 0)
    last = first + (request.get("MaxRecords") or 1000)
    result = {"Events": chosen[first:last]}
    if last < len(chosen):
        result["NextToken"] = str(last)
    return result
