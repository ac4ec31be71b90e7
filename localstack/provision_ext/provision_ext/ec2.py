"""EC2 refuses to delete what something still holds, as AWS does.

moto deletes a subnet or a security group and detaches an internet gateway whatever is in them,
and deletes a VPC with an internet gateway attached or security groups left. On AWS these answer
`DependencyViolation` (HTTP 400):

- DeleteSubnet: "The subnet '<id>' has dependencies and cannot be deleted." while a network
  interface is in it (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-deleting.html: "You
  must terminate any instances in the subnet ... before you can delete it").
- DeleteSecurityGroup: "resource <id> has a dependent object" while a network interface uses it
  or a rule of another group references it
  (https://docs.aws.amazon.com/vpc/latest/userguide/deleting-security-groups.html: "You can't
  delete a security group that is associated with ... a network interface", nor one "referenced
  by a rule in another security group").
- DetachInternetGateway: "Network <vpc> has some mapped public address(es). Please unmap those
  public address(es) before detaching the gateway." while an elastic IP, a NAT gateway or an
  internet-facing load balancer node maps a public address in the VPC
  (https://docs.aws.amazon.com/vpc/latest/userguide/delete-vpc.html: "detach the internet gateway
  ... You must first disassociate any Elastic IP addresses").
- DeleteVpc: "The vpc '<id>' has dependencies and cannot be deleted." while a network interface,
  an attached internet gateway or a non-default security group is left in it
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html: "You must detach or
  delete all gateways and resources that are associated with the VPC before you can delete it").

Load balancers and databases hold their subnets and groups through requester-managed network
interfaces, which AWS releases minutes after their owner is deleted (the Terraform provider's
`deleteLingeringENIs`: "Some AWS services creates ENIs behind the scenes and keeps these around for
a while"). The extension's Beanstalk and RDS emulations create none, so this module derives them:
one interface per load balancer subnet and instance subnet of each Beanstalk environment, one (two
if Multi-AZ) per RDS instance (description `RDSNetworkInterface`, as AWS's; requester `amazon-elb`
(verified), `amazon-rds` (not verified); instances' interfaces are the account's),
kept for `eni_release_delay` seconds (PROVISION_ENI_RELEASE_DELAY) after the environment is
Terminated or the instance deleted. They are real moto interfaces, so DescribeNetworkInterfaces
shows them as AWS does.
"""

import string
import threading
import time
from dataclasses import dataclass

from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.rds.models import rds_backends

from . import config

EB_VPC = "aws:ec2:vpc"
EB_ENV = "aws:elasticbeanstalk:environment"
EB_INSTANCE_GROUPS = ("aws:autoscaling:launchconfiguration", "SecurityGroups")
EB_LB_GROUPS = ("aws:elbv2:loadbalancer", "SecurityGroups")


@dataclass(frozen=True)
class Holder:
    """One requester-managed network interface some service keeps in a subnet."""

    key: str  # owner and subnet: which interface this is
    subnet: str
    groups: tuple
    description: str
    public: bool
    requester: str | None  # requester-managed by this service; None: the account's own (instances)


_lock = threading.RLock()
# (account, region) -> [(holder, released at)] for deleted RDS instances.
_released: dict[tuple, list] = {}
# (account, region) -> holder key -> moto interface id.
_phantoms: dict[tuple, dict] = {}


def reset(account_id: str | None = None):
    """Forgets one account's interfaces, or every account's."""
    with _lock:
        for table in (_released, _phantoms):
            for key in [k for k in table if account_id is None or k[0] == account_id]:
                del table[key]


def _ids(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _eb_holders(env) -> list[Holder]:
    s = env.merged_settings()
    holders = []
    if s.get((EB_ENV, "EnvironmentType"), "LoadBalanced") == "LoadBalanced":
        public = s.get((EB_VPC, "ELBScheme"), "public") != "internal"
        for subnet in _ids(s.get((EB_VPC, "ELBSubnets"))):
            holders.append(
                Holder(
                    f"eb:{env.id}:lb:{subnet}",
                    subnet,
                    tuple(_ids(s.get(EB_LB_GROUPS))),
                    f"ELB app/awseb-{env.id}/{env.id[2:]}",
                    public,
                    "amazon-elb",
                )
            )
    for subnet in _ids(s.get((EB_VPC, "Subnets"))):
        holders.append(
            Holder(
                f"eb:{env.id}:instance:{subnet}",
                subnet,
                tuple(_ids(s.get(EB_INSTANCE_GROUPS))),
                f"Elastic Beanstalk instance of environment {env.name} ({env.id})",
                False,
                None,
            )
        )
    return holders


def _db_holders(db) -> list[Holder]:
    group = getattr(db, "db_subnet_group", None)
    subnets = [s.id for s in getattr(group, "_subnets", None) or []]
    count = 2 if getattr(db, "multi_az", False) else 1
    return [
        Holder(
            f"rds:{db.db_instance_identifier}:{subnet}",
            subnet,
            tuple(db.vpc_security_group_ids or ()),
            "RDSNetworkInterface",
            False,
            "amazon-rds",
        )
        for subnet in subnets[:count]
    ]


def _wanted(account: str, region: str) -> list[Holder]:
    from .elasticbeanstalk import eb_stores

    now, delay = time.time(), config.seconds("eni_release")
    wanted = []
    for env in list(eb_stores[account][region].environments.values()):
        if env.active or env.updated.timestamp() + delay > now:
            wanted.extend(_eb_holders(env))
    for db in list(rds_backends[account][region].databases.values()):
        wanted.extend(_db_holders(db))
    released = _released.setdefault((account, region), [])
    released[:] = [(h, at) for h, at in released if at + delay > now]
    wanted.extend(h for h, _ in released)
    return wanted


def _reconcile(ec2):
    """Makes the backend's requester-managed interfaces those the owners hold now."""
    with _lock:
        wanted = {h.key: h for h in _wanted(ec2.account_id, ec2.region_name)}
        phantoms = _phantoms.setdefault((ec2.account_id, ec2.region_name), {})
        for key, eni_id in list(phantoms.items()):
            if key not in wanted or eni_id not in ec2.enis:
                ec2.enis.pop(eni_id, None)
                del phantoms[key]
        for key, h in wanted.items():
            if key in phantoms or not any(h.subnet in s for s in ec2.subnets.values()):
                continue
            groups = [g for g in h.groups if ec2.get_security_group_from_id(g)]
            eni = ec2.create_network_interface(h.subnet, None, group_ids=groups, description=h.description)
            eni.requester_managed = h.requester is not None
            eni.requester_id = h.requester or ec2.account_id
            eni.public_ip = "203.0.113.1" if h.public else None
            phantoms[key] = eni.id


def _holding(ec2, pick) -> list:
    """The interfaces for which pick(interface) holds."""
    _reconcile(ec2)
    return [eni for eni in list(ec2.enis.values()) if pick(eni)]


def _names(enis) -> str:
    return ", ".join(f"{e.id} ({e.description or 'no description'})" for e in enis)


# Replacements for moto's EC2 and RDS backend methods (registered in patches.py).


# CreateSecurityGroup's constraints on GroupName and Description
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html): "Up to 255
# characters in length. Cannot start with sg-." and "Valid characters: a-z, A-Z, 0-9, spaces, and
# ._-:/()#,@[]+=&;{}!$*". moto takes any string. AWS answers InvalidParameterValue; its message for
# sg- is "Value (sg-…) for parameter GroupName is invalid. Group names may not be in the format
# sg-*." (as quoted in pulumi/pulumi-awsx#477); the other two messages are ours, in that form.
_GROUP_CHARS = frozenset(string.ascii_letters + string.digits + " ._-:/()#,@[]+=&;{}!$*")


def _group_text_problem(parameter: str, value: str) -> str | None:
    if parameter == "GroupName" and value.startswith("sg-"):
        return "Group names may not be in the format sg-*."
    if len(value) > 255:
        return "It is longer than 255 characters."
    bad = sorted({c for c in value if c not in _GROUP_CHARS})
    if bad:
        return f"Invalid characters: {''.join(bad)}"
    return None


def create_security_group(fn, self, name, description, *args, **kwargs):
    for parameter, value in (("GroupName", name), ("GroupDescription", description)):
        problem = _group_text_problem(parameter, value or "")
        if problem:
            raise EC2ClientError(
                "InvalidParameterValue", f"Value ({value}) for parameter {parameter} is invalid. {problem}"
            )
    return fn(self, name, description, *args, **kwargs)


def delete_subnet(fn, self, subnet_id: str):
    if _holding(self, lambda e: e.subnet.id == subnet_id):
        raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    return fn(self, subnet_id)


def delete_security_group(fn, self, name=None, group_id=None):
    group = self.get_security_group_by_name_or_id(group_id or name)
    if group and (_holding(self, lambda e: group in e._group_set) or _referencing(self, group.id)):
        raise DependencyViolationError(f"resource {group.id} has a dependent object")
    return fn(self, name=name, group_id=group_id)


def detach_internet_gateway(fn, self, internet_gateway_id: str, vpc_id: str):
    igw = self.get_internet_gateway(internet_gateway_id)
    if igw.vpc and igw.vpc.id == vpc_id and _maps_public(self, vpc_id):
        raise DependencyViolationError(
            f"Network {vpc_id} has some mapped public address(es). "
            "Please unmap those public address(es) before detaching the gateway."
        )
    return fn(self, internet_gateway_id, vpc_id)


def delete_vpc(fn, self, vpc_id: str):
    held = _holding(self, lambda e: e.subnet.vpc_id == vpc_id)
    gateways = [g for g in self.internet_gateways.values() if g.vpc and g.vpc.id == vpc_id]
    groups = [g for g in self.groups.get(vpc_id, {}).values() if g.name != "default"]
    if held or gateways or groups:
        raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    return fn(self, vpc_id)


def described(fn, self, *args, **kwargs):
    """What DescribeNetworkInterfaces answers includes the lingering interfaces."""
    _reconcile(self)
    return fn(self, *args, **kwargs)


def delete_nat_gateway(fn, self, nat_gateway_id: str):
    """AWS deletes a NAT gateway's interface with the gateway, which also drops its elastic IP's
    association; moto keeps both (and the interface would hold the subnet for ever)."""
    nat = fn(self, nat_gateway_id)
    self.enis.pop(nat._eni.id, None)
    for address in self.addresses:
        if address.eni is nat._eni:
            address.eni, address.association_id = None, None
    return nat


def delete_db_instance(fn, self, db_instance_identifier: str, *args, **kwargs):
    """A deleted instance's interfaces linger until released."""
    db = self.databases.get(db_instance_identifier)
    holders = _db_holders(db) if db else []
    deleted = fn(self, db_instance_identifier, *args, **kwargs)
    with _lock:
        at = time.time() + config.seconds("rds_delete")  # released once the instance is gone
        released = _released.setdefault((self.account_id, self.region_name), [])
        released.extend((h, at) for h in holders)
    return deleted


def _maps_public(ec2, vpc_id: str) -> bool:
    """An elastic IP on an interface, a live NAT gateway or an internet-facing load balancer node."""
    for address in ec2.addresses:
        if address.eni is not None and address.eni.subnet.vpc_id == vpc_id:
            return True
    if any(n.vpc_id == vpc_id and n.state != "deleted" for n in ec2.nat_gateways.values()):
        return True
    return bool(_holding(ec2, lambda e: e.subnet.vpc_id == vpc_id and e.requester_managed and e.public_ip))


def _referencing(ec2, group_id: str) -> list[str]:
    """Other groups whose rules name this group as their source or destination: AWS refuses to
    delete a group "referenced by another security group" ("You can't delete a security group that
    is referenced by a rule in another security group",
    https://docs.aws.amazon.com/vpc/latest/userguide/deleting-security-groups.html), with the same
    DependencyViolation as for a network interface. A group's rules naming itself do not count."""
    found = []
    for groups in ec2.groups.values():
        for other in list(groups.values()):
            if other.id == group_id:
                continue
            rules = list(other.ingress_rules) + list(other.egress_rules)
            if any((r.source_group or {}).get("GroupId") == group_id for r in rules):
                found.append(other.id)
    return sorted(found)
