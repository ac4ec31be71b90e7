"""The RDS engine versions and orderable DB instance options the emulator knows (postgres only),
and the two Describe calls that read them. moto has no DescribeDBEngineVersions (LocalStack answers
501) and its DescribeOrderableDBInstanceOptions knows only aurora-postgresql and neptune.

Shapes and parameters follow the RDS API reference:
- DescribeDBEngineVersions:
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBEngineVersions.html
  (`Engine`, `EngineVersion`, `DBParameterGroupFamily`, `DefaultOnly` - "return only the default
  version of the specified engine or the engine and major version combination" -, `IncludeAll` -
  "also list the engine versions that aren't available. The default is to list only available
  engine versions" -, `Filters` db-parameter-group-family / engine / engine-mode / engine-version /
  status, `MaxRecords` 20-100 default 100, `Marker`), and the DBEngineVersion / UpgradeTarget data
  types (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBEngineVersion.html,
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_UpgradeTarget.html).
- DescribeOrderableDBInstanceOptions:
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html
  (`Engine` required; `EngineVersion`, `DBInstanceClass`, `LicenseModel`, `AvailabilityZoneGroup`,
  `Vpc` are filters on the offerings; `Filters` "isn't currently supported"; `MaxRecords` 20-100
  default 100 and `Marker`), and the OrderableDBInstanceOption data type
  (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_OrderableDBInstanceOption.html).

The data:
- Versions: "If you don't specify a version, Amazon RDS defaults to an available version, usually
  the latest. If you specify a major version but not a minor version, Amazon RDS defaults to the
  most recent release of the major version you specified."
  (https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-versions.html).
  AWS's notice of 2026 ended standard support for 14.14-14.17, 15.9-15.12, 16.5-16.8 and 17.1-17.4
  on 2026-05-31 ("you will not be able to create new database instances" on them, automatic
  upgrades "to version 14.20, 15.15, 16.11, 17.7 (or higher)"; quoted in
  github.com/saayam-for-all/database/wiki/AWS-RDS-instances-%E2%80%90-Health-Checks). So those and
  older minors are `deprecated` here, and 14.18-14.20, 15.13-15.15, 16.9-16.11, 17.5-17.7 are
  `available`; the newest of each major is its default. Which minors between were released is
  not verified one by one.
- Storage sizes per type are the CreateDBInstance `AllocatedStorage` constraints for RDS for
  PostgreSQL (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html):
  gp2/gp3 20-65536 GiB, io1 100-65536 GiB, magnetic (standard) 5-3072 GiB. Magnetic storage is
  kept "for backward compatibility" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html)
  and offered here on the x86 classes only. IOPS and throughput ranges are approximate.
- Classes: db.t3/db.t4g micro-large, db.m5/db.m6g/db.m7g large-xlarge, db.r6g large-xlarge;
  no db.t2 (not offered for the postgres majors listed).
"""

import base64
import json

from localstack.aws.api import CommonServiceException

ENGINE = "postgres"

# major -> [(version, status)], oldest first; the newest available one is the major's default.
_VERSIONS = {
    "14": [
        ("14.12", "deprecated"),
        ("14.17", "deprecated"),
        ("14.18", "available"),
        ("14.19", "available"),
        ("14.20", "available"),
    ],
    "15": [
        ("15.7", "deprecated"),
        ("15.12", "deprecated"),
        ("15.13", "available"),
        ("15.14", "available"),
        ("15.15", "available"),
    ],
    "16": [
        ("16.3", "deprecated"),
        ("16.4", "deprecated"),
        ("16.8", "deprecated"),
        ("16.9", "available"),
        ("16.10", "available"),
        ("16.11", "available"),
    ],
    "17": [("17.4", "deprecated"), ("17.5", "available"), ("17.6", "available"), ("17.7", "available")],
}
DEFAULT_MAJOR = "17"

_X86 = [f"db.t3.{s}" for s in ("micro", "small", "medium", "large")] + ["db.m5.large", "db.m5.xlarge"]
_GRAVITON = [f"db.t4g.{s}" for s in ("micro", "small", "medium", "large")] + [
    f"db.{f}.{s}" for f in ("m6g", "m7g", "r6g") for s in ("large", "xlarge")
]
CLASSES = sorted(_X86 + _GRAVITON)

# storage type -> (min GiB, max GiB, extra fields of the offering)
_STORAGE = {
    "gp2": (20, 65536, {"SupportsIops": False, "SupportsStorageThroughput": False}),
    "gp3": (
        20,
        65536,
        {
            "SupportsIops": True,
            "SupportsStorageThroughput": True,
            "MinIopsPerDbInstance": 3000,
            "MaxIopsPerDbInstance": 64000,
            "MinIopsPerGib": 0.5,
            "MaxIopsPerGib": 1000.0,
            "MinStorageThroughputPerDbInstance": 125,
            "MaxStorageThroughputPerDbInstance": 4000,
            "MinStorageThroughputPerIops": 0.0,
            "MaxStorageThroughputPerIops": 0.25,
        },
    ),
    "io1": (
        100,
        65536,
        {
            "SupportsIops": True,
            "SupportsStorageThroughput": False,
            "MinIopsPerDbInstance": 1000,
            "MaxIopsPerDbInstance": 256000,
            "MinIopsPerGib": 0.5,
            "MaxIopsPerGib": 50.0,
        },
    ),
    "standard": (5, 3072, {"SupportsIops": False, "SupportsStorageThroughput": False}),
}


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _major(version: str) -> str:
    return version.split(".")[0]


def _all_versions() -> list[tuple[str, str]]:
    return [v for major in sorted(_VERSIONS, key=int) for v in _VERSIONS[major]]


def status_of(version: str) -> str | None:
    return dict(_all_versions()).get(version)


def default_version(major: str | None = None) -> str | None:
    available = [v for v, s in _VERSIONS.get(major or DEFAULT_MAJOR, []) if s == "available"]
    return available[-1] if available else None


def resolve(engine: str, version: str | None) -> str | None:
    """The concrete version CreateDBInstance uses: the engine's default when none is given, the
    major's newest when only a major is given; None when the catalogue has no such version."""
    if engine != ENGINE:
        return version
    if not version:
        return default_version()
    if "." not in version:
        return default_version(version)
    return version if status_of(version) else None


def is_older(a: str, b: str) -> bool:
    return _key(a) < _key(b)


def storage_types(instance_class: str) -> list[str]:
    return sorted(t for t in _STORAGE if t != "standard" or instance_class in _X86)


def storage_limits(instance_class: str, storage: str) -> tuple[int, int] | None:
    """(min GiB, max GiB) of a storage type on a class; None when the class does not offer it."""
    if instance_class not in CLASSES or storage not in storage_types(instance_class):
        return None
    low, high, _ = _STORAGE[storage]
    return low, high


def orderable(engine: str, version: str, instance_class: str) -> bool:
    return engine == ENGINE and status_of(version) is not None and instance_class in CLASSES


# ---- the Describe calls -------------------------------------------------------------------------


def _invalid(message: str):
    return CommonServiceException("InvalidParameterValue", message, sender_fault=True)


def _page(items: list, request: dict, key: str) -> dict:
    """MaxRecords (20-100, default 100) and an opaque Marker, as the RDS Describe calls page."""
    size = request.get("MaxRecords")
    if size is None:
        size = 100
    if not 20 <= size <= 100:
        raise _invalid(f"Invalid value {size} for MaxRecords. Must be between 20 and 100")
    start = 0
    if marker := request.get("Marker"):
        try:
            start = int(json.loads(base64.urlsafe_b64decode(marker.encode()))["offset"])
        except (ValueError, KeyError, TypeError):
            raise _invalid(f"Invalid marker: {marker}") from None
    result = {key: items[start : start + size]}
    if start + size < len(items):
        result["Marker"] = base64.urlsafe_b64encode(json.dumps({"offset": start + size}).encode()).decode()
    return result


def _version_matches(wanted: str, version: str) -> bool:
    """An exact version, or a major version alone ("16") for every minor of that major."""
    return wanted == version or ("." not in wanted and wanted == _major(version))


def _engine_version(version: str, status: str) -> dict:
    major = _major(version)
    targets = [
        {
            "Engine": ENGINE,
            "EngineVersion": t,
            "Description": f"PostgreSQL {t}-R1",
            "AutoUpgrade": _major(t) == major and t == default_version(major),
            "IsMajorVersionUpgrade": _major(t) != major,
            "SupportedEngineModes": ["provisioned"],
            "SupportsParallelQuery": False,
            "SupportsGlobalDatabases": False,
            "SupportsBabelfish": False,
            "SupportsLimitlessDatabase": False,
            "SupportsLocalWriteForwarding": False,
            "SupportsIntegrations": False,
        }
        for t, s in _all_versions()
        if s == "available" and is_older(version, t)
    ]
    return {
        "Engine": ENGINE,
        "EngineVersion": version,
        "MajorEngineVersion": major,
        "DBParameterGroupFamily": f"postgres{major}",
        "DBEngineDescription": "PostgreSQL",
        "DBEngineVersionDescription": f"PostgreSQL {version}-R1",
        "ValidUpgradeTarget": targets,
        "ExportableLogTypes": ["postgresql", "upgrade"],
        "SupportsLogExportsToCloudwatchLogs": True,
        "SupportsReadReplica": True,
        "SupportedEngineModes": ["provisioned"],
        "SupportedFeatureNames": ["Lambda", "s3Export", "s3Import"],
        "Status": status,
        "SupportsParallelQuery": False,
        "SupportsGlobalDatabases": False,
        "TagList": [],
        "SupportsBabelfish": False,
        "SupportsLimitlessDatabase": False,
        "SupportsCertificateRotationWithoutRestart": True,
        "SupportedCACertificateIdentifiers": [
            "rds-ca-ecc384-g1",
            "rds-ca-rsa2048-g1",
            "rds-ca-rsa4096-g1",
        ],
        "SupportsLocalWriteForwarding": False,
        "SupportsIntegrations": False,
    }


_ENGINE_VERSION_FILTERS = {"db-parameter-group-family", "engine", "engine-mode", "engine-version", "status"}


def describe_db_engine_versions(request: dict) -> dict:
    filters = {}
    for f in request.get("Filters") or []:
        name = f.get("Name")
        if name not in _ENGINE_VERSION_FILTERS:
            raise _invalid(f"Unrecognized filter name: {name}")
        filters.setdefault(name, set()).update(f.get("Values") or [])

    def keep(version: str, status: str) -> bool:
        record = {
            "engine": ENGINE,
            "db-parameter-group-family": f"postgres{_major(version)}",
            "engine-mode": "provisioned",
        }
        if request.get("Engine") not in (None, ENGINE):
            return False
        if (wanted := request.get("EngineVersion")) and not _version_matches(wanted, version):
            return False
        if request.get("DBParameterGroupFamily") not in (None, record["db-parameter-group-family"]):
            return False
        for name, values in filters.items():
            if name == "engine-version":
                if not any(_version_matches(v, version) for v in values):
                    return False
            elif name == "status":
                if status not in values:
                    return False
            elif record[name] not in values:
                return False
        # Only available versions unless IncludeAll, or a status filter, asks for others.
        return status == "available" or bool(request.get("IncludeAll")) or "status" in filters

    matches = [(v, s) for v, s in _all_versions() if keep(v, s)]
    if request.get("DefaultOnly"):
        wanted = request.get("EngineVersion")
        default = default_version(_major(wanted) if wanted else None)
        matches = [(v, s) for v, s in matches if v == default]
    return _page([_engine_version(v, s) for v, s in matches], request, "DBEngineVersions")


def _offering(version: str, instance_class: str, storage: str, region: str) -> dict:
    low, high, extra = _STORAGE[storage]
    return {
        "Engine": ENGINE,
        "EngineVersion": version,
        "DBInstanceClass": instance_class,
        "LicenseModel": "postgresql-license",
        "AvailabilityZoneGroup": region,
        "AvailabilityZones": [{"Name": f"{region}{zone}"} for zone in "abc"],
        "MultiAZCapable": True,
        "ReadReplicaCapable": True,
        "Vpc": True,
        "SupportsStorageEncryption": True,
        "StorageType": storage,
        **extra,
        "SupportsEnhancedMonitoring": True,
        "SupportsIAMDatabaseAuthentication": True,
        "SupportsPerformanceInsights": True,
        "MinStorageSize": low,
        "MaxStorageSize": high,
        "SupportedEngineModes": ["provisioned"],
        "SupportsStorageAutoscaling": storage != "standard",
        "SupportsKerberosAuthentication": True,
        "OutpostCapable": False,
        "SupportsGlobalDatabases": False,
        "SupportedNetworkTypes": ["IPV4", "DUAL"],
        "SupportsClusters": False,
        "SupportsDedicatedLogVolume": False,
    }


def describe_orderable_db_instance_options(request: dict, region: str) -> dict:
    offerings = []
    if (
        request.get("Engine") == ENGINE
        and request.get("LicenseModel") in (None, "postgresql-license")
        and request.get("AvailabilityZoneGroup") in (None, region)
        and request.get("Vpc") in (None, True)  # every offering here is a VPC one
    ):
        # Offerings exist for the versions one can create, i.e. the available ones.
        versions = [v for v, s in _all_versions() if s == "available"]
        if wanted := request.get("EngineVersion"):
            versions = [v for v in versions if v == wanted]
        classes = CLASSES
        if wanted := request.get("DBInstanceClass"):
            classes = [c for c in classes if c == wanted]
        offerings = [_offering(v, c, t, region) for v in versions for c in classes for t in storage_types(c)]
    return _page(offerings, request, "OrderableDBInstanceOptions")
