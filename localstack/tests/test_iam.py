"""IAM (LocalStack community over moto) is served, for the Beanstalk instance profile and service
role of issue 11: roles, managed policies, instance profiles. Nothing is enforced (that is Pro)."""

import json

from test_rds import error_of

EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def test_instance_profile_with_a_role_and_a_managed_policy(aws, account):
    iam = aws("iam")
    role = iam.create_role(RoleName="app-eb-instance", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))["Role"]
    assert role["Arn"] == f"arn:aws:iam::{account}:role/app-eb-instance"
    iam.attach_role_policy(
        RoleName="app-eb-instance", PolicyArn="arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier"
    )
    iam.create_instance_profile(InstanceProfileName="app-eb-instance")
    iam.add_role_to_instance_profile(InstanceProfileName="app-eb-instance", RoleName="app-eb-instance")
    profile = iam.get_instance_profile(InstanceProfileName="app-eb-instance")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["app-eb-instance"]
    assert profile["Arn"] == f"arn:aws:iam::{account}:instance-profile/app-eb-instance"
    # One role per profile, and deletes in AWS's order (moto's codes are AWS's).
    iam.create_role(RoleName="second", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    assert (
        error_of(iam.add_role_to_instance_profile, InstanceProfileName="app-eb-instance", RoleName="second")[
            0
        ]
        == "LimitExceeded"
    )
    assert error_of(iam.delete_role, RoleName="app-eb-instance")[0] == "DeleteConflict"
    # Another account does not see the role.
    other = aws("iam", account_id="210987654321")
    assert error_of(other.get_role, RoleName="app-eb-instance")[0] == "NoSuchEntity"


def test_a_roles_listing_carries_its_instance_profiles_with_their_tags(aws):
    """provision reads instance profiles from GetAccountAuthorizationDetails' roles: each
    RoleDetail's InstanceProfileList holds "the instance profiles that contain this role"
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleDetail.html), each an
    InstanceProfile with its Roles and Tags
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_InstanceProfile.html). A profile
    holding no role is in no role's list, only in ListInstanceProfiles."""
    iam = aws("iam")
    iam.create_role(RoleName="app-ec2", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    tags = [{"Key": "provision:env", "Value": "staging"}]
    iam.create_instance_profile(InstanceProfileName="app-ec2-profile", Tags=tags)
    iam.add_role_to_instance_profile(InstanceProfileName="app-ec2-profile", RoleName="app-ec2")
    iam.create_instance_profile(InstanceProfileName="roleless-profile", Tags=tags)
    roles = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    (role,) = [r for r in roles if r["RoleName"] == "app-ec2"]
    (profile,) = role["InstanceProfileList"]
    assert profile["InstanceProfileName"] == "app-ec2-profile"
    assert [r["RoleName"] for r in profile["Roles"]] == ["app-ec2"]
    assert profile["Tags"] == tags
    listed = {p["InstanceProfileName"] for r in roles for p in r["InstanceProfileList"]}
    assert "roleless-profile" not in listed
    names = {p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]}
    assert {"app-ec2-profile", "roleless-profile"} <= names
