"""Environment properties and environment secrets, refused as Elastic Beanstalk refuses them.

- Properties (aws:elasticbeanstalk:application:environment), Elastic Beanstalk Developer Guide,
  "Environment property limits"
  (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environments-cfg-softwaresettings.html):
  keys hold alphanumerics and `_ . : / + \\ - @`; values alphanumerics, white space and
  `_ . : / = + \\ - @ ' "`; all properties together at most 4,096 bytes as `key=value`. Read
  narrowly, as provision reads them (model/properties.rs): ASCII letters and digits, space, tab.
- Secrets (aws:elasticbeanstalk:application:environmentsecrets), "Fetching secrets and parameters
  to Elastic Beanstalk environment variables"
  (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/AWSHowTo.secrets.env-vars.html): the value
  is a Secrets Manager secret's ARN, optionally `:json-key` after it, or a Systems Manager
  parameter's ARN. The guide says the console checks the ARN's format; the emulator checks it at
  the API too. Secret names follow AWS's ARN pattern `[a-zA-Z0-9-_/+=.@!]+` (RDS's `rds!db-…`).

The refusals are ConfigurationValidationException, the code Beanstalk gives option values it
refuses; their text has the shape AWS uses for a value failing its pattern ("Invalid option value:
'…' (Namespace: '…', OptionName: '…'): Value does not satisfy regex: '…' […]", as quoted in
aws/aws-elastic-beanstalk-cli#77). The regexes are the documented sets written out; AWS's own, and
its wording for the size limit, are not published.
"""

import re

PROPERTIES = "aws:elasticbeanstalk:application:environment"
SECRETS = "aws:elasticbeanstalk:application:environmentsecrets"
MAX_BYTES = 4096

VALUE_REGEX = r"^[A-Za-z0-9 \t_.:/=+\\\-@'\"]*$"
KEY_REGEX = r"^[A-Za-z0-9_.:/+\\\-@]+$"
SECRET_REGEX = (
    r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9\-_/+=.@!]+(:[^:]+)?$"
    r"|^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[^:]+$"
)


def value_problems(given: dict) -> list[tuple[str, str, str, str]]:
    """(namespace, option, value, reason) for each property or secret in `given` AWS refuses."""
    out = []
    for (namespace, option), value in given.items():
        if namespace == PROPERTIES and not re.fullmatch(VALUE_REGEX, value):
            reason = (
                f"Value does not satisfy regex: '{VALUE_REGEX}' [Environment property values can contain "
                "only alphanumeric characters, white space and _ . : / = + \\ - @ ' \"]"
            )
            out.append((namespace, option, value, reason))
        if namespace == SECRETS and not re.fullmatch(SECRET_REGEX, value):
            reason = (
                f"Value does not satisfy regex: '{SECRET_REGEX}' [An environment secret is the ARN of a "
                "Secrets Manager secret (optionally :json-key) or of a Systems Manager parameter]"
            )
            out.append((namespace, option, value, reason))
    return out


def key_problems(given: dict) -> list[tuple[str, str, str]]:
    """(namespace, option, message) for each property name AWS refuses."""
    allowed = "alphanumeric characters and _ . : / + \\ - @"
    return [
        (ns, option, f"Invalid option specification (Namespace: '{ns}', OptionName: '{option}'): "
         f"Environment property names can contain only {allowed}")
        for ns, option in given
        if ns == PROPERTIES and not re.fullmatch(KEY_REGEX, option)
    ]


def size(merged: dict) -> int:
    """Bytes the environment's properties take together, as `key=value` strings."""
    return sum(
        len(option.encode()) + 1 + len(value.encode()) for (ns, option), value in merged.items() if ns == PROPERTIES
    )
