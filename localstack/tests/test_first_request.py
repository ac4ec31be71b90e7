"""Concurrent first requests to a service wait until its handlers are attached (in process: the
race is in LocalStack's request chain, and a server attaches fast enough to hide it)."""

import threading
import time
from types import SimpleNamespace

from localstack.aws.handlers.service_plugin import ServiceLoader
from provision_ext import patches, registry


class SlowRouter:
    """Attaches a service's handlers slowly, recording when each request may route."""

    def __init__(self):
        self.attached = set()

    def add_skeleton(self, skeleton):
        time.sleep(0.3)
        self.attached.add(skeleton.service.service_name)


class Manager:
    def exists(self, name):
        return True

    def require(self, name):
        from localstack.services.plugins import Service

        service = Service.__new__(Service)
        service.skeleton = SimpleNamespace(service=SimpleNamespace(service_name=name))
        return service


def test_a_second_first_request_waits_for_the_handlers(monkeypatch):
    monkeypatch.setattr("localstack.aws.handlers.service_plugin.is_api_enabled", lambda name: True)
    registry.apply([p for p in patches.PATCHES if p.name == "first-request-waits"])
    router = SlowRouter()
    loader = ServiceLoader(Manager(), router)
    context = SimpleNamespace(service=SimpleNamespace(service_name="s3"))
    routable = []

    def request():
        loader.require_service(None, context, None)
        routable.append("s3" in router.attached)

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    for thread in threads:
        thread.join(timeout=5)
    # Unpatched, the three later requests return at once and find no handler (501).
    assert routable == [True] * 4
