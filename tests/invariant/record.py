"""Record real observation documents from the test lab, for the judge's replay tests.

``python -m tests.invariant.record`` (as root) builds the test lab, runs the
payload on each host exactly as ``auditor run`` does (over SSH, root's key,
the launcher that picks Python or sh), and, on two hosts that have Python,
the sh payload directly (``sh -s``: the flavour a host without Python runs,
with a full Debian's tools). Each document is written to ``recorded/`` with
the plan it answered and the host's role and address. The BusyBox host runs
the sh payload by itself. Re-record after a change to the payload or the plan.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from auditor.lab import Lab, unique_prefix
from auditor.lab.spec import REFLECTOR
from auditor.model import Target
from auditor.payload import parse_output
from auditor.payload.launch import LAUNCH_COMMAND
from auditor.payload.sh import build_launcher, build_sh_program
from auditor.profile import load_profile, plan_for
from tests.conftest import TEST_SPEC

HERE = Path(__file__).resolve().parent / "recorded"
SH_ON = ("good", "hijack")  # hosts with Python whose sh flavour is recorded too
SKIP = ("nossh", "hang", "behind")  # nothing to record: no document comes back


def record(lab: Lab, name: str, *, flavour: str) -> dict[str, object]:
    host = lab.host(name)
    spec = lab.spec.host(name)
    profile = load_profile(None, reflector=REFLECTOR, expected_networks=["203.0.113.0/24"])
    target = Target(name, host.address, spec.customer, role=spec.role)
    plan = plan_for(profile, target).payload_input()
    if flavour == "sh":
        command, program = "sh -s", build_sh_program(plan)
    else:
        command, program = LAUNCH_COMMAND, build_launcher(plan)
    argv = [
        "ssh", "-i", str(lab.client_key), "-o", f"UserKnownHostsFile={lab.known_hosts}",
        "-o", "BatchMode=yes", f"root@{host.address}", command,
    ]  # fmt: skip
    done = lab.run_in_msp(argv, timeout=60, input=program.decode("latin-1"))
    doc = parse_output(done.stdout.encode("latin-1"), stderr=done.stderr.encode())
    return {"host": name, "role": spec.role.value, "address": host.address,
            "flavour": doc.get("payload"), "plan": plan, "observations": doc}  # fmt: skip


def main() -> int:
    HERE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as state:
        lab = Lab(TEST_SPEC, Path(state), prefix=unique_prefix("r")).up()
        try:
            jobs = [(h.name, "launcher") for h in TEST_SPEC.hosts if h.name not in SKIP]
            jobs += [(name, "sh") for name in SH_ON]
            for name, flavour in jobs:
                recorded = record(lab, name, flavour=flavour)
                suffix = "-sh" if flavour == "sh" else ""
                path = HERE / f"{name}{suffix}.json"
                path.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
                print(f"{path.name}: payload {recorded['flavour']}")
        finally:
            lab.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
