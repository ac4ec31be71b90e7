import pytest
from botocore.exceptions import ClientError


def test_conditional_writes_fail_with_412_on_conflict(aws, account):
    # Bucket names are global: a fixed one would collide with a rerun on the same server.
    bucket = f"state-{account}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    first = s3.put_object(Bucket=bucket, Key="provision.json", Body=b"v1", IfNoneMatch="*")

    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="provision.json", Body=b"v2", IfNoneMatch="*")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert raised.value.response["Error"]["Code"] == "PreconditionFailed"

    with pytest.raises(ClientError) as raised:
        s3.put_object(
            Bucket=bucket, Key="provision.json", Body=b"v2", IfMatch='"0123456789abcdef0123456789abcdef"'
        )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412

    s3.put_object(Bucket=bucket, Key="provision.json", Body=b"v2", IfMatch=first["ETag"])
    assert s3.get_object(Bucket=bucket, Key="provision.json")["Body"].read() == b"v2"


def test_another_accounts_bucket_is_refused_as_on_aws(aws, account):
    """Bucket names are global, buckets private: HeadBucket answers a bare 403, other calls
    AccessDenied, and creating the name is BucketAlreadyExists (AWS's HeadBucket reference)."""
    owner = aws("s3")
    name = f"private-{account}"
    owner.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    owner.put_object(Bucket=name, Key="state.json", Body=b"{}")
    assert owner.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200

    other_account = ("2" if account[0] == "1" else "1") + account[1:]
    other = aws("s3", account_id=other_account)
    with pytest.raises(ClientError) as raised:
        other.head_bucket(Bucket=name)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    for call in (
        lambda: other.get_object(Bucket=name, Key="state.json"),
        lambda: other.list_objects_v2(Bucket=name),
        lambda: other.put_object(Bucket=name, Key="x", Body=b"x"),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert raised.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as raised:
        other.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    assert raised.value.response["Error"]["Code"] == "BucketAlreadyExists"
    # A name nobody holds is still 404.
    with pytest.raises(ClientError) as raised:
        other.head_bucket(Bucket=f"nobody-{account}")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # The owner is unaffected.
    assert owner.get_object(Bucket=name, Key="state.json")["Body"].read() == b"{}"
