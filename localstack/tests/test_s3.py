import pytest
from botocore.exceptions import ClientError


def test_conditional_writes_fail_with_412_on_conflict(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="state", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    first = s3.put_object(Bucket="state", Key="provision.json", Body=b"v1", IfNoneMatch="*")

    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket="state", Key="provision.json", Body=b"v2", IfNoneMatch="*")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert raised.value.response["Error"]["Code"] == "PreconditionFailed"

    with pytest.raises(ClientError) as raised:
        s3.put_object(
            Bucket="state", Key="provision.json", Body=b"v2", IfMatch='"0123456789abcdef0123456789abcdef"'
        )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412

    s3.put_object(Bucket="state", Key="provision.json", Body=b"v2", IfMatch=first["ETag"])
    assert s3.get_object(Bucket="state", Key="provision.json")["Body"].read() == b"v2"
