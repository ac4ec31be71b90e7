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


def pending(create, self, *args, **kwargs):
    """Replaces NatGatewayBackend.create_nat_gateway (patches.py): the gateway is pending for a
    while."""
    nat = create(self, *args, **kwargs)
    delay = config.seconds("nat_create")
    if delay > 0:
        nat.state = "pending"

        def become_available():
            if nat.state == "pending":
                nat.state = "available"

        _later(delay, become_available)
    return nat


def deleting(delete, self, nat_gateway_id: str):
    """Replaces NatGatewayBackend.delete_nat_gateway (patches.py; stacked on ec2.py's, which
    takes the interface and address along): the gateway is deleting for a while, then deleted."""
    delay = config.seconds("nat_delete")
    if delay <= 0:
        return delete(self, nat_gateway_id)
    nat = self.nat_gateways.get(nat_gateway_id)
    if nat is None or nat.state in ("deleting", "deleted"):
        return delete(self, nat_gateway_id)  # moto's own answer
    nat.state = "deleting"
    _later(delay, lambda: delete(self, nat_gateway_id))
    return nat
