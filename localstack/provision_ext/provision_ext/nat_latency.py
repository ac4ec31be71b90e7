"""NAT gateways take AWS's time in the latency mode (config.seconds "nat_create"/"nat_delete").

moto's gateways are `available` at once and `deleted` at once. On AWS a new gateway is `pending`
until it is `available` and a deleted one `deleting` until it is `deleted`
(https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html). Outside the
latency mode both durations are 0 and nothing changes.
"""

import threading

from . import config


def _later(delay: float, action):
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()


def pending(create):
    """Wraps NatGatewayBackend.create_nat_gateway: the gateway is pending for a while."""

    def create_pending(self, *args, **kwargs):
        nat = create(self, *args, **kwargs)
        delay = config.seconds("nat_create")
        if delay > 0:
            nat.state = "pending"

            def become_available():
                if nat.state == "pending":
                    nat.state = "available"

            _later(delay, become_available)
        return nat

    return create_pending


def deleting(delete):
    """Wraps NatGatewayBackend.delete_nat_gateway: the gateway (with its interface and address)
    is deleting for a while, then deleted."""

    def delete_later(self, nat_gateway_id: str):
        delay = config.seconds("nat_delete")
        if delay <= 0:
            return delete(self, nat_gateway_id)
        nat = self.nat_gateways.get(nat_gateway_id)
        if nat is None or nat.state in ("deleting", "deleted"):
            return delete(self, nat_gateway_id)  # moto's own answer
        nat.state = "deleting"
        _later(delay, lambda: delete(self, nat_gateway_id))
        return nat

    return delete_later
