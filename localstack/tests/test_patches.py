"""The patch registry: a target that is gone or changed stops the start (on fake modules, no
server), and on the running server every declared patch is in place."""

import sys
import types

import pytest
from provision_ext import registry
from provision_ext.registry import Patch, PatchError
from support import internal


@pytest.fixture
def fake():
    """A module `fake_target` with a class whose method a patch can replace."""
    module = types.ModuleType("fake_target")

    class Backend:
        def delete(self, item_id):
            return f"deleted {item_id}"

        limit = 5

    module.Backend = Backend
    sys.modules["fake_target"] = module
    yield module
    del sys.modules["fake_target"]


def refuse(fn, self, item_id):
    if item_id == "held":
        raise ValueError("held")
    return fn(self, item_id)


def shout(fn, self, item_id):
    return fn(self, item_id).upper()


def patch(name="refuse", target="fake_target:Backend.delete", replacement=refuse, params=("self", "item_id")):
    return Patch(name, target, replacement, "why", "https://docs.aws.amazon.com/", params)


def test_a_missing_attribute_fails_naming_the_patch_and_target_and_nothing_is_applied(fake):
    good, gone = patch(), patch("gone", "fake_target:Backend.remove")
    with pytest.raises(PatchError) as e:
        registry.apply([good, gone])
    assert "patch 'gone'" in str(e.value) and "fake_target:Backend.remove does not exist" in str(e.value)
    assert fake.Backend().delete("held") == "deleted held"  # the good one was not applied either
    assert not registry.is_applied(good)


@pytest.mark.parametrize(
    "target, message",
    [
        ("fake_missing_module:Backend.delete", "module fake_missing_module of"),
        ("fake_target:Gone.delete", "fake_target has no Gone"),
        ("fake_target:Backend.limit", "fake_target:Backend.limit is not callable"),
    ],
)
def test_a_missing_module_class_or_a_non_callable_fails(fake, target, message):
    with pytest.raises(PatchError, match=message):
        registry.apply([patch(target=target)])


def test_a_changed_signature_fails(fake):
    with pytest.raises(PatchError) as e:
        registry.apply([patch(params=("self", "item_ids"))])
    assert "takes (self, item_id), the patch expects (self, item_ids, ...)" in str(e.value)


def test_patches_apply_once_in_order_and_stack(fake):
    first, second = patch(), patch("shout", replacement=shout)
    assert registry.apply([first, second]) == ["refuse", "shout"]
    assert registry.apply([first, second]) == []  # idempotent: the marks are found on the target
    assert fake.Backend().delete("x") == "DELETED X"  # shout wraps refuse, which wraps the original
    with pytest.raises(ValueError):
        fake.Backend().delete("held")
    assert [r["applied"] for r in registry.report([first, second])] == [True, True]


def test_every_patch_is_applied_on_the_running_server():
    status, body = internal("GET", "/_provision/patches")
    assert status == 200
    patches = body["patches"]
    names = [p["name"] for p in patches]
    assert len(names) >= 20 and len(set(names)) == len(names)
    assert [p["name"] for p in patches if not p["applied"]] == []
    # The two EC2 delete patches stack in the stated order: ENI holders first, VPC links outside.
    assert names.index("ec2-subnet-held") < names.index("vpc-link-subnet-held")
    for p in patches:
        # An AWS page, or "none:" and why for what only makes the emulator cheaper or safer.
        assert p["aws"].startswith(("https://docs.aws.amazon.com/", "none: ")), p
