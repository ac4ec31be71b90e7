"""A new account's setup made once (provision_ext/done_once.py) changes no answer: AWS
managed policies are there in every account, each account's attachments its own; a key's
private key, made on first use, signs and verifies."""

import json

from test_iam import EC2_TRUST

WEB_TIER = "arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier"


def attach_count(iam, arn):
    return iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"]


def test_aws_managed_policies_are_in_every_account_and_attachments_stay_in_theirs(aws, account):
    one, other = aws("iam"), aws("iam", account_id="310987654321")
    for iam in (one, other):
        policy = iam.get_policy(PolicyArn=WEB_TIER)["Policy"]
        assert policy["Arn"] == WEB_TIER and policy["DefaultVersionId"]
        version = iam.get_policy_version(PolicyArn=WEB_TIER, VersionId=policy["DefaultVersionId"])
        assert version["PolicyVersion"]["Document"]["Statement"]
    one.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    one.attach_role_policy(RoleName="web", PolicyArn=WEB_TIER)
    assert attach_count(one, WEB_TIER) == 1
    assert attach_count(other, WEB_TIER) == 0
    listed = [
        [p["Arn"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]]
        for iam in (one, other)
    ]
    assert WEB_TIER in listed[0] and len(listed[0]) > 1000 and sorted(listed[0]) == sorted(listed[1])
    # Each account's copy has its own id, as each account's policy did before.
    assert one.get_policy(PolicyArn=WEB_TIER)["Policy"]["PolicyId"] != (
        other.get_policy(PolicyArn=WEB_TIER)["Policy"]["PolicyId"]
    )


def test_a_private_key_is_made_on_first_use_and_works():
    from moto.kms.utils import generate_private_key
    from provision_ext import done_once

    made = []

    def make(spec):
        made.append(spec)
        return generate_private_key(spec)

    key = done_once.generate_private_key(make, "RSA_2048")
    assert made == []  # a symmetric key's never is
    signature = key.sign(b"m", "RSASSA_PKCS1_V1_5_SHA_256")
    assert made == ["RSA_2048"]
    assert key.verify(b"m", signature, "RSASSA_PKCS1_V1_5_SHA_256")
    assert key.public_key() and made == ["RSA_2048"]
    # moto's ReplicateKey copies a key: the copy works and makes nothing new.
    import copy

    assert copy.copy(key).verify(b"m", signature, "RSASSA_PKCS1_V1_5_SHA_256") and made == ["RSA_2048"]


def test_a_classes_action_names_are_listed_once_and_are_the_same_names():
    from moto.core.utils import method_names_from_class
    from moto.ec2.responses import EC2Response
    from provision_ext import done_once

    calls = []

    def listing(clazz):
        calls.append(clazz)
        return method_names_from_class(clazz)

    class Probe(EC2Response):  # a class nothing has listed yet
        pass

    first = done_once.method_names_from_class(listing, Probe)
    again = done_once.method_names_from_class(listing, Probe)
    assert first == set(method_names_from_class(EC2Response)) and "describe_vpcs" in first
    assert again is first and calls == [Probe]
