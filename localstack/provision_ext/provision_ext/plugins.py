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


@aws_provider(api="budgets")
def budgets():
    from .budgets import BudgetsProvider

    return Service.for_provider(BudgetsProvider())


@aws_provider(api="ce")
def ce():
    from .cost_explorer import CostExplorerProvider

    return Service.for_provider(CostExplorerProvider())


@hooks.on_infra_start()
def provision_internal_routes():
    from localstack.services.edge import ROUTER

    from .internal import InternalEndpoints

    ROUTER.add(InternalEndpoints())


# Every patch, checked and applied in patches.py's order. Priority above eager service loading
# (0): the providers must be created from the patched classes, and before any request. A target
# that is gone or changed raises here, and the server does not start.
@hooks.on_infra_start(priority=10)
def provision_patches():
    from . import patches, registry

    registry.apply(patches.PATCHES)
