"""Readiness checks for the localstack/ scripts (stdlib only, so it runs before the venv exists).

usage: health.py wait URL SERVICES PID TIMEOUT   exit 0 ready, 2 the process died, 3 timed out
       health.py show URL SERVICES               print each service's state; exit 0 if all running
"""

import json
import sys
import time
import urllib.request

# Never go through a proxy from the environment: the server is on loopback.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def service_states(url: str) -> dict:
    try:
        with _opener.open(f"{url}/_localstack/health", timeout=2) as response:
            return json.load(response).get("services", {})
    except (OSError, ValueError):
        return {}


def all_running(states: dict, services: list[str]) -> bool:
    return all(states.get(s) == "running" for s in services)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait(url: str, services: list[str], pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return 2
        if all_running(service_states(url), services):
            return 0
        time.sleep(0.1)
    return 3


def show(url: str, services: list[str]) -> int:
    states = service_states(url)
    for service in services:
        print(f"  {service:<17} {states.get(service, 'not reported')}")
    return 0 if all_running(states, services) else 1


def main(argv: list[str]) -> int:
    command, url, services = argv[0], argv[1], argv[2].split(",")
    if command == "wait":
        return wait(url, services, int(argv[3]), float(argv[4]))
    if command == "show":
        return show(url, services)
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
