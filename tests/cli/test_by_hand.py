"""``auditor payload`` and ``auditor judge``: the payload run by hand on a host, then judged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from auditor.payload import powershell
from auditor.payload.powershell import read_program
from tests.cli.test_cli import auditor


def test_payload_prints_the_powershell_script_with_the_plan_for_the_role() -> None:
    done = auditor("payload", "--flavour", "powershell", "--role", "network",
                   "--reflector", "203.0.113.20")  # fmt: skip
    assert done.returncode == 0, done.stderr
    plan = read_program(done.stdout.encode("ascii"))  # exactly the shipped script + a plan
    assert "teamviewer" not in plan  # not for network devices
    assert plan["udp"] == [{"check": "udp_5938", "host": "203.0.113.20", "port": 5938}]
    assert done.stdout.encode("ascii").startswith(powershell.ps_source()[:40])


def test_judge_reads_what_the_payload_printed(tmp_path: Path) -> None:
    """The Python flavour runs here for real: printed, run, its output judged."""
    program = tmp_path / "probe.py"
    program.write_text(auditor("payload", "--flavour", "python").stdout)
    ran = subprocess.run([sys.executable, str(program)], capture_output=True, timeout=60,
                         check=False)  # fmt: skip
    output = tmp_path / "out.txt"
    output.write_bytes(ran.stdout)
    judged = auditor("judge", str(output))
    assert judged.returncode in (0, 1), judged.stderr
    lines = judged.stdout.splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == [
        "teamviewer", "tcp_5938", "udp_5938", "tcp_80", "tcp_443", "tls_443", "dns_udp",
        "dns_tcp", "dns_system", "admin",
    ]  # fmt: skip
    assert any(line.split()[:2] == ["udp_5938", "inconclusive"] for line in lines)  # no reflector


def test_judge_refuses_output_without_a_document_in_one_line(tmp_path: Path) -> None:
    output = tmp_path / "out.txt"
    output.write_text("PS C:\\> Access is denied.\r\n")
    done = auditor("judge", str(output))
    assert done.returncode == 4
    assert done.stderr.strip() == f"auditor: {output}: no observation document in the output"
    missing = auditor("judge", str(tmp_path / "nope.txt"))
    assert missing.returncode == 4 and "nope.txt" in missing.stderr
