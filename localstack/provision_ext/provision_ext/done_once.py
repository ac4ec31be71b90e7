"""Work the emulator did again and again for the same answer, done once.

Per request: moto finds the method for an action by listing the response class's functions
with `inspect.getmembers` on every call (EC2's class has 286 functions: several milliseconds
per request). Classes do not change once the server runs (patches
replace methods, they add none), so each class's names are listed once.

Per account: every test of provision runs in an account of its own, so an account's first
request pays for moto's setup of it, and the suite pays that hundreds of times. Two parts of
that setup are work whose result is the same for every account:

- IAM: each account's backend parses moto's 3.5 MB of AWS managed policies (about 1,400) from
  JSON and builds an object for each: 0.15-0.25 s of CPU per account. AWS managed policies are
  the same in every account (`arn:aws:iam::aws:policy/...`), so they are built once and each
  account gets copies of its own (attachment counts, tags and versions stay per account).
- KMS: moto gives every key, symmetric ones included, an RSA-2048 private key generated at
  creation (the default `aws/rds` and `aws/secretsmanager` keys a database's managed master
  password makes: 50-150 ms each). It is generated when first used instead; only asymmetric
  keys' Sign, Verify and GetPublicKey use it.

None changes an answer: what clients see is what moto built for them before.
"""

import copy
import threading

from moto.iam.utils import random_policy_id

_templates: dict[str, list] = {}
_lock = threading.Lock()


def _copy_for(policy, account_id: str):
    """A copy of an AWS managed policy for `account_id`: its own id, tags, counts and versions."""
    mine = copy.copy(policy)
    for name, value in vars(policy).items():
        if isinstance(value, (list, dict, set)):
            setattr(mine, name, copy.copy(value))
    mine.versions = [copy.copy(v) for v in policy.versions]
    mine.account_id = account_id
    mine.id = random_policy_id()
    mine.attachment_count = 0
    mine.tags = {}
    return mine


def init_aws_policies(fn, self):
    """IAMBackend._init_aws_policies: the partition's AWS managed policies, built once."""
    key = getattr(self, "partition", None) or self.region_name
    with _lock:
        template = _templates.get(key)
        if template is None:
            # Kept pristine: every account, the first included, gets copies.
            template = _templates[key] = fn(self)
    return [_copy_for(p, self.account_id) for p in template]


class _LazyPrivateKey:
    """A private key made on first use: everything else about the key is as moto makes it."""

    def __init__(self, make):
        self._make = make
        self._key = None
        self._lock = threading.Lock()

    def _made(self):
        with self._lock:
            if self._key is None:
                self._key = self._make()
            return self._key

    def __getattr__(self, name):
        # Only the key's own attributes are forwarded: copy and pickle look up dunders on an
        # instance whose __init__ has not run, and must not make (or recurse into) a key.
        if name.startswith("__") or name in ("_make", "_key", "_lock"):
            raise AttributeError(name)
        return getattr(self._made(), name)


def generate_private_key(fn, key_spec):
    """moto.kms.models.generate_private_key, deferred until the key is used."""
    return _LazyPrivateKey(lambda: fn(key_spec))


_method_names: dict[type, frozenset] = {}


def method_names_from_class(fn, clazz):
    """moto.core.responses.method_names_from_class, listed once per class."""
    names = _method_names.get(clazz)
    if names is None:
        names = _method_names[clazz] = frozenset(fn(clazz))
    return names
