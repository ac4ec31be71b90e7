"""Helpers shared by the tests: the endpoint under test and its /_provision/* endpoints."""

import json
import os
import time
import urllib.error
import urllib.request

ENDPOINT = os.environ.get("LOCALSTACK_ENDPOINT", "http://127.0.0.1:4566")
REGION = "us-east-2"
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def internal(method: str, path: str, body=None) -> tuple[int, dict]:
    """Calls an internal endpoint; returns (HTTP status, JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{ENDPOINT}{path}", data=data, method=method)
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def wait_for(predicate, timeout: float = 10.0):
    """Polls predicate until it returns something truthy, and returns that."""
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)
    return result


EC2_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def instance_profile(iam, name: str = "shop-ec2") -> dict:
    """An instance profile with its role, as a Beanstalk environment needs to launch (AWS creates
    none by default); returns the option setting that names it."""
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return {"Namespace": "aws:autoscaling:launchconfiguration", "OptionName": "IamInstanceProfile", "Value": name}
