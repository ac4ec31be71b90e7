"""RDS served by the moto backend LocalStack ships (it shares state with LocalStack's EC2, so DB
subnet groups see the VPCs and subnets created there), with the gaps that matter to provision patched:

- ModifyDBInstance without ApplyImmediately leaves the changes AWS defers to the maintenance window
  in PendingModifiedValues instead of applying them; ApplyImmediately=true applies them together
  with anything still pending, as AWS does.
- DeleteDBInstance requires FinalDBSnapshotIdentifier unless SkipFinalSnapshot is set.
- ModifyDBSubnetGroup keeps the group (moto drops it from its backend).
- DeleteDBSubnetGroup refuses a group a DB instance still uses.
- DescribeDBEngineVersions and DescribeOrderableDBInstanceOptions answer for postgres from the
  catalogue in rds_catalog.py (moto has neither for postgres).
- CreateDBInstance and ModifyDBInstance refuse, for postgres, an engine version the catalogue lacks,
  an instance class not orderable for it, a downgrade, and a major upgrade without
  AllowMajorVersionUpgrade; a missing or major-only version becomes the default minor, as on AWS.
  CreateDBInstance also refuses a deprecated version and a storage size outside the storage
  type's range.
- ModifyDBInstance refuses, for postgres, an AllocatedStorage below the current size, less than
  10 % above it, or outside the storage type's range (_check_storage_change).
- In the latency mode (rds_latency.py) a new instance is `creating` and a deleted one `deleting`
  for AWS's usual time.
- maintenance_window() (POST /_provision/rds/maintenance) does what the maintenance window does to
  instances with AutoMinorVersionUpgrade: moves them to their major's default minor.
"""

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.aws.forwarder import ForwardingFallbackDispatcher
from localstack.aws.spec import load_service
from localstack.services.moto import _proxy_moto, call_moto, call_moto_with_request
from localstack.state import StateVisitor
from moto.rds.models import rds_backends

from . import rds_catalog, rds_latency

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

    @handler("DescribeDBEngineVersions", expand=False)
    def describe_db_engine_versions(self, context: RequestContext, request: dict) -> dict:
        return rds_catalog.describe_db_engine_versions(request)

    @handler("DescribeOrderableDBInstanceOptions", expand=False)
    def describe_orderable_db_instance_options(self, context: RequestContext, request: dict) -> dict:
        if request.get("Engine") != rds_catalog.ENGINE:
            return call_moto(context)  # moto knows aurora-postgresql and neptune
        return rds_catalog.describe_orderable_db_instance_options(request, context.region)

    @handler("CreateDBInstance", expand=False)
    def create_db_instance(self, context: RequestContext, request: dict) -> dict:
        engine = request.get("Engine")
        if engine != rds_catalog.ENGINE:
            return call_moto(context)
        request = dict(request)
        request["EngineVersion"] = _known_version(engine, request.get("EngineVersion"))
        if rds_catalog.status_of(request["EngineVersion"]) != "available":
            raise _combination(f"Cannot find version {request['EngineVersion']} for {engine}")
        _check_orderable(engine, request["EngineVersion"], request.get("DBInstanceClass"))
        _check_storage(engine, request.get("DBInstanceClass"), request)
        return rds_latency.creating(context, call_moto_with_request(context, request))

    @handler("ModifyDBInstance", expand=False)
    def modify_db_instance(self, context: RequestContext, request: dict) -> dict:
        backend = rds_backends[context.account_id][context.region]
        database = backend.databases.get(request["DBInstanceIdentifier"])
        if database is None:
            return call_moto(context)  # moto raises AWS's DBInstanceNotFound
        pending = dict(getattr(database, "pending_modified_values", None) or {})
        request = dict(request)
        if database.engine == rds_catalog.ENGINE:
            _check_modification(database, request)
            _check_storage_change(database, request, pending)
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
        return rds_latency.deleting(context, call_moto(context))

    @handler("DescribeDBInstances", expand=False)
    def describe_db_instances(self, context: RequestContext, request: dict) -> dict:
        return rds_latency.describe(context, request, lambda: call_moto(context))


# ---- engine version and instance class checks (postgres) ----------------------------------------
# CreateDBInstance (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html)
# and ModifyDBInstance (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html)
# both answer InvalidParameterCombination for these. Messages as AWS words them in reports of real
# errors: "Cannot upgrade postgres from 13.15 to 13.13" (hashicorp/terraform-provider-aws#39579, in
# docs/research/issue-11-aws-behaviour.md section 3); "RDS does not support creating a DB instance
# with the following combination: DBInstanceClass=db.m4.large, Engine=postgres, EngineVersion=13.3,
# LicenseModel=postgresql-license. For supported combinations ..." (aws-samples/
# airflow-for-amazon-eks-blog#3, AlexsLemonade/refinebio#664); "Cannot find version X for postgres"
# follows the same pattern (not verified word for word). From the ModifyDBInstance reference:
# AllowMajorVersionUpgrade - "Major version upgrades must be allowed when specifying a value for the
# EngineVersion parameter that's a different major version than the DB instance's current
# version"; EngineVersion - "If you specify only a major version, Amazon RDS updates the DB instance
# to the default minor version if the current minor version is lower", and with a class change
# "the currently running engine version must be supported on the specified DB instance class".
# Deprecated versions cannot be created: AWS's notice for the 2026 end of standard support says
# "Starting May 1, 2026, you will not be able to create new database instances on Amazon RDS for
# PostgreSQL minor versions 14.14, ..., 16.5, 16.6, 16.7, 16.8, 17.1, ... 17.4", and "During a scheduled
# maintenance window after May 31, 2026, Amazon RDS will automatically upgrade your Amazon RDS for
# PostgreSQL databases running [them] to version 14.20, 15.15, 16.11, 17.7 (or higher)" (quoted in
# docs/localstack.md); AWS answers such a create as it answers an unknown version ("Cannot find
# version 12.5 for postgres" is what Terraform users report after a deprecation). Storage: the
# CreateDBInstance reference's AllocatedStorage ranges for PostgreSQL (gp2/gp3 20-65536, io1
# 100-65536, magnetic 5-3072), refused as "Invalid storage size for engine name postgres and
# storage type gp2: 10" (InvalidParameterCombination; AWS's wording as reported in real errors).


def _combination(message: str):
    return CommonServiceException("InvalidParameterCombination", message, sender_fault=True)


def _known_version(engine: str, version: str | None) -> str:
    resolved = rds_catalog.resolve(engine, version)
    if resolved is None:
        raise _combination(f"Cannot find version {version} for {engine}")
    return resolved


def _check_orderable(engine: str, version: str, instance_class: str | None):
    if instance_class and not rds_catalog.orderable(engine, version, instance_class):
        raise _combination(
            "RDS does not support creating a DB instance with the following combination: "
            f"DBInstanceClass={instance_class}, Engine={engine}, EngineVersion={version}, "
            "LicenseModel=postgresql-license. For supported combinations of instance class and "
            "database engine version, see the documentation."
        )


def _check_storage(engine: str, instance_class: str | None, request: dict):
    storage = request.get("StorageType") or "gp2"  # gp2 is what AWS picks without one
    size = request.get("AllocatedStorage")
    if size is None or not instance_class:
        return
    limits = rds_catalog.storage_limits(instance_class, storage)
    if limits is None or not limits[0] <= size <= limits[1]:
        raise _combination(f"Invalid storage size for engine name {engine} and storage type {storage}: {size}")


def maintenance_window(account_id: str, region: str) -> list[dict]:
    """What a maintenance window does to postgres instances with AutoMinorVersionUpgrade: each moves
    to its major's default (newest available) minor, as AWS's automatic minor version upgrades do
    ("Amazon RDS ... upgrades ... to the preferred minor version during the maintenance window",
    https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.Maintenance.html).
    Returns what moved, for tests."""
    moved = []
    for database in rds_backends[account_id][region].databases.values():
        if database.engine != rds_catalog.ENGINE or not getattr(database, "auto_minor_version_upgrade", True):
            continue
        live = database.engine_version
        target = rds_catalog.default_version(live.split(".")[0])
        if target and rds_catalog.is_older(live, target):
            database.engine_version = target
            moved.append({"DBInstanceIdentifier": database.db_instance_identifier, "From": live, "To": target})
    return moved


def _check_modification(database, request: dict):
    engine, live = database.engine, database.engine_version
    known = rds_catalog.status_of(live) is not None
    if wanted := request.get("EngineVersion"):
        version = _known_version(engine, wanted)
        if "." not in wanted and wanted == live.split(".")[0] and not rds_catalog.is_older(live, version):
            request.pop("EngineVersion")  # the major alone, and the minor is not lower: no change
        else:
            request["EngineVersion"] = version
            if known and rds_catalog.is_older(version, live):
                raise _combination(f"Cannot upgrade {engine} from {live} to {version}")
            if version.split(".")[0] != live.split(".")[0] and not request.get("AllowMajorVersionUpgrade"):
                raise _combination(
                    "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version."
                )
    if request.get("DBInstanceClass") and known:
        _check_orderable(engine, live, request["DBInstanceClass"])


# ModifyDBInstance AllocatedStorage: "You can't reduce the amount of storage for a DB instance after
# storage has been allocated. When you increase the allocated storage, it must be by at least 10
# percent. If you try to increase the value by less than 10 percent, you get an error."
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html; the
# ModifyDBInstance reference says such values "are rounded up", the user guide that they are
# refused: we follow the user guide, the stricter). The new size must also be in the storage
# type's range ("For the valid values for allocated storage for each engine, see
# CreateDBInstance", ModifyDBInstance reference). AWS answers InvalidParameterCombination; the
# messages are modelled on its "Invalid storage size for engine name ..." and "The maximum
# allocated storage must be increased by at least 10 percent." (not verified word for word).


def _check_storage_change(database, request: dict, pending: dict):
    size = request.get("AllocatedStorage")
    if size is None:
        return
    current = int(database.allocated_storage)
    storage = request.get("StorageType") or pending.get("StorageType") or database.storage_type or "gp2"
    instance_class = request.get("DBInstanceClass") or database.db_instance_class
    if size == current:
        return
    if size < current:
        raise _combination(
            f"Invalid storage size for engine name {database.engine} and storage type {storage}: {size}. "
            f"Allocated storage cannot be reduced (current: {current} GiB)."
        )
    if size * 10 < current * 11:
        raise _combination(
            f"The allocated storage must be increased by at least 10 percent (current: {current} GiB, "
            f"requested: {size} GiB)."
        )
    limits = rds_catalog.storage_limits(instance_class, storage)
    if limits is not None and not limits[0] <= size <= limits[1]:
        raise _combination(
            f"Invalid storage size for engine name {database.engine} and storage type {storage}: {size}"
        )
