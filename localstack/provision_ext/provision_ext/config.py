"""Runtime knobs of the extension, read and changed through GET/POST /_provision/config."""

import os

SETTINGS = {
    # Seconds an Elastic Beanstalk environment spends in Launching/Updating/Terminating.
    "eb_status_delay": float(os.environ.get("PROVISION_EB_STATUS_DELAY") or 0),
    # Seconds a deleted load balancer's or database's network interfaces keep holding their
    # subnets and security groups (AWS: minutes). A few seconds by default, so that every destroy
    # in the tests meets the DependencyViolation answers it must ride out.
    "eni_release_delay": float(os.environ.get("PROVISION_ENI_RELEASE_DELAY") or 2),
    # Seconds an API Gateway VPC link V2 spends in PENDING (after create) and DELETING.
    "vpc_link_delay": float(os.environ.get("PROVISION_VPC_LINK_DELAY") or 0),
    # Realistic-latency mode: when above 0, every wait below is AWS's usual duration times this
    # factor (0.05: an 8-minute database takes 24 s), replacing the three delays above.
    "latency_scale": float(os.environ.get("PROVISION_LATENCY_SCALE") or 0),
}

# AWS's usual durations, in seconds, of what the latency mode slows down (docs/localstack.md,
# "Realistic latency", gives each one's source). Typical figures, not guarantees.
AWS_SECONDS = {
    "nat_create": 90,  # pending -> available, "1-2 minutes"
    "nat_delete": 60,  # deleting -> deleted
    "rds_create": 480,  # creating -> available, small postgres instance
    "rds_delete": 300,  # deleting -> gone, without a final snapshot
    "eb_launch": 300,  # Launching -> Ready
    "eb_update": 120,  # Updating -> Ready (configuration change)
    "eb_terminate": 180,  # Terminating -> Terminated
    "vpc_link_create": 120,  # PENDING -> AVAILABLE
    "vpc_link_delete": 60,  # DELETING -> gone
    "eni_release": 300,  # a deleted load balancer's or database's interfaces linger
}

# Without the latency mode: the knob each duration follows (None: instant, as moto is).
_FALLBACK = {
    "nat_create": None,
    "nat_delete": None,
    "rds_create": None,
    "rds_delete": None,
    "eb_launch": "eb_status_delay",
    "eb_update": "eb_status_delay",
    "eb_terminate": "eb_status_delay",
    "vpc_link_create": "vpc_link_delay",
    "vpc_link_delete": "vpc_link_delay",
    "eni_release": "eni_release_delay",
}


def seconds(kind: str) -> float:
    """How long `kind` takes now: AWS's duration scaled in latency mode, else its own knob."""
    scale = SETTINGS["latency_scale"]
    if scale > 0:
        return AWS_SECONDS[kind] * scale
    knob = _FALLBACK[kind]
    return SETTINGS[knob] if knob else 0.0
