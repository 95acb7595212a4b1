"""The nightly audit as cron or a systemd timer runs it: quiet, metrics, history, one at a time.

The audited host is this machine itself (``ansible_connection=local``): a real
payload run in seconds, no lab needed. What the network checks say here does
not matter; what is tested is what the run writes, prints and refuses.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from auditor.errors import HistoryError
from auditor.history.store import HistoryStore
from tests.cli.test_cli import auditor
from tests.engine.conftest import write_test_profile


@pytest.fixture
def nightly(tmp_path: Path) -> tuple[Path, Path, str]:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        '[kanzlei]\nlocalbox ansible_connection=local auditor_customer="Kanzlei"\n'
    )
    profile = write_test_profile(tmp_path / "profile.yaml")
    return inventory, profile, f"sqlite:///{tmp_path / 'state' / 'history.sqlite'}"


def run(nightly: tuple[Path, Path, str], out: Path, *extra: str) -> object:
    inventory, profile, db = nightly
    return auditor("run", "-i", str(inventory), "--profile", str(profile), "--db", db,
                   "--out", str(out), *extra)  # fmt: skip


def test_quiet_prints_nothing_but_problems_and_keeps_the_exit_code(
    nightly: tuple[Path, Path, str], tmp_path: Path
) -> None:
    done = run(nightly, tmp_path / "out", "--quiet")
    assert done.returncode in (0, 1), done.stderr  # type: ignore[attr-defined]
    assert done.stdout == "" and done.stderr == ""  # type: ignore[attr-defined]
    loud = run(nightly, tmp_path / "out2")
    assert "Kanzlei: 0/1 hosts compliant" in loud.stdout  # type: ignore[attr-defined]
    assert f"history: {nightly[2]} (run " in loud.stdout  # type: ignore[attr-defined]


def test_metrics_file_parses_and_says_what_the_run_decided(
    nightly: tuple[Path, Path, str], tmp_path: Path
) -> None:
    metrics = tmp_path / "textfile" / "auditor.prom"
    before = time.time()
    done = run(nightly, tmp_path / "out", "--quiet", "--metrics", str(metrics))
    families = {f.name: f for f in text_string_to_metric_families(metrics.read_text())}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in families.values() for s in f.samples}  # fmt: skip
    host = (("customer", "Kanzlei"), ("host", "localbox"))
    assert samples[("auditor_host_compliant", host)] == 0
    admin = (("check", "admin"), ("customer", "Kanzlei"), ("host", "localbox"))
    assert samples[("auditor_check_verdict", (*admin, ("verdict", "pass")))] == 1
    assert samples[("auditor_check_verdict", (*admin, ("verdict", "fail")))] == 0
    assert samples[("auditor_customer_hosts", (("customer", "Kanzlei"),))] == 1
    assert samples[("auditor_customer_hosts_compliant", (("customer", "Kanzlei"),))] == 0
    assert samples[("auditor_hosts", (("stage", "judged"),))] == 1
    assert samples[("auditor_hosts", (("stage", "connect"),))] == 0
    assert before - 5 <= samples[("auditor_last_success_timestamp_seconds", ())] <= time.time()
    assert samples[("auditor_run_exit_code", ())] == done.returncode  # type: ignore[attr-defined]
    assert 0 < samples[("auditor_run_duration_seconds", ())] < 60


def test_history_report_and_timeline_from_two_nights(
    nightly: tuple[Path, Path, str], tmp_path: Path
) -> None:
    first, second = run(nightly, tmp_path / "n1"), run(nightly, tmp_path / "n2")
    assert first.returncode == second.returncode  # type: ignore[attr-defined]
    db = nightly[2]
    timeline = auditor("history", "localbox", "--db", db)
    assert timeline.returncode == 0, timeline.stderr
    lines = timeline.stdout.splitlines()
    assert lines[0] == "localbox (Kanzlei), 2 runs" and len(lines) == 4
    one = auditor("history", "localbox", "--check", "admin", "--db", db)
    assert [line.split()[-2:] for line in one.stdout.splitlines()[1:]] == [["✔", "pass"]] * 2
    rebuilt = auditor("report", "--from-db", "--db", db, "--out", str(tmp_path / "again"))
    assert rebuilt.returncode == 0, rebuilt.stderr
    page = (tmp_path / "again" / "kanzlei.html").read_text(encoding="utf-8")
    assert "Seit dem letzten Lauf" in page and "Weiterhin offen" in page
    first_page = (tmp_path / "n1" / "kanzlei.html").read_text(encoding="utf-8")
    assert "Erster Lauf in der Historie" in first_page
    status = auditor("db", "status", "--db", db)
    assert status.stdout.count(" complete ") == 2, status.stdout
    missing = auditor("history", "nobody", "--db", db)
    assert missing.returncode == 2 and "no run" in missing.stderr


def test_a_second_run_refuses_while_one_holds_the_store(
    nightly: tuple[Path, Path, str], tmp_path: Path
) -> None:
    store = HistoryStore.open(nightly[2])
    with store.run_lock():
        done = run(nightly, tmp_path / "out")
    assert done.returncode == 6  # type: ignore[attr-defined]
    (line,) = done.stderr.splitlines()  # type: ignore[attr-defined]
    assert "is in use by another auditor run" in line and line.endswith("nothing audited")
    assert not (tmp_path / "out").exists() and store.runs() == []


def test_import_keeps_a_pilots_results(nightly: tuple[Path, Path, str], tmp_path: Path) -> None:
    run(nightly, tmp_path / "pilot", "--no-history")
    assert not Path(nightly[2].removeprefix("sqlite:///")).exists()  # --no-history: untouched
    results = tmp_path / "pilot" / "results.json"
    elsewhere = f"sqlite:///{tmp_path / 'imported.sqlite'}"
    done = auditor("import", str(results), "--db", elsewhere)
    assert done.returncode == 0 and done.stdout.strip().endswith("1 hosts: imported")
    again = auditor("import", str(results), "--db", elsewhere)
    assert again.stdout.strip().endswith("already in history")
    (info,) = HistoryStore.open(elsewhere).runs()
    assert (info.origin, info.status, info.hosts) == ("import", "complete", 1)


def test_db_upgrade_creates_and_a_bad_url_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    done = auditor("db", "upgrade", "--db", url)
    assert done.returncode == 0 and done.stdout.strip().endswith("schema empty -> 0003")
    bad = auditor("history", "x", "--db", "nonsense://")
    assert bad.returncode == 4 and len(bad.stderr.splitlines()) == 1
    with pytest.raises(HistoryError):
        HistoryStore.open("nonsense://")


def test_sigterm_marks_the_run_interrupted_at_once(
    nightly: tuple[Path, Path, str], tmp_path: Path
) -> None:
    """systemd stops a run with SIGTERM: the run is marked, not left 'running'."""
    inventory, profile, db = nightly
    started = subprocess.Popen(
        [sys.executable, "-m", "auditor", "run", "-i", str(inventory), "--profile", str(profile),
         "--db", db, "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    store = HistoryStore.open(db)
    for _ in range(200):  # bounded: the run row appears within a second or two
        if [r for r in store.runs() if r.status == "running"]:
            break
        time.sleep(0.02)
    started.send_signal(signal.SIGTERM)
    _, stderr = started.communicate(timeout=30)
    assert started.returncode == 143
    assert stderr.strip().endswith("the run is marked interrupted")
    (info,) = store.runs()
    assert info.status == "interrupted"
