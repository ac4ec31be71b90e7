"""API Gateway v2 VPC links, which community LocalStack does not serve (it has no apigatewayv2
provider); the rest of apigatewayv2 answers 501 Not Implemented.

provision reaches the backend's internal load balancer through a VPC link V2 from a REST API
(https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html). What AWS
documents and this provider follows:

- CreateVpcLink (https://docs.aws.amazon.com/apigateway/latest/api-reference/vpclinks.html) takes a
  name, subnet ids, security group ids and tags and answers 201 with the link in status PENDING;
  "API Gateway creates and manages elastic network interfaces for the VPC link V2 in your account.
  This process can take a few minutes ... state transitions from PENDING to AVAILABLE"
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-vpc-links-v2.html). Here
  the link stays PENDING for config.seconds("vpc_link_create") seconds (DELETING: "vpc_link_delete").
- The subnets and security groups must exist and belong to one VPC (the ENIs are created in them);
  at most 10 subnets per link (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
  A bad request is a BadRequestException (400), the error CreateVpcLink lists.
- DeleteVpcLink answers 202 and the link reads DELETING until its ENIs are gone (the same delay),
  then GetVpcLink answers NotFoundException (404).
- Tags: on create, or TagResource/UntagResource/GetTags on arn:aws:apigateway:{region}::/vpclinks/{id}.
- The link's network interfaces are in its subnets and carry its groups until its deletion
  finishes, so EC2 refuses deleting them meanwhile with DependencyViolation, as for any subnet or
  group with network interfaces (DeleteSubnet: "You must terminate all running instances in the
  subnet before you can delete the subnet"; DeleteSecurityGroup: "If you attempt to delete a
  security group that is associated with an instance or network interface ... the operation fails
  with DependencyViolation", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html).
"""

import random
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute
from localstack.state import StateVisitor
from moto.ec2.exceptions import DependencyViolationError, InvalidSubnetIdError
from moto.ec2.models import ec2_backends

from . import config

MAX_SUBNETS = 10


def bad_request(message: str) -> CommonServiceException:
    return CommonServiceException("BadRequestException", message, status_code=400, sender_fault=True)


def not_found(message: str) -> CommonServiceException:
    return CommonServiceException("NotFoundException", message, status_code=404, sender_fault=True)


@dataclass
class VpcLink:
    id: str
    arn: str
    name: str
    subnet_ids: list
    security_group_ids: list
    vpc_id: str
    tags: dict
    status: str = "PENDING"
    settles_at: float = 0.0
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    def refresh(self):
        """PENDING becomes AVAILABLE, DELETING becomes gone (reported as None by the store)."""
        if self.status == "PENDING" and time.time() >= self.settles_at:
            self.status = "AVAILABLE"

    @property
    def gone(self) -> bool:
        return self.status == "DELETING" and time.time() >= self.settles_at

    def describe(self) -> dict:
        messages = {
            "PENDING": "VPC link is provisioning ENIs",
            "AVAILABLE": "VPC link is ready to route traffic",
            "DELETING": "VPC link is deleting ENIs",
        }
        return {
            "CreatedDate": self.created,
            "Name": self.name,
            "SecurityGroupIds": list(self.security_group_ids),
            "SubnetIds": list(self.subnet_ids),
            "Tags": dict(self.tags),
            "VpcLinkId": self.id,
            "VpcLinkStatus": self.status,
            "VpcLinkStatusMessage": messages[self.status],
            "VpcLinkVersion": "V2",
        }


class ApiGatewayV2Store(BaseStore):
    vpc_links: dict[str, VpcLink] = LocalAttribute(default=dict)


stores = AccountRegionBundle("apigatewayv2", ApiGatewayV2Store)


def find_link(account_id: str, region: str, link_id: str) -> VpcLink | None:
    """The link as it reads now, or None when it never existed or its deletion finished."""
    links = stores[account_id][region].vpc_links
    link = links.get(link_id)
    if link is None:
        return None
    link.refresh()
    if link.gone:
        del links[link_id]
        return None
    return link


def _network(context: RequestContext, subnet_ids: list, group_ids: list) -> str:
    """The VPC the subnets and groups share; BadRequestException names what does not fit."""
    if not subnet_ids:
        raise bad_request("SubnetIds must contain at least one subnet.")
    if len(subnet_ids) > MAX_SUBNETS:
        raise bad_request(f"A VPC link can have at most {MAX_SUBNETS} subnets.")
    ec2 = ec2_backends[context.account_id][context.region]
    vpcs = set()
    for subnet_id in subnet_ids:
        try:
            vpcs.add(ec2.get_subnet(subnet_id).vpc_id)
        except InvalidSubnetIdError:
            raise bad_request(f"Invalid subnet id: {subnet_id} does not exist.") from None
    for group_id in group_ids:
        group = ec2.get_security_group_from_id(group_id)
        if group is None:
            raise bad_request(f"Invalid security group id: {group_id} does not exist.")
        vpcs.add(group.vpc_id)
    if len(vpcs) != 1:
        raise bad_request(f"The subnets and security groups of a VPC link must be in one VPC, not {sorted(vpcs)}.")
    return vpcs.pop()


class ApiGatewayV2Provider:
    service = "apigatewayv2"

    def __init__(self):
        self._lock = threading.RLock()

    def accept_state_visitor(self, visitor: StateVisitor):
        visitor.visit(stores)

    def _link(self, context: RequestContext, link_id: str) -> VpcLink:
        link = find_link(context.account_id, context.region, link_id)
        if link is None:
            raise not_found(f"Unable to find VpcLink with id '{link_id}'.")
        return link

    @handler("CreateVpcLink", expand=False)
    def create_vpc_link(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            subnets = list(request.get("SubnetIds") or [])
            groups = list(request.get("SecurityGroupIds") or [])
            vpc_id = _network(context, subnets, groups)
            link_id = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
            link = VpcLink(
                id=link_id,
                arn=f"arn:aws:apigateway:{context.region}::/vpclinks/{link_id}",
                name=request["Name"],
                subnet_ids=subnets,
                security_group_ids=groups,
                vpc_id=vpc_id,
                tags=dict(request.get("Tags") or {}),
                settles_at=time.time() + config.seconds("vpc_link_create"),
            )
            stores[context.account_id][context.region].vpc_links[link_id] = link
            return link.describe()  # PENDING even when the delay is 0, as AWS answers

    @handler("GetVpcLink", expand=False)
    def get_vpc_link(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            return self._link(context, request["VpcLinkId"]).describe()

    @handler("GetVpcLinks", expand=False)
    def get_vpc_links(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            ids = list(stores[context.account_id][context.region].vpc_links)
            links = [find_link(context.account_id, context.region, i) for i in ids]
            return {"Items": [link.describe() for link in links if link is not None]}

    @handler("DeleteVpcLink", expand=False)
    def delete_vpc_link(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            link = self._link(context, request["VpcLinkId"])
            if link.status != "DELETING":
                link.status = "DELETING"
                link.settles_at = time.time() + config.seconds("vpc_link_delete")
            return {}

    def _tagged(self, context: RequestContext, arn: str) -> VpcLink:
        prefix = f"arn:aws:apigateway:{context.region}::/vpclinks/"
        if not (arn or "").startswith(prefix):
            raise not_found(f"Invalid resource ARN: {arn}")
        return self._link(context, arn[len(prefix) :])

    @handler("TagResource", expand=False)
    def tag_resource(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            link = self._tagged(context, request["ResourceArn"])
            link.tags.update(request.get("Tags") or {})
            return {}

    @handler("UntagResource", expand=False)
    def untag_resource(self, context: RequestContext, request: dict) -> None:
        with self._lock:
            link = self._tagged(context, request["ResourceArn"])
            for key in request.get("TagKeys") or []:
                link.tags.pop(key, None)

    @handler("GetTags", expand=False)
    def get_tags(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            return {"Tags": dict(self._tagged(context, request["ResourceArn"]).tags)}


def _links_holding(account_id: str, region: str, attribute: str, resource_id: str) -> list[str]:
    links = stores[account_id][region].vpc_links
    return [
        link_id
        for link_id in list(links)
        if (link := find_link(account_id, region, link_id)) and resource_id in getattr(link, attribute)
    ]


# EC2 (moto's backend, shared with LocalStack) refuses to delete what a link still uses: these
# replace SubnetBackend.delete_subnet and SecurityGroupBackend.delete_security_group on top of
# ec2.py's (patches.py).


def delete_subnet(fn, self, subnet_id, *args, **kwargs):
    if _links_holding(self.account_id, self.region_name, "subnet_ids", subnet_id):
        raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    return fn(self, subnet_id, *args, **kwargs)


def delete_security_group(fn, self, name=None, group_id=None, *args, **kwargs):
    if group_id and _links_holding(self.account_id, self.region_name, "security_group_ids", group_id):
        raise DependencyViolationError(f"resource {group_id} has a dependent object")
    return fn(self, name, group_id, *args, **kwargs)
