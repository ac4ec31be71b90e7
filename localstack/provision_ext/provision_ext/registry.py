"""Applies the emulator's patches to LocalStack and moto: each checked, in order, once.

`provision_ext` changes LocalStack's and moto's behaviour by replacing functions on their classes
(listed in patches.py). LocalStack's community core is frozen and moto is pinned with it, but a
rebuilt lock or a fallback to upstream moto can rename or reshape what a patch replaces; a patch
that silently no longer applies would leave the emulator laxer than AWS while every test of
provision still passed. So before anything is replaced, every target is checked: its module
imports, the attribute exists and is callable, and its leading parameters are the ones the
replacement passes on. One failure stops the server's start with a message naming the patch and
the target (localstack/start then prints the log tail and fails).
"""

import functools
import importlib
import inspect
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

LOG = logging.getLogger(__name__)
MARK = "__provision_patch__"


@dataclass(frozen=True)
class Patch:
    """One replaced function. `replacement(original, *args, **kwargs)` is called instead of the
    target, `original` being what the attribute held before (another patch, when stacked)."""

    name: str
    target: str  # "package.module:Class.attribute"
    replacement: Callable
    why: str
    aws: str  # the AWS page the patched behaviour follows
    params: tuple[str, ...] = ()  # the target's leading parameters, in order, that must remain
    reads: tuple[str, ...] = ()  # private instance attributes the replacement reads (exercised by the tests)


class PatchError(RuntimeError):
    """A target that is gone or changed shape: the emulator must not start unpatched."""


def _resolve(patch: Patch):
    """(owner, attribute name, current value) of the patch's target."""
    module_name, _, path = patch.target.partition(":")
    try:
        owner = importlib.import_module(module_name)
    except ImportError as e:
        raise PatchError(f"patch {patch.name!r}: module {module_name} of {patch.target} does not import ({e})")
    *parents, attribute = path.split(".")
    for part in parents:
        owner = getattr(owner, part, None)
        if owner is None:
            raise PatchError(f"patch {patch.name!r}: {module_name} has no {part} (target {patch.target})")
    current = getattr(owner, attribute, None)
    if current is None:
        raise PatchError(f"patch {patch.name!r}: target {patch.target} does not exist")
    if not callable(current):
        raise PatchError(f"patch {patch.name!r}: target {patch.target} is not callable")
    return owner, attribute, current


def check(patch: Patch):
    """Raises PatchError unless the target exists, is callable and takes `params` first."""
    owner, attribute, current = _resolve(patch)
    if patch.params:
        try:
            names = tuple(inspect.signature(current).parameters)
        except (TypeError, ValueError) as e:
            raise PatchError(f"patch {patch.name!r}: target {patch.target} has no readable signature ({e})")
        if names[: len(patch.params)] != patch.params:
            raise PatchError(
                f"patch {patch.name!r}: target {patch.target} takes ({', '.join(names)}), "
                f"the patch expects ({', '.join(patch.params)}, ...)"
            )
    return owner, attribute, current


def _wrap(patch: Patch, original: Callable) -> Callable:
    @functools.wraps(original)  # keeps LocalStack's handler attributes and the signature
    def patched(*args, **kwargs):
        return patch.replacement(original, *args, **kwargs)

    setattr(patched, MARK, patch.name)
    return patched


def is_applied(patch: Patch) -> bool:
    """Whether the target's current function carries this patch (stacked patches included)."""
    try:
        _, _, fn = _resolve(patch)
    except PatchError:
        return False
    while fn is not None:
        if getattr(fn, MARK, None) == patch.name:
            return True
        fn = getattr(fn, "__wrapped__", None)
    return False


_lock = threading.Lock()


def apply(patches) -> list[str]:
    """Checks every patch, then applies those not applied yet, in the order given. Nothing is
    replaced unless every target checks out. Returns the names applied by this call."""
    with _lock:
        pending = [p for p in patches if not is_applied(p)]
        problems = []
        for patch in pending:
            try:
                check(patch)
            except PatchError as e:
                problems.append(str(e))
        if problems:
            message = "provision_ext cannot start: " + "; ".join(problems)
            LOG.error(message)
            raise PatchError(message)
        for patch in pending:
            owner, attribute, current = check(patch)  # again: an earlier patch may stack on it
            setattr(owner, attribute, _wrap(patch, current))
        return [p.name for p in pending]


def report(patches) -> list[dict]:
    """What GET /_provision/patches answers: every patch, in order, and whether it is in place."""
    return [
        {
            "name": p.name,
            "target": p.target,
            "applied": is_applied(p),
            "why": p.why,
            "aws": p.aws,
            "reads": list(p.reads),
        }
        for p in patches
    ]
