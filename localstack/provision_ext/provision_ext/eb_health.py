"""A health blip on request: an environment Ready but Red while its load balancer's targets
register, as AWS shows after a scale from 0 instances or a configuration update.

Enhanced health degrades an environment when its instances fail health checks ("If an instance
fails health checks at least three times in any one-minute period, Elastic Beanstalk may degrade
the environment's health"; Red is Degraded or Severe, Degraded's example being "The environment
is in the process of scaling up to 5 instances": "Health colors and statuses",
https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/health-enhanced-status.html), while the
environment's status is already Ready. Each change of health is an event: a worse one a WARN,
a better one an INFO, worded as AWS's event stream words them ("Environment health has
transitioned from Severe to Degraded. … ELB health is failing or not available for 1 out of 2
instances.", as quoted in meteor-up/mup-aws-beanstalk#53).

`POST /_provision/elasticbeanstalk/health` arms it for one environment (internal.py): the next
time that environment settles to Ready it is Red / Severe for the given seconds, or until further
notice. Nothing else makes an emulated environment unhealthy.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

# (Health, HealthStatus) while the blip lasts.
RED = ("Red", "Severe")
WORSE = (
    "Environment health has transitioned from Pending to Severe. "
    "ELB health is failing or not available for all instances."
)
BETTER = "Environment health has transitioned from Severe to Ok."


@dataclass
class Blip:
    armed: bool = False
    seconds: float | None = None  # None: red until further notice
    red_until: float | None = None  # epoch seconds while red; inf when it stays red

    def arm(self, seconds: float | None):
        self.armed, self.seconds = True, seconds

    @property
    def red(self) -> bool:
        return self.red_until is not None

    def settled(self, at: float) -> list[tuple[str, str, datetime]]:
        """The environment became Ready at `at`: starts the blip if armed; the events it logs."""
        if not self.armed:
            return []
        self.armed = False
        self.red_until = math.inf if self.seconds is None else at + self.seconds
        return [("WARN", WORSE, datetime.fromtimestamp(at, UTC))]

    def recovered(self, now: float) -> list[tuple[str, str, datetime]]:
        """Ends the blip once its time has passed; the events that logs."""
        if self.red_until is None or now < self.red_until:
            return []
        at, self.red_until = self.red_until, None
        return [("INFO", BETTER, datetime.fromtimestamp(at, UTC))]
