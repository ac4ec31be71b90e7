"""Runtime knobs of the extension, read and changed through GET/POST /_provision/config."""

import os

SETTINGS = {
    # Seconds an Elastic Beanstalk environment spends in Launching/Updating/Terminating.
    "eb_status_delay": float(os.environ.get("PROVISION_EB_STATUS_DELAY") or 0),
}
