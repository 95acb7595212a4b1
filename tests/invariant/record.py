"""Record real observation documents from the test lab, for the judge's replay tests.

``python -m tests.invariant.record`` (as root) builds the test lab, runs the
payload on each host exactly as ``auditor run`` does (over SSH, root's key,
the launcher that picks Python or sh), and, on two hosts that have Python,
the sh payload directly (``sh -s``: the flavour a host without Python runs,
with a full Debian's tools). Each document is written to ``recorded/`` with
the plan it answered and the host's role and address. The BusyBox host runs
the sh payload by itself; the Windows hosts answer the PowerShell payload
over WinRM (pywinrm to the lab's listener, as ``auditor run`` sends it).
Re-record after a change to the payload or the plan:
``python -m tests.invariant.record [HOST ...]`` (default: every host).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from auditor.lab import Lab, unique_prefix
from auditor.lab.spec import AUDIT_USER, REFLECTOR, WINDOWS_PASSWORD
from auditor.model import Connection, Target
from auditor.payload import parse_output
from auditor.payload.delivery import Flavour, delivery_for
from auditor.payload.launch import LAUNCH_COMMAND
from auditor.payload.sh import build_launcher, build_sh_program
from auditor.profile import load_profile, plan_for
from tests.conftest import TEST_SPEC

HERE = Path(__file__).resolve().parent / "recorded"
SH_ON = ("good", "hijack")  # hosts with Python whose sh flavour is recorded too
SKIP = ("nossh", "hang", "behind", "winself", "win401", "windeny", "windrop", "winslow")
# (nothing to record: no document comes back)
# pywinrm in the MSP namespace: argv endpoint, transport; stdin the program; prints stdout
WINRS = """
import sys, winrm
endpoint, transport, user, password = sys.argv[1:5]
p = winrm.Protocol(endpoint, transport=transport, username=user, password=password,
                   server_cert_validation="ignore")
shell = p.open_shell(codepage=65001)
command = p.run_command(shell, sys.argv[5], console_mode_stdin=False)
p.send_command_input(shell, command, sys.stdin.buffer.read(), end=True)
out, err, code = p.get_command_output(shell, command)
p.cleanup_command(shell, command)
p.close_shell(shell)
sys.stdout.buffer.write(out)
"""


def record_windows(lab: Lab, name: str) -> dict[str, object]:
    """The PowerShell flavour over WinRM, answered by the lab's listener."""
    host, spec = lab.host(name), lab.spec.host(name)
    assert spec.windows is not None
    profile = load_profile(None, reflector=REFLECTOR, expected_networks=["203.0.113.0/24"])
    target = Target(name, host.address, spec.customer, role=spec.role,
                    connection=Connection.WINRM)  # fmt: skip
    plan = plan_for(profile, target).payload_input()
    sent = delivery_for(Flavour.POWERSHELL, plan)
    endpoint = f"{spec.windows.scheme}://{host.address}:{spec.windows.port}/wsman"
    argv = [sys.executable, "-c", WINRS, endpoint, spec.windows.auth[0], AUDIT_USER,
            WINDOWS_PASSWORD, sent.command]  # fmt: skip
    done = lab.run_in_msp(argv, timeout=60, input=sent.stdin.decode("ascii"))
    doc = parse_output(done.stdout.encode("latin-1"), stderr=done.stderr.encode())
    return {"host": name, "role": spec.role.value, "address": host.address, "connection": "winrm",
            "flavour": doc.get("payload"), "plan": plan, "observations": doc}  # fmt: skip


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


def main(only: list[str]) -> int:
    HERE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as state:
        lab = Lab(TEST_SPEC, Path(state), prefix=unique_prefix("r")).up()
        try:
            jobs = [(h.name, "powershell" if h.windows else "launcher")
                    for h in TEST_SPEC.hosts if h.name not in SKIP]  # fmt: skip
            jobs += [(name, "sh") for name in SH_ON]
            jobs = [(name, flavour) for name, flavour in jobs if not only or name in only]
            for name, flavour in jobs:
                if flavour == "powershell":
                    recorded = record_windows(lab, name)
                else:
                    recorded = record(lab, name, flavour=flavour)
                suffix = "-sh" if flavour == "sh" else ""
                path = HERE / f"{name}{suffix}.json"
                path.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
                print(f"{path.name}: payload {recorded['flavour']}")
        finally:
            lab.down()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
