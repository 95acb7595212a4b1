"""``python -m auditor.lab up --state DIR [--spec demo] [--prefix ald-]`` | ``down --state DIR``
| ``down --all-stale``.

``up`` leaves the lab running (persistent: no owner) and writes
``inventory.yml`` and ``known_hosts`` into the state dir; run the auditor with
``ip netns exec <prefix>msp auditor ...``. Exit status 0 on success, 1 with a
one-line error otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditor.lab import state
from auditor.lab.build import Lab
from auditor.lab.demo import DEMO_SPEC
from auditor.lab.demo_run import run_demo
from auditor.lab.inventory import write_inventory
from auditor.lab.spec import (
    AUDIT_USER,
    DEVICE_PASSWORD,
    DEVICE_USER,
    REFLECTOR,
    WINDOWS_PASSWORD,
    LabError,
    LabSpec,
)

SPECS: dict[str, LabSpec] = {"demo": DEMO_SPEC}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m auditor.lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build a lab (removes a stale one with the same prefix)")
    up.add_argument("--state", type=Path, required=True, help="directory for keys, logs, state")
    up.add_argument("--spec", choices=sorted(SPECS), default="demo")
    up.add_argument("--prefix", default="ald-", help="namespace prefix, al<tag>- (default ald-)")
    down = sub.add_parser("down", help="tear a lab down and wait until it is gone")
    which = down.add_mutually_exclusive_group(required=True)
    which.add_argument("--state", type=Path, help="the state dir given to up")
    which.add_argument("--all-stale", action="store_true", help="every lab without a live owner")
    demo = sub.add_parser("demo", help="build the demo lab, audit it, write reports, take it down")
    demo.add_argument("--out", type=Path, default=Path("reports"), help="report folder")
    sites = sub.add_parser("sites-demo", help="two customer sites, a worker at each, one "
                           "scheduled run, reports; then everything down")  # fmt: skip
    sites.add_argument("--out", type=Path, default=Path("reports/sites"), help="report folder")
    return parser


def survey_command(lab: Lab) -> list[str]:
    """``auditor survey`` of the lab's LAN with the lab's accounts (their passwords in files)."""
    secrets = {"windows-password": WINDOWS_PASSWORD, "device-password": DEVICE_PASSWORD}
    for name, value in secrets.items():
        path = lab.state_dir / name
        path.touch(mode=0o600)
        path.write_text(value + "\n", encoding="utf-8")
    return [
        "ip", "netns", "exec", lab.msp_ns, "auditor", "survey", "198.51.100.0/24",
        "--customer", "'Neukunde AG'", "--user", "root", "--key", str(lab.client_key),
        "--win-user", AUDIT_USER, "--win-password-file", str(lab.state_dir / "windows-password"),
        "--net-user", DEVICE_USER,
        "--net-password-file", str(lab.state_dir / "device-password"),
        "--reflector", REFLECTOR, "--expected-network", "203.0.113.0/24",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return run_demo(args.out)
        if args.command == "sites-demo":
            from auditor.lab.sites_demo import run_sites_demo

            return run_sites_demo(args.out)
        if args.command == "up":
            lab = Lab(SPECS[args.spec], args.state, args.prefix).up(persistent=True)
            inventory = write_inventory(lab, lab.state_dir / "inventory.yml")
            print(f"lab {lab.prefix} up: {len(lab.hosts)} hosts, inventory {inventory}")
            print(f"run: ip netns exec {lab.msp_ns} auditor ...")
            print("site survey: " + " ".join(survey_command(lab)))
        elif args.all_stale:
            cleaned = state.clean_stale(keep_persistent=False)
            print(f"removed {len(cleaned)} lab(s): {' '.join(cleaned) or '-'}")
        else:
            path = args.state / state.STATE_FILE
            if not path.exists():
                print(f"no lab state in {args.state}: nothing to do")
                return 0
            st = state.load(path)
            state.teardown(st.prefix, st)
            print(f"lab {st.prefix} down")
    except LabError as exc:
        print(f"auditor.lab: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
