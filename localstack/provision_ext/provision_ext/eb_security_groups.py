"""The security groups Elastic Beanstalk makes for an environment, in EC2 (moto).

AWS: "The create environment operation provides an EC2 security group by default" unless
`aws:autoscaling:launchconfiguration DisableDefaultEC2SecurityGroup` is true, and then "you must
provide other security groups with the SecurityGroups option"
(https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/using-features.managing.ec2.aws-cli.html).
An Application Load Balancer gets a group Beanstalk creates too unless
`aws:elbv2:loadbalancer ManagedSecurityGroup` names one
(https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-elbv2).
Both are named `awseb-<env id>-stack-AWSEB…SecurityGroup-…`, live in the environment's VPC and are
listed in the `SecurityGroups` option values DescribeConfigurationSettings returns.
"""

import random
import string

from moto.ec2.models import ec2_backends

LAUNCH_NS = "aws:autoscaling:launchconfiguration"
ELB_NS = "aws:elbv2:loadbalancer"
ENV_NS = "aws:elasticbeanstalk:environment"
VPC_NS = "aws:ec2:vpc"


def _suffix() -> str:
    return "".join(random.choices(string.ascii_uppercase + string.digits, k=12))


def wanted(merged: dict) -> dict:
    """(namespace, 'SecurityGroups') -> logical name, for the groups Beanstalk would make."""
    out = {}
    if merged.get((LAUNCH_NS, "DisableDefaultEC2SecurityGroup"), "false").lower() != "true":
        out[(LAUNCH_NS, "SecurityGroups")] = "AWSEBSecurityGroup"
    balanced = merged.get((ENV_NS, "EnvironmentType"), "LoadBalanced") == "LoadBalanced"
    alb = merged.get((ENV_NS, "LoadBalancerType"), "application") == "application"
    if balanced and alb and not merged.get((ELB_NS, "ManagedSecurityGroup")):
        out[(ELB_NS, "SecurityGroups")] = "AWSEBLoadBalancerSecurityGroup"
    return out


def problem(merged: dict) -> str | None:
    """Why the settings leave the instances without any group, or None."""
    disabled = merged.get((LAUNCH_NS, "DisableDefaultEC2SecurityGroup"), "false").lower() == "true"
    if disabled and not merged.get((LAUNCH_NS, "SecurityGroups")):
        return (
            "Invalid option specification (Namespace: 'aws:autoscaling:launchconfiguration', "
            "OptionName: 'DisableDefaultEC2SecurityGroup'): you must provide other security groups "
            "with the SecurityGroups option."
        )
    return None


def sync(context, env_id: str, merged: dict, groups: dict, terminating: bool = False) -> dict:
    """Creates the groups the settings want and deletes the others; returns the new mapping
    (namespace, option) -> group id."""
    ec2 = ec2_backends[context.account_id][context.region]
    want = {} if terminating else wanted(merged)
    out = {}
    for key, group_id in groups.items():
        if key in want:
            out[key] = group_id
        else:
            try:
                ec2.delete_security_group(group_id=group_id)
            except Exception:  # noqa: BLE001 - already gone is fine
                pass
    for key, logical in want.items():
        if key in out:
            continue
        vpc_id = merged.get((VPC_NS, "VPCId")) or None
        group = ec2.create_security_group(
            f"awseb-{env_id}-stack-{logical}-{_suffix()}",
            f"SecurityGroup for ElasticBeanstalk environment {env_id}",
            vpc_id=vpc_id,
            tags={"elasticbeanstalk:environment-id": env_id},
        )
        out[key] = group.id
    return out


def merged_with(settings: dict, groups: dict) -> dict:
    """The settings as AWS reports them: each made group joined to its SecurityGroups value."""
    out = dict(settings)
    for key, group_id in groups.items():
        given = [g for g in out.get(key, "").split(",") if g.strip()]
        out[key] = ",".join(given + [group_id])
    return out
