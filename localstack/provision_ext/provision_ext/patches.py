"""Every patch provision_ext makes to LocalStack and moto, declared once, in the order applied.

registry.py checks each target at start-up and applies them in this order (one hook in
plugins.py, above eager service loading, so providers are created from the patched classes).
Patches on the same target stack: a later one wraps an earlier one. The reasons in full, with
AWS's words, are in each replacement's module.
"""

from . import (
    apigateway_integration,
    apigateway_tags,
    apigatewayv2,
    cloudwatch,
    done_once,
    ec2,
    first_request,
    nat_latency,
    s3,
    serving,
    tagging,
)
from .registry import Patch

_S3 = "localstack.services.s3.provider:S3Provider"
_APIGW = "localstack.services.apigateway.legacy.provider:ApigatewayProvider"
_CW = "localstack.services.cloudwatch.provider_v2:CloudwatchProvider"
_EC2 = "moto.ec2.models"
_APIGW_TAGS = "https://docs.aws.amazon.com/apigateway/latest/api/API_TagResource.html"
_SUBNET_DELETE = "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-deleting.html"
_SG_DELETE = "https://docs.aws.amazon.com/vpc/latest/userguide/deleting-security-groups.html"
_ENI = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html"
_NAT = "https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html"
_PUT_ALARM = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"

PATCHES = (
    # Work done once instead of per request or per account (done_once.py): the same answers.
    Patch(
        "moto-action-names-once",
        "moto.core.responses:method_names_from_class",
        done_once.method_names_from_class,
        "a response class's action methods are listed once, not on every request",
        "none: a cost of moto's dispatch, not an AWS rule",
        ("clazz",),
    ),
    Patch(
        "iam-managed-policies-once",
        "moto.iam.models:IAMBackend._init_aws_policies",
        done_once.init_aws_policies,
        "AWS managed policies are built once and copied into each new account, not parsed anew",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
    ),
    Patch(
        "kms-private-key-on-use",
        "moto.kms.models:generate_private_key",
        done_once.generate_private_key,
        "a key's RSA/ECC private key is generated when Sign, Verify or GetPublicKey first uses it",
        "https://docs.aws.amazon.com/kms/latest/developerguide/symmetric-asymmetric.html",
        ("key_spec",),
    ),
    Patch(
        "twisted-content-type-plain",
        "twisted.web.http:_parseContentType",
        serving.parse_content_type,
        "a POST's media type is read without the email package's header parser",
        "none: a cost of the web server, not an AWS rule",
        ("line",),
    ),
    Patch(
        "twisted-access-log-off",
        "twisted.web.http:HTTPFactory.log",
        serving.access_log,
        "no access-log line is formatted for a log nothing shows (LocalStack logs requests itself)",
        "none: a cost of the web server, not an AWS rule",
        ("self", "request"),
    ),
    # Before any request: concurrent first requests to a service wait for its handlers.
    Patch(
        "first-request-waits",
        "localstack.aws.handlers.service_plugin:ServiceLoader.require_service",
        first_request.require_service,
        "a request racing a service's first one found no handler (501) while AWS has no such window",
        "none: a LocalStack start-up race, not an AWS rule",
        ("self", "_", "context", "response"),
        reads=("ServiceLoader.service_locks",),
    ),
    Patch(
        "s3-private-buckets",
        f"{_S3}._get_cross_account_bucket",
        s3.get_cross_account_bucket,
        "another account's bucket answers 403 AccessDenied, as it is private on AWS",
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html",
        ("self", "context", "bucket_name"),
        reads=("S3Bucket.bucket_account_id",),
    ),
    Patch(
        "s3-private-head-bucket",
        f"{_S3}.head_bucket",
        s3.head_bucket,
        "HeadBucket on another account's bucket answers a bare 403",
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html",
        ("self", "context", "bucket"),
        reads=("S3Store.buckets", "S3Store.global_bucket_map"),
    ),
    Patch(
        "apigateway-tag-one-set",
        f"{_APIGW}.tag_resource",
        apigateway_tags.tag_resource,
        "TagResource changes the resource's own tags (one tag set per resource)",
        _APIGW_TAGS,
        ("self", "context", "resource_arn", "tags"),
    ),
    Patch(
        "apigateway-untag-one-set",
        f"{_APIGW}.untag_resource",
        apigateway_tags.untag_resource,
        "UntagResource removes create-time tags too",
        "https://docs.aws.amazon.com/apigateway/latest/api/API_UntagResource.html",
        ("self", "context", "resource_arn", "tag_keys"),
    ),
    Patch(
        "apigateway-get-tags-one-set",
        f"{_APIGW}.get_tags",
        apigateway_tags.get_tags,
        "GetTags answers the resource's own tags, create-time ones included",
        "https://docs.aws.amazon.com/apigateway/latest/api/API_GetTags.html",
        ("self", "context", "resource_arn"),
    ),
    # EC2 deletes refuse what network interfaces (derived from Beanstalk and RDS) still hold.
    Patch(
        "ec2-subnet-held",
        f"{_EC2}.subnets:SubnetBackend.delete_subnet",
        ec2.delete_subnet,
        "DeleteSubnet answers DependencyViolation while an interface is in the subnet",
        _SUBNET_DELETE,
        ("self", "subnet_id"),
        reads=("NetworkInterface.subnet", "EC2Backend.enis"),
    ),
    Patch(
        "ec2-security-group-held",
        f"{_EC2}.security_groups:SecurityGroupBackend.delete_security_group",
        ec2.delete_security_group,
        "DeleteSecurityGroup answers DependencyViolation while an interface or another group's rule uses it",
        _SG_DELETE,
        ("self", "name", "group_id"),
        reads=("NetworkInterface._group_set", "SecurityGroup.ingress_rules", "SecurityGroup.egress_rules"),
    ),
    Patch(
        "ec2-security-group-name",
        f"{_EC2}.security_groups:SecurityGroupBackend.create_security_group",
        ec2.create_security_group,
        "CreateSecurityGroup answers InvalidParameterValue for a name or description AWS does not allow",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
        ("self", "name", "description"),
    ),
    Patch(
        "ec2-igw-detach-mapped",
        f"{_EC2}.internet_gateways:InternetGatewayBackend.detach_internet_gateway",
        ec2.detach_internet_gateway,
        "DetachInternetGateway answers DependencyViolation while public addresses are mapped in the VPC",
        "https://docs.aws.amazon.com/vpc/latest/userguide/delete-vpc.html",
        ("self", "internet_gateway_id", "vpc_id"),
        reads=("ElasticAddress.eni", "EC2Backend.nat_gateways"),
    ),
    Patch(
        "ec2-vpc-held",
        f"{_EC2}.vpcs:VPCBackend.delete_vpc",
        ec2.delete_vpc,
        "DeleteVpc answers DependencyViolation while interfaces, an attached gateway or groups remain",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html",
        ("self", "vpc_id"),
        reads=("EC2Backend.internet_gateways", "EC2Backend.groups"),
    ),
    Patch(
        "ec2-interfaces-listed",
        f"{_EC2}.elastic_network_interfaces:NetworkInterfaceBackend.get_all_network_interfaces",
        ec2.described,
        "the interfaces load balancers and databases hold are described, as AWS's",
        _ENI,
        ("self", "eni_ids", "filters"),
    ),
    Patch(
        "ec2-interfaces-described",
        f"{_EC2}.elastic_network_interfaces:NetworkInterfaceBackend.describe_network_interfaces",
        ec2.described,
        "the interfaces load balancers and databases hold are described, as AWS's",
        _ENI,
        ("self", "filters"),
    ),
    Patch(
        "ec2-nat-delete-interface",
        f"{_EC2}.nat_gateways:NatGatewayBackend.delete_nat_gateway",
        ec2.delete_nat_gateway,
        "a deleted NAT gateway's interface and address association go with it",
        _NAT,
        ("self", "nat_gateway_id"),
        reads=("NatGateway._eni", "EC2Backend.addresses"),
    ),
    # Stacked on ec2-nat-delete-interface: the whole delete (interface included) is delayed.
    Patch(
        "nat-latency-deleting",
        f"{_EC2}.nat_gateways:NatGatewayBackend.delete_nat_gateway",
        nat_latency.deleting,
        "in the latency mode a deleted NAT gateway is deleting for a while",
        _NAT,
        ("self", "nat_gateway_id"),
        reads=("NatGateway.state",),
    ),
    Patch(
        "nat-latency-pending",
        f"{_EC2}.nat_gateways:NatGatewayBackend.create_nat_gateway",
        nat_latency.pending,
        "in the latency mode a new NAT gateway is pending for a while",
        _NAT,
        ("self", "subnet_id", "allocation_id"),
        reads=("NatGateway.state",),
    ),
    Patch(
        "rds-delete-interfaces-linger",
        "moto.rds.models:RDSBackend.delete_db_instance",
        ec2.delete_db_instance,
        "a deleted DB instance's interfaces hold its subnets and groups until released",
        _SG_DELETE,
        ("self", "db_instance_identifier"),
        reads=("DBInstance.db_subnet_group", "DBSubnetGroup._subnets", "DBInstance.multi_az"),
    ),
    Patch(
        "apigateway-integration-json",
        "moto.apigateway.models:Integration.to_json",
        apigateway_integration.integration_to_json,
        "integrations show connectionId and integrationTarget wherever they are read",
        "https://docs.aws.amazon.com/apigateway/latest/api/API_PutIntegration.html",
        ("self",),
    ),
    Patch(
        "apigateway-put-integration",
        f"{_APIGW}.put_integration",
        apigateway_integration.put_integration,
        "VPC_LINK integrations are checked and keep integrationTarget",
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-private-integration.html",
        ("self", "context", "request"),
        reads=("Method.method_integration",),
    ),
    # Stacked on ec2-subnet-held and ec2-security-group-held.
    Patch(
        "vpc-link-subnet-held",
        f"{_EC2}.subnets:SubnetBackend.delete_subnet",
        apigatewayv2.delete_subnet,
        "DeleteSubnet answers DependencyViolation while a VPC link uses the subnet",
        _SUBNET_DELETE,
        ("self", "subnet_id"),
    ),
    Patch(
        "vpc-link-security-group-held",
        f"{_EC2}.security_groups:SecurityGroupBackend.delete_security_group",
        apigatewayv2.delete_security_group,
        "DeleteSecurityGroup answers DependencyViolation while a VPC link uses the group",
        _SG_DELETE,
        ("self", "name", "group_id"),
    ),
    Patch(
        "cloudwatch-alarm-tags",
        f"{_CW}.put_metric_alarm",
        cloudwatch.put_metric_alarm,
        "PutMetricAlarm's Tags are the alarm's tags, and only on create",
        _PUT_ALARM,
        ("self", "context", "request"),
        reads=("CloudWatchStore.alarms", "CloudWatchStore.TAGS"),
    ),
    Patch(
        "cloudwatch-alarms-not-evaluated",
        "localstack.services.cloudwatch.alarm_scheduler:AlarmScheduler.schedule_metric_alarm",
        cloudwatch.schedule_metric_alarm,
        "metric alarms are stored, not evaluated (provision never reads an alarm's state)",
        "none: an alarm's state is AWS's evaluation, not a rule provision depends on",
        ("self", "alarm_arn"),
    ),
    Patch(
        "cloudwatch-alarm-tags-deleted",
        f"{_CW}.delete_alarms",
        cloudwatch.delete_alarms,
        "a deleted alarm's tags go with it",
        _PUT_ALARM,
        ("self", "context", "alarm_names"),
    ),
    Patch(
        "tagging-get-resources",
        "moto.resourcegroupstaggingapi.models:ResourceGroupsTaggingAPIBackend._get_resources_generator",
        tagging.get_resources_generator,
        "GetResources lists every kind provision tags, not only moto's own backends' kinds",
        "https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html",
        ("self", "tag_filters", "resource_type_filters"),
    ),
    Patch(
        "tagging-get-resources-pages",
        "moto.resourcegroupstaggingapi.responses:ResourceGroupsTaggingAPIResponse.get_resources",
        tagging.get_resources,
        "GetResources pages as AWS: ResourcesPerPage 1-100, TagsPerPage only when given, ResourceARNList",
        "https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html",
        ("self",),
        reads=("ResourceGroupsTaggingAPIResponse.backend",),
    ),
)
