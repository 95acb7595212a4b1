"""``make demo``: build the demo customer network, audit it for real, take it down.

The auditor runs inside the lab's MSP namespace (``ip netns exec``), exactly
as a user would run it on a machine with a route to the customers' sites, and
writes its reports into ``reports/`` of the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from auditor.lab.build import Lab
from auditor.lab.demo import DEMO_SPEC
from auditor.lab.inventory import write_inventory
from auditor.lab.spec import REFLECTOR
from auditor.run import ExitCode

DEMO_STATE = Path(".lab/demo")
DEMO_HISTORY = Path(".lab/demo-history.sqlite")  # kept between demos: the second shows changes
_MEANING: dict[int, str] = {
    ExitCode.COMPLIANT: "every host compliant",
    ExitCode.NOT_COMPLIANT: "some hosts fail a requirement (expected in the demo)",
    ExitCode.INCOMPLETE: "some hosts could not be audited (expected in the demo)",
    ExitCode.SECURITY: "a host key changed",
    ExitCode.USAGE: "bad command line, profile or inventory",
    ExitCode.INTERNAL: "internal error",
}


def audit_command(lab: Lab, inventory: Path, out_dir: Path) -> list[str]:
    """The exact ``auditor run`` a user would type in the MSP network, with the lab's site values."""
    return [
        "ip", "netns", "exec", lab.msp_ns,
        sys.executable, "-m", "auditor", "run",
        "-i", str(inventory),
        "--known-hosts", str(lab.known_hosts),
        "--reflector", REFLECTOR,
        "--expected-network", "203.0.113.0/24",
        "--timezone", "Europe/Berlin",
        "--out", str(out_dir),
        "--db", f"sqlite:///{DEMO_HISTORY.resolve()}",
        "--metrics", str(out_dir / "auditor.prom"),
        # the MSP's own TeamViewer company, as the lab's emulated Web API serves it
        "--teamviewer-api-token-file", str(lab.tvapi_token_file),
        "--teamviewer-api-url", lab.tvapi_url,
    ]  # fmt: skip


# The demo mails nothing: --dry-run writes each customer's message as an .eml to read.
_MAIL_ENV = {**os.environ, "AUDITOR_MAIL_FROM": "MSP Prüfdienst <audit@msp.example>"}


def mail_command(inventory: Path, outbox: Path) -> list[str]:
    """``auditor mail --dry-run`` of the night's run: one .eml per customer, nothing sent."""
    return [
        sys.executable, "-m", "auditor", "mail",
        "-i", str(inventory),
        "--db", f"sqlite:///{DEMO_HISTORY.resolve()}",
        "--dry-run", "--out", str(outbox),
    ]  # fmt: skip


def run_demo(out_dir: Path = Path("reports")) -> int:
    """0 when the audit ran to the end: the demo fleet has faults on purpose, so the
    auditor's own exit code (1 or 2 here) is shown, not passed on to make."""
    lab = Lab(DEMO_SPEC, DEMO_STATE.resolve(), "ald-").up()
    try:
        inventory = write_inventory(lab, lab.state_dir / "inventory.yml")
        print(f"demo lab up: {len(lab.hosts)} hosts, inventory {inventory}", flush=True)
        # the demo's own history store: brought to this auditor's schema, as a user would
        # after an upgrade (a store is never migrated behind its owner's back)
        upgrade = [sys.executable, "-m", "auditor", "db", "upgrade",
                   "--db", f"sqlite:///{DEMO_HISTORY.resolve()}"]  # fmt: skip
        subprocess.run(upgrade, check=False)
        command = audit_command(lab, inventory, out_dir.resolve())
        print("$ " + " ".join(command[5:]), flush=True)
        code = subprocess.run(command, check=False).returncode
        print(f"auditor exited {code}: {_MEANING.get(code, 'unexpected')}", flush=True)
        if code in _MEANING and code < ExitCode.USAGE:
            mail = mail_command(inventory, out_dir.resolve() / "outbox")
            print("$ " + " ".join(mail[1:]), flush=True)
            subprocess.run(mail, check=False, env=_MAIL_ENV)
        return 0 if code in _MEANING and code < ExitCode.USAGE else code
    finally:
        lab.down()
        print("demo lab down", flush=True)
