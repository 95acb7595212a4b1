"""A diagnostic's TCP items (the TeamViewer endpoints): ~55 more connects, each flavour.

They name no profile check, ride in the ``tcp`` section and must all run at
once: a plan whose 20 filtered items each wait a probe timeout still
finishes within one timeout, not twenty. The PowerShell payload queues its
probes (a pool of 32): it runs the items of ``diagnostics`` last, so they
never delay a check's probe.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from payload_servers import World, run_payload

from auditor.payload import build_program, parse_output
from auditor.payload.powershell import build_ps_program, read_program
from auditor.payload.sh import build_sh_program, render_plan
from tests.payload.test_sh_payload import SHELLS, run_sh, tool_dir

DIAGNOSTIC = "teamviewer_endpoints"


def diagnostic_plan(world: World) -> dict[str, Any]:
    """One contract item, then 55 of the diagnostic: 20 filtered, 15 open, 20 refused."""
    tcp = world.tcp
    extra = [(tcp.full, 20), (tcp.open, 15), (tcp.closed, 20)]
    return {
        "plan_version": 2,
        "deadline_s": 6.0,
        "probe_timeout_s": 1.0,
        "tcp": [
            {"check": "tcp_80", "host": "127.0.0.1", "port": tcp.open},
            *({"check": DIAGNOSTIC, "host": "127.0.0.1", "port": port}
              for port, count in extra for _ in range(count)),
        ],
        "diagnostics": [DIAGNOSTIC],
    }  # fmt: skip


def assert_all_observed(doc: dict[str, Any], world: World, wall_s: float) -> None:
    mine = [i for i in doc["tcp"] if i["check"] == DIAGNOSTIC]
    assert len(mine) == 55 and len(doc["tcp"]) == 56
    statuses = {port: {i["status"] for i in mine if i["port"] == port}
                for port in (world.tcp.full, world.tcp.open, world.tcp.closed)}  # fmt: skip
    assert statuses == {
        world.tcp.full: {"timeout"},
        world.tcp.open: {"connected"},
        world.tcp.closed: {"refused"},
    }
    assert not any(i.get("phase") == "deadline" for i in doc["tcp"])
    assert wall_s < 5.0  # in parallel: about one probe timeout, never 20 of them


def test_the_python_payload_runs_them_all_at_once(world: World) -> None:
    started = time.monotonic()
    done = run_payload(
        "python3", build_program(diagnostic_plan(world)), world.resolv_conf, world.pki["ca"]
    )
    doc = parse_output(done.stdout, stderr=done.stderr)
    assert_all_observed(doc, world, time.monotonic() - started)


@pytest.mark.parametrize("kind", SHELLS)
def test_the_sh_payload_runs_them_all_at_once(world: World, tmp_path: Path, kind: str) -> None:
    path = tool_dir(tmp_path, kind)
    started = time.monotonic()
    done = run_sh(world, build_sh_program(diagnostic_plan(world)), kind, path)
    doc = parse_output(done.stdout, stderr=done.stderr)
    assert_all_observed(doc, world, time.monotonic() - started)


def test_the_sh_plan_carries_diagnostic_items_like_any_other(world: World) -> None:
    rendered = render_plan(diagnostic_plan(world))
    assert rendered.count(f"{DIAGNOSTIC} 127.0.0.1 ") == 55


def test_the_powershell_plan_lists_them_and_queues_them_last(world: World) -> None:
    plan = diagnostic_plan(world)
    assert read_program(build_ps_program(plan)) == plan
    script = build_ps_program(plan).decode("ascii")
    # Get-Jobs holds back the items of the plan's diagnostics until every check's is queued
    assert "if ($Plan.ContainsKey('diagnostics')) { $later = @($Plan['diagnostics']) }" in script
    assert "if ($later -contains $spec['check'])" in script
    queued_last = script.index("foreach ($job in $deferred) { Add-Job $jobs")
    assert queued_last > script.index("Add-Job $jobs 'dns_system'")
