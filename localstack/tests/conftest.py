"""Fixtures: boto3 clients for a fresh random account per test, and the Beanstalk status delay."""

import os
import random

import boto3
import pytest
from botocore.config import Config
from support import ENDPOINT, REGION, internal

os.environ["NO_PROXY"] = "127.0.0.1,localhost"  # boto3 must not send loopback traffic to a proxy


def pytest_sessionstart(session):
    try:
        status, _ = internal("GET", "/_provision/config")
    except (OSError, ValueError):
        status = None
    if status != 200:
        pytest.exit(f"no provision LocalStack answers at {ENDPOINT}; run localstack/start", returncode=1)


@pytest.fixture
def account() -> str:
    """A 12-digit access key id is its own account in LocalStack: a fresh one isolates each test."""
    return str(random.randint(10**11, 10**12 - 1))


@pytest.fixture
def aws(account):
    def client(service: str, region: str = REGION, account_id: str = account):
        return boto3.client(
            service,
            endpoint_url=ENDPOINT,
            region_name=region,
            aws_access_key_id=account_id,
            aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": 1}),
        )

    return client


@pytest.fixture
def eb_status_delay():
    """Sets the Beanstalk status delay for one test and restores it afterwards."""
    _, before = internal("GET", "/_provision/config")

    def set_delay(seconds: float):
        assert internal("POST", "/_provision/config", {"eb_status_delay": seconds})[0] == 200

    yield set_delay
    set_delay(before["eb_status_delay"])
