"""The web server's shortcuts (provision_ext/serving.py) change no answer: the media type read
without the email package is the one it reads, and no access-log line is written."""

import io

import pytest
from provision_ext import serving
from twisted.internet.address import IPv4Address
from twisted.web import http

# Importing Twisted's web server warns that its TLS checks lack service_identity; no TLS here.
pytestmark = pytest.mark.filterwarnings("ignore:You do not have a working installation")

# The original, whatever the running registry did to the module in this process.
ORIGINAL = getattr(http._parseContentType, "__wrapped__", http._parseContentType)

HEADERS = [
    b"application/x-www-form-urlencoded",
    b"application/x-www-form-urlencoded; charset=utf-8",
    b"Application/X-WWW-Form-Urlencoded;charset=UTF-8",
    b"  multipart/form-data ; boundary=----x",
    b'multipart/form-data; boundary="a;b"',
    b"application/x-amz-json-1.1",
    b"application/json",
    b"text/xml; charset=ISO-8859-1",
    b"text",
    b"",
    b"a/b/c",
    b";",
    b"application/cbor",
]


class Connection:
    """Both ends of a connection, as a request and its access-log line read them."""

    def getPeer(self):
        return IPv4Address("TCP", "127.0.0.1", 40000)

    def getHost(self):
        return IPv4Address("TCP", "127.0.0.1", 4566)


@pytest.mark.parametrize("line", HEADERS)
def test_the_media_type_is_the_email_packages(line):
    assert serving.parse_content_type(ORIGINAL, line) == ORIGINAL(line)


def test_no_access_log_line_is_written():
    factory = http.HTTPFactory()
    factory._logFile = io.StringIO()
    channel = http.HTTPChannel()
    channel.transport = Connection()
    request = http.Request(channel)
    request.method, request.uri, request.clientproto = b"POST", b"/", b"HTTP/1.1"
    http.HTTPFactory.log(factory, request)  # unpatched in this process: a line
    assert factory._logFile.getvalue()
    factory._logFile = io.StringIO()
    serving.access_log(http.HTTPFactory.log, factory, request)
    assert factory._logFile.getvalue() == ""
