"""Entry points LocalStack discovers (see pyproject.toml)."""

from localstack.runtime import hooks
from localstack.services.plugins import Service, aws_provider


@aws_provider(api="rds")
def rds():
    from .rds import RdsProvider, dispatch_table

    return Service.for_provider(RdsProvider(), dispatch_table_factory=dispatch_table)


@aws_provider(api="elasticbeanstalk")
def elasticbeanstalk():
    from .elasticbeanstalk import ElasticBeanstalkProvider

    return Service.for_provider(ElasticBeanstalkProvider())


@aws_provider(api="apigatewayv2")
def apigatewayv2():
    from .apigatewayv2 import ApiGatewayV2Provider

    return Service.for_provider(ApiGatewayV2Provider())


@hooks.on_infra_start()
def provision_internal_routes():
    from localstack.services.edge import ROUTER

    from .internal import InternalEndpoints

    ROUTER.add(InternalEndpoints())


# Before any request: concurrent first requests to a service wait until its handlers are attached.
@hooks.on_infra_start(priority=10)
def provision_first_requests():
    from . import first_request

    first_request.apply()


# Above eager service loading (priority 0): the S3 provider must be patched before it is created.
@hooks.on_infra_start(priority=10)
def provision_private_buckets():
    from . import s3

    s3.apply()


# Like the S3 patch: before the API Gateway provider is created.
@hooks.on_infra_start(priority=10)
def provision_apigateway_tags():
    from . import apigateway_tags

    apigateway_tags.apply()


# Before eager service loading, like the S3 patch: EC2 deletes refuse what something still holds.
@hooks.on_infra_start(priority=10)
def provision_ec2_dependencies():
    from . import ec2

    ec2.apply()


# Like the tags patch: VPC-link integrations checked, integrationTarget kept; EC2 refuses to
# delete the subnets and groups a VPC link still uses.
@hooks.on_infra_start(priority=10)
def provision_apigateway_integration():
    from . import apigateway_integration, apigatewayv2

    apigateway_integration.apply()
    apigatewayv2.apply()


# Like the tags patch: before the CloudWatch provider is created.
@hooks.on_infra_start(priority=10)
def provision_cloudwatch_tags():
    from . import cloudwatch

    cloudwatch.apply()


# GetResources lists every kind provision tags (moto's lists only its own backends' kinds).
@hooks.on_infra_start(priority=10)
def provision_tagging():
    from . import tagging

    tagging.apply()
