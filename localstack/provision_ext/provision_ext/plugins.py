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


@hooks.on_infra_start()
def provision_internal_routes():
    from localstack.services.edge import ROUTER

    from .internal import InternalEndpoints

    ROUTER.add(InternalEndpoints())


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


# Like the tags patch: before the API Gateway provider is created.
@hooks.on_infra_start(priority=10)
def provision_apigateway_integration():
    from . import apigateway_integration

    apigateway_integration.apply()
