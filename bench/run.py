#!/usr/bin/env python3
"""Benchmark provision against LocalStack: wall time and AWS calls of apply from empty, converged
plan and drift, a repair (apply after three changes made behind provision's back), no-op apply and
destroy, median of N runs, each run in a fresh emulated account.

Not a test: it measures and prints a Markdown report (docs/performance.md quotes it).

    bench/run.py [--runs 3] [--stack shared] [--double-subnets] [--parallelism N] [--release]

Needs LocalStack running (localstack/start), a built binary (cargo build) and boto3 for the repair's
changes (run it with the LocalStack venv's python: localstack/lib.sh's ls_venv); talks only to
127.0.0.1.
"""
import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALL = re.compile(r"^\s+(\S.*?)\s{2,}(\S+)\s+(\d+) calls")
TOTAL = re.compile(r"^AWS calls: (\d+) \((\d+) mutating\), (\d+) attempts, (\d+) retries")

# Appended to staging.toml by --double-subnets (tests/it/read_calls.rs appends the same file).
EXTRA_SUBNETS = "\n" + (ROOT / "bench/specs/extra_subnets.toml").read_text()


def workdir(account, double):
    d = Path(tempfile.mkdtemp(prefix="provision-bench-"))
    (d / "specs").mkdir()
    for f in (ROOT / "specs").glob("*.toml"):
        text = f.read_text().replace(
            'bucket = "agentpass-terraform-state"', f'bucket = "provision-bench-{account}"'
        )
        if double and f.name == "staging.toml":
            text += EXTRA_SUBNETS
        (d / "specs" / f.name).write_text(text)
    return d


def damage(account, port):
    """What the repair puts back, made as someone in the console would: the database's backup
    retention changed (its repair waits for RDS to settle), one alarm deleted, the VPC's DNS
    hostnames turned off."""
    import boto3

    kw = dict(
        region_name="us-east-2",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=account,
        aws_secret_access_key="bench",
    )
    boto3.client("rds", **kw).modify_db_instance(
        DBInstanceIdentifier="agentpass-staging", BackupRetentionPeriod=7, ApplyImmediately=True
    )
    boto3.client("cloudwatch", **kw).delete_alarms(AlarmNames=["agentpass-staging-db-cpu"])
    ec2 = boto3.client("ec2", **kw)
    vpcs = ec2.describe_vpcs(
        Filters=[
            {"Name": "tag:provision:env", "Values": ["staging"]},
            {"Name": "tag:provision:address", "Values": ["shared.vpc"]},
        ]
    )["Vpcs"]
    ec2.modify_vpc_attribute(VpcId=vpcs[0]["VpcId"], EnableDnsHostnames={"Value": False})


def run(binary, d, account, args, port):
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=account,
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION="us-east-2",
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        NO_COLOR="1",
    )
    env.pop("AWS_PROFILE", None)
    t0 = time.monotonic()
    p = subprocess.run([binary, *args, "--stats"], cwd=d, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode not in (0, 2):
        sys.exit(f"provision {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    calls, total = {}, None
    for line in p.stderr.splitlines():
        if m := TOTAL.match(line):
            total = tuple(int(x) for x in m.groups())
        elif m := CALL.match(line):
            calls[f"{m[1]} {m[2]}"] = int(m[3])
    return wall, total, calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--stack", default=None)
    ap.add_argument("--double-subnets", action="store_true")
    ap.add_argument("--parallelism", type=int, default=10)
    ap.add_argument("--port", default=os.environ.get("LOCALSTACK_PORT", "4566"))
    ap.add_argument("--release", action="store_true", help="time target/release/provision")
    a = ap.parse_args()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = str(target / ("release" if a.release else "debug") / "provision")
    scope = ["--env", "staging"] + (["--stack", a.stack] if a.stack else [])
    phases = {
        "apply from empty": ["apply", *scope, "--auto-approve", "--parallelism", str(a.parallelism)],
        "plan, converged": ["plan", *scope],
        "drift, converged": ["drift", *scope],
        "apply, repair": ["apply", *scope, "--auto-approve", "--parallelism", str(a.parallelism)],
        "apply, no-op": ["apply", *scope, "--auto-approve"],
        "destroy": ["destroy", *scope, "--auto-approve", "--parallelism", str(a.parallelism)],
    }
    results = {k: [] for k in phases}
    for _ in range(a.runs):
        account = str(random.randrange(10**11, 10**12))
        d = workdir(account, a.double_subnets)
        try:
            for name, args in phases.items():
                if name == "apply, repair":
                    if a.stack:
                        continue  # its changes span the three stacks
                    damage(account, a.port)
                results[name].append(run(binary, d, account, args, a.port))
        finally:
            shutil.rmtree(d)
    label = f"staging{' --stack ' + a.stack if a.stack else ''}"
    label += ", subnets doubled" if a.double_subnets else ""
    build = "release" if a.release else "debug"
    print(f"### {label} (parallelism {a.parallelism}, {build} build), median of {a.runs} runs\n")
    print("| phase | wall (median) | wall (min-max) | AWS calls | mutating | retries |")
    print("|---|---|---|---|---|---|")
    for name, rs in results.items():
        if not rs:
            continue
        walls = [r[0] for r in rs]
        total = rs[0][1] or (0, 0, 0, 0)
        same = all(r[1] == rs[0][1] for r in rs)
        print(
            f"| {name} | {statistics.median(walls):.2f} s | {min(walls):.2f}-{max(walls):.2f} s "
            f"| {total[0]}{'' if same else ' (varied)'} | {total[1]} | {total[3]} |"
        )
    print("\nCalls by operation (first run):\n")
    for name, rs in results.items():
        if not rs:
            continue
        calls = ", ".join(f"{k} {v}" for k, v in sorted(rs[0][2].items()))
        print(f"- {name}: {calls}")


if __name__ == "__main__":
    main()
