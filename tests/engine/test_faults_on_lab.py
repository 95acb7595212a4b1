"""Faults in the middle of a run, on the lab: SIGTERM and SIGINT, SIGKILL, a full disk.

The run audits ``good`` (done in about a second) and ``hang`` (takes the login,
then keeps the auditor waiting for seconds), so a signal can land after one
host finished and before the other did.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from auditor.lab import Lab
from tests.engine.conftest import audit_argv

pytestmark = pytest.mark.lab


def _start(lab: Lab, work: Path, *extra: str) -> subprocess.Popen[str]:
    argv = audit_argv(lab, work, "-l", "good:hang", "--lang", "en",
                      "--db", f"sqlite:///{work / 'history.sqlite'}", *extra)  # fmt: skip
    return subprocess.Popen(["ip", "netns", "exec", lab.msp_ns, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _wait_for_good(work: Path) -> None:
    """Until the history holds host ``good`` of the running run (bounded)."""
    for _ in range(300):
        try:
            with sqlite3.connect(work / "history.sqlite") as db:
                if db.execute("SELECT 1 FROM hosts WHERE name = 'good'").fetchall():
                    return
        except sqlite3.OperationalError:
            pass  # not created yet
        time.sleep(0.05)
    raise AssertionError("host good was never recorded")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_run_reports_what_finished(
    lab: Lab, tmp_path: Path, signum: int, code: int
) -> None:
    run = _start(lab, tmp_path)
    _wait_for_good(tmp_path)
    run.send_signal(signum)
    _, err = run.communicate(timeout=60)
    assert run.returncode == code, err
    assert "the reports show the hosts that finished" in err
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert [h["name"] for h in doc["hosts"]] == ["good"]
    [gap] = [p for p in doc["problems"] if p["source"] == "interrupted"]
    assert gap["message"].endswith("hosts not audited (the run was stopped before they "
                                   "finished): hang")  # fmt: skip
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'id="not-audited"' in index and "hang" in index
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
        assert db.execute("SELECT name FROM hosts").fetchall() == [("good",)]


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_sigkill_leaves_the_last_reports_and_results_intact(lab: Lab, tmp_path: Path) -> None:
    first = _start(lab, tmp_path)
    assert first.wait(timeout=120) == 2  # hang: not audited
    before = _files(tmp_path / "out")
    second = _start(lab, tmp_path)
    _wait_for_good(tmp_path)  # the first run's good: wait for the second run's instead
    time.sleep(0.5)
    second.send_signal(signal.SIGKILL)
    second.wait(timeout=30)
    assert _files(tmp_path / "out") == before  # byte for byte, no temporary file left
    json.loads(before["results.json"])


def test_a_full_disk_is_one_line_and_keeps_the_previous_files(lab: Lab, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "auditor-full", str(out)],
                   check=True, timeout=30)  # fmt: skip
    try:
        first = _start(lab, tmp_path)
        assert first.wait(timeout=120) == 2
        before = _files(out)
        filler = out / "filler"
        with contextlib.suppress(OSError), filler.open("wb", buffering=0) as handle:
            for _ in range(2048):  # everything that is left; bounded: 2 MiB at most
                handle.write(b"\0" * 1024)
        second = _start(lab, tmp_path)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 5, err
        [line] = err.strip().splitlines()
        assert line.startswith(f"auditor: {out}/") and "No space left on device" in line
        assert "previous file is unchanged" in line and "Traceback" not in err
        after = _files(out)
        after.pop("filler")
        assert after == before  # the good files stay, no half file, no temporary file
    finally:
        subprocess.run(["umount", str(out)], check=False, timeout=30)
