"""RDS engine versions and orderable instance options for postgres (rds_catalog.py), and the checks
CreateDBInstance/ModifyDBInstance make against them, as the RDS API reference describes."""

import pytest
from support import REGION, internal
from test_rds import create_db, describe, error_of


@pytest.fixture
def rds(aws):
    return aws("rds")


def versions(rds, **kwargs):
    return [v["EngineVersion"] for v in rds.describe_db_engine_versions(**kwargs)["DBEngineVersions"]]


def test_engine_versions_list_the_available_ones_by_default(rds):
    listed = versions(rds, Engine="postgres")
    assert {v.split(".")[0] for v in listed} == {"14", "15", "16", "17"}
    assert {"16.9", "16.10", "16.11", "17.7"} <= set(listed)
    assert "16.4" not in listed  # deprecated: only with IncludeAll or a status filter
    everything = versions(rds, Engine="postgres", IncludeAll=True)
    assert set(listed) < set(everything) and "16.4" in everything
    deprecated = versions(rds, Filters=[{"Name": "status", "Values": ["deprecated"]}])
    assert "16.4" in deprecated and not set(deprecated) & set(listed)
    assert versions(rds, Engine="postgres", EngineVersion="16.4") == []
    assert versions(rds, Engine="postgres", EngineVersion="16.4", IncludeAll=True) == ["16.4"]

    record = rds.describe_db_engine_versions(Engine="postgres", EngineVersion="16.9")["DBEngineVersions"][0]
    assert (record["MajorEngineVersion"], record["DBParameterGroupFamily"], record["Status"]) == (
        "16",
        "postgres16",
        "available",
    )
    targets = {t["EngineVersion"]: t for t in record["ValidUpgradeTarget"]}
    assert {"16.10", "16.11", "17.7"} <= set(targets) and "16.4" not in targets
    assert not targets["16.11"]["IsMajorVersionUpgrade"] and targets["17.7"]["IsMajorVersionUpgrade"]


def test_default_only_and_filters(rds):
    assert versions(rds, Engine="postgres", DefaultOnly=True) == ["17.7"]
    assert versions(rds, Engine="postgres", EngineVersion="16", DefaultOnly=True) == ["16.11"]
    assert versions(rds, Engine="postgres", EngineVersion="16") == ["16.9", "16.10", "16.11"]
    assert versions(rds, Engine="postgres", DBParameterGroupFamily="postgres15") == [
        "15.13",
        "15.14",
        "15.15",
    ]
    assert versions(
        rds,
        Filters=[
            {"Name": "engine-version", "Values": ["14.20", "17.5"]},
            {"Name": "engine", "Values": ["postgres"]},
        ],
    ) == ["14.20", "17.5"]
    assert versions(rds, Engine="mysql") == []  # the catalogue is postgres only
    assert error_of(rds.describe_db_engine_versions, Filters=[{"Name": "colour", "Values": ["x"]}])[0] == (
        "InvalidParameterValue"
    )
    assert error_of(rds.describe_db_engine_versions, MaxRecords=19)[0] == "InvalidParameterValue"


def test_engine_versions_page_with_marker(rds):
    everything = versions(rds, IncludeAll=True)
    first = rds.describe_db_engine_versions(IncludeAll=True, MaxRecords=20)
    if len(everything) > 20:
        assert "Marker" in first
    pages = rds.get_paginator("describe_db_engine_versions").paginate(
        IncludeAll=True, PaginationConfig={"PageSize": 20}
    )
    assert [v["EngineVersion"] for p in pages for v in p["DBEngineVersions"]] == everything


def test_orderable_options_per_version_class_and_storage(rds):
    options = rds.describe_orderable_db_instance_options(
        Engine="postgres", EngineVersion="16.11", DBInstanceClass="db.t3.micro"
    )["OrderableDBInstanceOptions"]
    storage = {o["StorageType"]: (o["MinStorageSize"], o["MaxStorageSize"]) for o in options}
    assert storage == {"gp2": (20, 65536), "gp3": (20, 65536), "io1": (100, 65536), "standard": (5, 3072)}
    gp3 = next(o for o in options if o["StorageType"] == "gp3")
    assert gp3["SupportsIops"] and gp3["SupportsStorageThroughput"] and gp3["MultiAZCapable"] and gp3["Vpc"]
    assert [z["Name"] for z in gp3["AvailabilityZones"]] == ["us-east-2a", "us-east-2b", "us-east-2c"]

    graviton = rds.describe_orderable_db_instance_options(
        Engine="postgres", EngineVersion="17.7", DBInstanceClass="db.t4g.micro"
    )["OrderableDBInstanceOptions"]
    assert sorted(o["StorageType"] for o in graviton) == ["gp2", "gp3", "io1"]  # no magnetic on Graviton

    def count(**kwargs):
        return len(
            rds.describe_orderable_db_instance_options(Engine="postgres", **kwargs)[
                "OrderableDBInstanceOptions"
            ]
        )

    assert count(DBInstanceClass="db.t2.micro") == 0
    assert count(EngineVersion="16.4") == 0  # deprecated versions cannot be ordered
    assert count(EngineVersion="16") == 0  # EngineVersion is an exact filter here
    assert count(EngineVersion="16.11", Vpc=False) == 0
    assert count(EngineVersion="16.11", LicenseModel="postgresql-license") > 0


def test_orderable_options_page_with_marker(rds):
    pages = list(
        rds.get_paginator("describe_orderable_db_instance_options").paginate(
            Engine="postgres", EngineVersion="16.11", PaginationConfig={"PageSize": 20}
        )
    )
    assert len(pages) > 2 and all(len(p["OrderableDBInstanceOptions"]) == 20 for p in pages[:-1])
    assert "Marker" not in pages[-1]
    paged = [(o["DBInstanceClass"], o["StorageType"]) for p in pages for o in p["OrderableDBInstanceOptions"]]
    whole = [
        (o["DBInstanceClass"], o["StorageType"])
        for o in rds.describe_orderable_db_instance_options(Engine="postgres", EngineVersion="16.11")[
            "OrderableDBInstanceOptions"
        ]
    ]
    assert paged == whole and len(set(paged)) == len(paged)
    assert error_of(rds.describe_orderable_db_instance_options, Engine="postgres", Marker="garbage")[0] == (
        "InvalidParameterValue"
    )


def test_create_resolves_and_checks_the_version_and_class(rds):
    assert create_db(rds, "pinned-major", EngineVersion="16")["EngineVersion"] == "16.11"
    no_version = rds.create_db_instance(
        DBInstanceIdentifier="no-version",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        MasterUserPassword="correct-horse",
        AllocatedStorage=20,
    )["DBInstance"]
    assert no_version["EngineVersion"] == "17.7"
    assert error_of(
        rds.create_db_instance,
        DBInstanceIdentifier="bad-version",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        EngineVersion="16.99",
        MasterUsername="app",
        MasterUserPassword="correct-horse",
        AllocatedStorage=20,
    ) == ("InvalidParameterCombination", "Cannot find version 16.99 for postgres")
    code, message = error_of(
        rds.create_db_instance,
        DBInstanceIdentifier="bad-class",
        DBInstanceClass="db.t2.micro",
        Engine="postgres",
        EngineVersion="16.11",
        MasterUsername="app",
        MasterUserPassword="correct-horse",
        AllocatedStorage=20,
    )
    assert code == "InvalidParameterCombination"
    assert message.startswith("RDS does not support creating a DB instance with the following combination:")
    assert "DBInstanceClass=db.t2.micro" in message
    ids = [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]]
    assert sorted(ids) == ["no-version", "pinned-major"]


def test_create_refuses_deprecated_versions_and_storage_out_of_range(rds):
    """AWS stopped creating instances on minors past standard support (16.4 among them), and the
    storage size must lie in the storage type's range (see rds.py)."""
    assert error_of(create_db, rds=rds, identifier="old", EngineVersion="16.4") == (
        "InvalidParameterCombination",
        "Cannot find version 16.4 for postgres",
    )
    assert error_of(create_db, rds=rds, identifier="small", EngineVersion="16", AllocatedStorage=10) == (
        "InvalidParameterCombination",
        "Invalid storage size for engine name postgres and storage type gp2: 10",
    )
    # specs/: staging's magnetic 10 GiB on db.t3.micro and production's gp3 20 GiB, both on "16".
    staging = create_db(rds, "staging", EngineVersion="16", StorageType="standard", AllocatedStorage=10)
    production = create_db(rds, "production", EngineVersion="16", StorageType="gp3")
    assert (staging["EngineVersion"], production["EngineVersion"]) == ("16.11", "16.11")
    assert error_of(
        rds.create_db_instance,
        DBInstanceIdentifier="magnetic-arm",
        DBInstanceClass="db.t4g.micro",  # magnetic storage is offered on the x86 classes only
        Engine="postgres",
        EngineVersion="16",
        StorageType="standard",
        AllocatedStorage=10,
        MasterUsername="app",
        MasterUserPassword="correct-horse",
    )[0] == "InvalidParameterCombination"
    ids = sorted(d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"])
    assert ids == ["production", "staging"]


def maintenance(account):
    status, body = internal("POST", "/_provision/rds/maintenance", {"account_id": account, "region": REGION})
    assert status == 200, body
    return body["upgraded"]


def test_the_maintenance_window_moves_auto_upgraded_minors_forward(rds, account):
    create_db(rds, "auto", EngineVersion="16.9")
    create_db(rds, "manual", EngineVersion="16.9", AutoMinorVersionUpgrade=False)
    create_db(rds, "current", EngineVersion="16.11")
    moved = maintenance(account)
    assert moved == [{"DBInstanceIdentifier": "auto", "From": "16.9", "To": "16.11"}]
    assert [describe(rds, i)["EngineVersion"] for i in ("auto", "manual", "current")] == ["16.11", "16.9", "16.11"]
    assert maintenance(account) == []


def test_modify_refuses_downgrades_unknown_versions_and_classes(rds):
    create_db(rds, EngineVersion="16.10")
    for apply in (True, False):
        assert error_of(
            rds.modify_db_instance,
            DBInstanceIdentifier="orders",
            EngineVersion="16.9",
            ApplyImmediately=apply,
        ) == ("InvalidParameterCombination", "Cannot upgrade postgres from 16.10 to 16.9")
    assert error_of(rds.modify_db_instance, DBInstanceIdentifier="orders", EngineVersion="15") == (
        "InvalidParameterCombination",
        "Cannot upgrade postgres from 16.10 to 15.15",
    )
    assert error_of(rds.modify_db_instance, DBInstanceIdentifier="orders", EngineVersion="16.99") == (
        "InvalidParameterCombination",
        "Cannot find version 16.99 for postgres",
    )
    assert error_of(rds.modify_db_instance, DBInstanceIdentifier="orders", DBInstanceClass="db.t2.micro")[
        0
    ] == ("InvalidParameterCombination")
    assert error_of(rds.modify_db_instance, DBInstanceIdentifier="orders", EngineVersion="17.7")[0] == (
        "InvalidParameterCombination"  # a major upgrade needs AllowMajorVersionUpgrade
    )
    assert describe(rds).get("PendingModifiedValues", {}) == {}

    pending = rds.modify_db_instance(DBInstanceIdentifier="orders", EngineVersion="16")["DBInstance"]
    assert pending["EngineVersion"] == "16.10"
    assert pending["PendingModifiedValues"] == {"EngineVersion": "16.11"}
    upgraded = rds.modify_db_instance(
        DBInstanceIdentifier="orders",
        EngineVersion="17.7",
        AllowMajorVersionUpgrade=True,
        DBInstanceClass="db.m6g.large",
        ApplyImmediately=True,
    )["DBInstance"]
    assert (upgraded["EngineVersion"], upgraded["DBInstanceClass"]) == ("17.7", "db.m6g.large")


def test_modify_to_the_major_alone_moves_only_a_lower_minor(rds):
    """ModifyDBInstance's EngineVersion: "If you specify only a major version, Amazon RDS updates
    the DB instance to the default minor version if the current minor version is lower"."""
    create_db(rds, "current", EngineVersion="16.11")
    create_db(rds, "behind", EngineVersion="16.9")
    same = rds.modify_db_instance(DBInstanceIdentifier="current", EngineVersion="16", ApplyImmediately=True)
    assert same["DBInstance"]["EngineVersion"] == "16.11"
    moved = rds.modify_db_instance(DBInstanceIdentifier="behind", EngineVersion="16", ApplyImmediately=True)
    assert moved["DBInstance"]["EngineVersion"] == "16.11"
