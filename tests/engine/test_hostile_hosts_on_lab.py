"""Hostile hosts on a real lab: real sshd, real asyncssh, answers no honest payload gives.

Each host takes the login and then answers the payload from ``lab/hostile.py``:
gigabytes of output, output that never ends, broken or hostile documents,
HTML, script and terminal escapes, a crash, a connection killed mid-stream.
Every such host must end as an ``error`` naming its reason, in bounded time
and memory, with the honest host beside them audited as usual and nothing of
the hostile output reaching a page or the terminal unescaped.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.lab import HostSpec, Lab, LabSpec, unique_prefix
from auditor.lab.hostile import MODES
from auditor.lab.netns import pids_in
from auditor.lab.spec import RESOLVER_GOOD
from tests.engine.conftest import audit_argv

pytestmark = pytest.mark.lab

CUSTOMER = "Hostile Hosts GmbH"
SPEC = LabSpec(
    name="hostile",
    hosts=(HostSpec("honest", CUSTOMER, teamviewer="running"),
           *(HostSpec(f"h-{mode}", CUSTOMER, hostile=mode) for mode in MODES)),
)  # fmt: skip
REASONS = {  # the one-line reason each host's probe stage must give
    "flood": "over the 1000000 limit",
    "endless": "did not finish within",
    "badutf8": "not UTF-8",
    "nested": "not valid JSON",
    "markers": "2 observation documents",
    "schema": "section 'tcp' is not a list of objects",
    "exit3": "exit status 3; stderr: payload crashed: out of cheese",
    "disconnect": "the connection was lost while the payload ran",
    "fakename": "names a payload the auditor does not have",
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("hostile")
    lab = Lab(SPEC, work / "lab", prefix=unique_prefix("x")).up()
    try:
        argv = audit_argv(lab, work, "--no-history", "--lang", "en")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        clock = time.monotonic()
        done = subprocess.run(["ip", "netns", "exec", lab.msp_ns, *argv], capture_output=True,
                              timeout=300, check=False)  # fmt: skip
        took = time.monotonic() - clock
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        results = json.loads((work / "out" / "results.json").read_text(encoding="utf-8"))
        yield {"done": done, "took": took, "peak_kib": max(peak_kib, before), "work": work,
               "hosts": {h["name"]: h for h in results["hosts"]}, "lab": lab}  # fmt: skip
    finally:
        lab.down()


def test_every_hostile_host_ends_in_error_with_its_reason(hostile_run: dict[str, Any]) -> None:
    hosts = hostile_run["hosts"]
    assert hostile_run["done"].returncode == 2  # some hosts could not be audited
    assert hosts["honest"]["stage"] == "judged" and hosts["honest"]["compliant"] is True
    for mode in MODES:
        host = hosts[f"h-{mode}"]
        verdicts = {c["verdict"] for c in host["checks"]}
        if mode == "escapes":  # well-formed: judged, and what it claims proves nothing
            assert host["stage"] == "judged"
            assert all("\x1b" not in c["reason"] for c in host["checks"])  # shown as \\x1b
            claimed = {c["id"]: c["verdict"] for c in host["checks"]}
            assert all(claimed[c] != "pass" for c in ("tcp_80", "tls_443", "dns_udp")), claimed
            continue
        assert "pass" not in verdicts, mode  # never a verdict from what a hostile host said
        assert host["stage"] == "probe", (mode, host["stage_reason"])
        assert verdicts <= {"error", "not_applicable"}, mode
        assert REASONS[mode] in host["stage_reason"], (mode, host["stage_reason"])


def test_time_and_memory_stay_bounded(hostile_run: dict[str, Any]) -> None:
    """4 GB offered, ten minutes of output offered: the run takes neither."""
    assert hostile_run["took"] < 90, hostile_run["took"]
    assert hostile_run["peak_kib"] < 400 * 1024, hostile_run["peak_kib"]


def test_nothing_hostile_reaches_a_page_or_the_terminal(hostile_run: dict[str, Any]) -> None:
    done = hostile_run["done"]
    for stream in (done.stdout, done.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream
        assert b"<script>" not in stream
    out = hostile_run["work"] / "out"
    for page in out.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>" not in html and "<img src=x" not in html, page.name
        assert "\x1b" not in html and "\x07" not in html, page.name
    page = (out / "hostile-hosts-gmbh.html").read_text(encoding="utf-8")
    assert "NASTY" not in page and "owned" not in page  # a hostile document is not shown
    assert "internal error" not in json.dumps(hostile_run["hosts"])  # a host fault is no bug


def test_a_dead_reflector_and_resolver_never_turn_into_a_pass(
    hostile_run: dict[str, Any],
) -> None:
    """The provider's reflector and the good resolver die (last: this lab's own services):
    what needed them is not proven, never passed; what the host shows of itself still is."""
    lab: Lab = hostile_run["lab"]
    for pid in pids_in([lab.inet_ns]):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"reflector" in command or RESOLVER_GOOD.encode() in command:
                os.kill(pid, signal.SIGKILL)
    work = hostile_run["work"] / "dead"
    work.mkdir()
    argv = audit_argv(lab, work, "--no-history", "-l", "honest")
    done = subprocess.run(["ip", "netns", "exec", lab.msp_ns, *argv], capture_output=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode in (1, 2), done.stderr
    host = json.loads((work / "out" / "results.json").read_text(encoding="utf-8"))["hosts"][0]
    verdicts = {c["id"]: c["verdict"] for c in host["checks"]}
    needs_outside = [c for c in verdicts if c not in ("admin", "teamviewer")]
    assert needs_outside and all(verdicts[c] != "pass" for c in needs_outside), verdicts
    assert verdicts["admin"] == "pass" and verdicts["teamviewer"] == "pass"
