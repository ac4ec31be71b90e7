"""Work the web server did on every request for nothing, left out: the same answers.

Measured with py-spy (`--gil`, what holds the interpreter) on the server during provision's
integration tests: an eighth of the server's CPU went to two things in Twisted, which serves
LocalStack's gateway, that no answer depends on.

- Twisted parses a POST's Content-Type through the `email` package (a header registry, a policy
  and a token parser per request, 9 % of the CPU), only to compare the media type with the two
  form encodings it decodes into `request.args`. The query protocol (EC2, RDS, IAM, Beanstalk,
  CloudWatch) posts forms on every call. The media type is the value up to the first `;`,
  trimmed and lowercased, and `text/plain` unless it has exactly one `/` (RFC 2045 section 5.2,
  as `email.message.Message.get_content_type` does).
- Twisted formats an access-log line for every request (4 %) and hands it to its legacy log,
  which LocalStack's logging never shows: LocalStack logs requests itself (`LS_LOG=info`).
"""


def parse_content_type(fn, line: bytes) -> bytes:
    """Replaces twisted.web.http._parseContentType (registered in patches.py)."""
    media = line.decode("charmap").split(";", 1)[0].strip().lower()
    if media.count("/") != 1:
        return b"text/plain"
    return media.encode("charmap")


def access_log(fn, self, request) -> None:
    """Replaces twisted.web.http.HTTPFactory.log (registered in patches.py): no line."""
    return None
