"""RDS served by the moto backend LocalStack ships (it shares state with LocalStack's EC2, so DB
subnet groups see the VPCs and subnets created there), with the gaps that matter to provision patched:

- ModifyDBInstance without ApplyImmediately leaves the changes AWS defers to the maintenance window
  in PendingModifiedValues instead of applying them; ApplyImmediately=true applies them together
  with anything still pending, as AWS does.
- DeleteDBInstance requires FinalDBSnapshotIdentifier unless SkipFinalSnapshot is set.
- ModifyDBSubnetGroup keeps the group (moto drops it from its backend).
- DeleteDBSubnetGroup refuses a group a DB instance still uses.
"""

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.aws.forwarder import ForwardingFallbackDispatcher
from localstack.aws.spec import load_service
from localstack.services.moto import _proxy_moto, call_moto, call_moto_with_request
from localstack.state import StateVisitor
from moto.rds.models import rds_backends

# ModifyDBInstance parameter -> PendingModifiedValues member, for the changes AWS applies in the
# next maintenance window unless ApplyImmediately is set.
DEFERRED = {
    "DBInstanceClass": "DBInstanceClass",
    "AllocatedStorage": "AllocatedStorage",
    "EngineVersion": "EngineVersion",
    "MultiAZ": "MultiAZ",
    "Iops": "Iops",
    "StorageType": "StorageType",
    "StorageThroughput": "StorageThroughput",
    "NewDBInstanceIdentifier": "DBInstanceIdentifier",
    "CACertificateIdentifier": "CACertificateIdentifier",
    "DBSubnetGroupName": "DBSubnetGroupName",
}
TO_PARAMETER = {member: parameter for parameter, member in DEFERRED.items()}


def dispatch_table(provider):
    """Every RDS operation goes to moto unless the provider handles it."""
    table = {name: _proxy_moto for name in load_service("rds").operation_names}
    table.update(ForwardingFallbackDispatcher(provider, _proxy_moto))
    return table


class RdsProvider:
    service = "rds"

    def accept_state_visitor(self, visitor: StateVisitor):
        visitor.visit(rds_backends)

    @handler("ModifyDBInstance", expand=False)
    def modify_db_instance(self, context: RequestContext, request: dict) -> dict:
        backend = rds_backends[context.account_id][context.region]
        database = backend.databases.get(request["DBInstanceIdentifier"])
        if database is None:
            return call_moto(context)  # moto raises AWS's DBInstanceNotFound
        pending = dict(getattr(database, "pending_modified_values", None) or {})
        request = dict(request)
        if request.get("ApplyImmediately"):
            for member, value in pending.items():
                request.setdefault(TO_PARAMETER[member], value)
            pending = {}
        else:
            for parameter in DEFERRED.keys() & request.keys():
                pending[DEFERRED[parameter]] = request.pop(parameter)
        response = call_moto_with_request(context, request)
        database = backend.databases[response["DBInstance"]["DBInstanceIdentifier"]]
        database.pending_modified_values = pending  # moto serialises it as PendingModifiedValues
        response["DBInstance"]["PendingModifiedValues"] = pending
        return response

    @handler("ModifyDBSubnetGroup", expand=False)
    def modify_db_subnet_group(self, context: RequestContext, request: dict) -> dict:
        backend = rds_backends[context.account_id][context.region]
        name = request["DBSubnetGroupName"]
        group = backend.subnet_groups.get(name)
        if group is None:
            raise CommonServiceException(
                "DBSubnetGroupNotFoundFault",
                f"Subnet Group {name} not found.",
                status_code=404,
                sender_fault=True,
            )
        response = call_moto(context)
        backend.subnet_groups[name] = group  # moto pops it and never puts it back
        return response

    @handler("DeleteDBSubnetGroup", expand=False)
    def delete_db_subnet_group(self, context: RequestContext, request: dict) -> dict:
        backend = rds_backends[context.account_id][context.region]
        name = request["DBSubnetGroupName"]
        users = [
            db.db_instance_identifier
            for db in backend.databases.values()
            if getattr(getattr(db, "db_subnet_group", None), "name", None) == name  # the name is write-only
        ]
        if users:
            raise CommonServiceException(
                "InvalidDBSubnetGroupStateFault",
                f"Cannot delete the subnet group '{name}' because at least one database instance: "
                f"{users[0]} is still using it.",
                sender_fault=True,
            )
        return call_moto(context)

    @handler("DeleteDBInstance", expand=False)
    def delete_db_instance(self, context: RequestContext, request: dict) -> dict:
        if not request.get("SkipFinalSnapshot") and not request.get("FinalDBSnapshotIdentifier"):
            raise CommonServiceException(
                "InvalidParameterCombination",
                "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
                sender_fault=True,
            )
        return call_moto(context)
