"""Up, down, crash, up again: the lab never leaves namespaces, processes or files behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from auditor.lab import HostSpec, Lab, LabSpec, netns, procs, state, unique_prefix

pytestmark = pytest.mark.lab
SMALL = LabSpec(name="small", hosts=(HostSpec("a", "K"), HostSpec("b", "K", sshd=False)))


def leftovers(prefix: str) -> list[str]:
    """Everything of lab ``prefix`` still on the machine, named."""
    found = [f"netns {ns}" for ns in netns.list_lab_namespaces() if ns.startswith(prefix)]
    if netns.NETNS_ETC.is_dir():
        found += [f"etc {d}" for d in netns.NETNS_ETC.glob(f"{prefix}*")]
    if (state.REGISTRY / f"{prefix}.json").exists():
        found.append("registry entry")
    return found


def test_down_removes_everything_and_is_idempotent(tmp_path: Path) -> None:
    lab = Lab(SMALL, tmp_path, unique_prefix("u")).up()
    recorded = state.load(tmp_path / state.STATE_FILE)
    assert set(recorded.namespaces) == set(lab.namespaces)
    assert recorded.procs and all(procs.alive(p) for p in recorded.procs)
    assert len(leftovers(lab.prefix)) == len(lab.namespaces) + 4  # etc: msp + 2 hosts; registry
    lab.down()
    assert leftovers(lab.prefix) == []
    assert not any(procs.alive(p) for p in recorded.procs)
    assert netns.root_lab_routes() == []
    lab.down()  # again: nothing to do, no error


def test_up_removes_a_lab_whose_owner_was_killed(tmp_path: Path) -> None:
    crashed = unique_prefix("c")
    code = (
        "import os, signal, sys; from pathlib import Path; "
        "from auditor.lab import HostSpec, Lab, LabSpec; "
        "Lab(LabSpec((HostSpec('a', 'K'),)), Path(sys.argv[1]), sys.argv[2]).up(); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    died = subprocess.run([sys.executable, "-c", code, str(tmp_path / "c"), crashed], timeout=60)
    assert died.returncode == -9
    orphans = state.load(tmp_path / "c" / state.STATE_FILE).procs
    assert leftovers(crashed) and all(procs.alive(p) for p in orphans)
    lab = Lab(SMALL, tmp_path / "u", unique_prefix("u")).up()
    try:
        assert leftovers(crashed) == []
        assert not any(procs.alive(p) for p in orphans)
    finally:
        lab.down()


def test_cli_up_twice_then_down(tmp_path: Path) -> None:
    prefix = unique_prefix("k")
    cli = [sys.executable, "-m", "auditor.lab"]
    up = [*cli, "up", "--state", str(tmp_path), "--prefix", prefix]
    first = subprocess.run(up, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    old = state.load(tmp_path / state.STATE_FILE).procs
    second = subprocess.run(up, capture_output=True, text=True, timeout=60)  # replaces the first
    assert second.returncode == 0, second.stderr
    assert not any(procs.alive(p) for p in old)
    assert (tmp_path / "inventory.yml").is_file() and (tmp_path / "known_hosts").is_file()
    assert state.load(tmp_path / state.STATE_FILE).owner_pid is None  # persistent: no owner
    down = [*cli, "down", "--state", str(tmp_path)]
    assert subprocess.run(down, capture_output=True, timeout=60).returncode == 0
    assert leftovers(prefix) == []
    again = subprocess.run(down, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_bad_prefix_is_one_line_error(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "auditor.lab", "up", "--state", str(tmp_path), "--prefix", "x-"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "prefix 'x-'" in out.stderr
