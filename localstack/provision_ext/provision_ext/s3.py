"""S3 buckets private to the account that owns them, as on AWS.

LocalStack serves any account's bucket to every caller: it keeps bucket names global but evaluates
no bucket policy or ACL, so a bucket another account owns looks like one's own. On AWS a bucket is
private to its owner unless a policy or ACL grants access, and the HeadBucket API reference
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html) says: "The action returns a
200 OK if the bucket exists and you have permission to access it. If the bucket does not exist or
you do not have permission to access it, the HEAD request returns a generic 400 Bad Request, 403
Forbidden or 404 Not Found code" - the permission being s3:ListBucket, which "the bucket owner has
by default and can grant to others". Here no grant exists, so every request on another account's
bucket gets AWS's 403 AccessDenied (HeadBucket a bare 403). That is how provision finds a state
bucket whose global name someone else already holds.
"""

from localstack.aws.api import RequestContext
from localstack.aws.api.s3 import AccessDenied


def _owner(provider, context: RequestContext, bucket: str) -> str | None:
    store = provider.get_store(context.account_id, context.region)
    if bucket in store.buckets:
        return context.account_id
    return store.global_bucket_map.get(bucket)


# Replacements for S3Provider's methods (registered in patches.py); they run before services
# load, so the provider's dispatch table sees them.


def get_cross_account_bucket(fn, self, context, bucket_name, *args, **kwargs):
    store, bucket = fn(self, context, bucket_name, *args, **kwargs)
    if bucket.bucket_account_id != context.account_id:
        raise AccessDenied("Access Denied")
    return store, bucket


def head_bucket(fn, self, context, bucket, *args, **kwargs):
    """HeadBucket finds the bucket itself rather than through _get_cross_account_bucket."""
    owner = _owner(self, context, bucket)
    if owner is not None and owner != context.account_id:
        raise AccessDenied("Access Denied")
    return fn(self, context, bucket, *args, **kwargs)
