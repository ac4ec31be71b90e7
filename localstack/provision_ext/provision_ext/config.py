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
}
