"""results.json on disk: atomic writes, validated reads, exact round trips, version 1 files."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.model import Check, RunResult, Secret, Verdict
from auditor.results import RESULTS_NAME, ResultsError, read_results, write_results

# A results document written by auditor 0.1.0 before schema 2 (commit bf2b36a), kept as recorded.
RESULTS_V1 = Path(__file__).with_name("results-v1.json")


def with_evidence(run: RunResult, evidence: dict[str, object]) -> RunResult:
    host = run.hosts[0]
    bad = Check(id=host.checks[0].id, verdict=Verdict.PASS, reason="x", evidence=evidence)
    host = dataclasses.replace(host, checks=(bad, *host.checks[1:]))
    return dataclasses.replace(run, hosts=(host, *run.hosts[1:]))


def test_write_then_read_round_trips_exactly(run: RunResult, tmp_path: Path) -> None:
    path = write_results(run, tmp_path / "out")
    assert path == tmp_path / "out" / RESULTS_NAME
    text = path.read_text("utf-8")
    assert json.loads(text)["schema_version"] == 2
    assert "Zugänge" in text  # UTF-8, not \u escapes
    again = read_results(path)
    assert again == run
    # every part that carries the judge's word survives the trip unchanged
    assert again.checks == run.checks
    assert [h.stage_finding for h in again.hosts] == [h.stage_finding for h in run.hosts]
    assert [c.findings for h in again.hosts for c in h.checks] == [
        c.findings for h in run.hosts for c in h.checks
    ]
    assert sorted(p.name for p in path.parent.iterdir()) == [RESULTS_NAME]
    # and writing what was read gives the same bytes
    second = write_results(again, tmp_path / "again")
    assert second.read_bytes() == path.read_bytes()


def test_failed_write_leaves_old_file_intact(run: RunResult, tmp_path: Path) -> None:
    path = write_results(run, tmp_path)
    before = path.read_bytes()
    broken = with_evidence(run, {"handle": object()})  # json cannot serialise this mid-write
    with pytest.raises(TypeError, match="not JSON serializable"):
        write_results(broken, tmp_path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [RESULTS_NAME]  # no temp file left


def test_secret_in_evidence_is_never_written(run: RunResult, tmp_path: Path) -> None:
    broken = with_evidence(run, {"password": Secret("planted-secret")})
    with pytest.raises(TypeError):
        write_results(broken, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_invalid_run_is_not_written(run: RunResult, tmp_path: Path) -> None:
    naive = dataclasses.replace(run, started_at="2025-11-25 09:00")
    with pytest.raises(ResultsError, match=r"results.json: run.started_at: "):
        write_results(naive, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_run_whose_findings_contradict_is_not_written(run: RunResult, tmp_path: Path) -> None:
    srv2 = run.hosts[1]
    tcp_443 = dataclasses.replace(srv2.checks[4], verdict=Verdict.INCONCLUSIVE)
    srv2 = dataclasses.replace(srv2, checks=(*srv2.checks[:4], tcp_443, *srv2.checks[5:]))
    bad = dataclasses.replace(run, hosts=(run.hosts[0], srv2, *run.hosts[2:]))
    with pytest.raises(ResultsError) as info:
        write_results(bad, tmp_path)
    assert str(info.value) == (
        f"{tmp_path / RESULTS_NAME}: hosts[1].checks[4]: finding tcp.refused contradicts "
        "the check's verdict inconclusive"
    )
    assert list(tmp_path.iterdir()) == []


def test_run_missing_a_declared_check_is_not_written(run: RunResult, tmp_path: Path) -> None:
    fewer = dataclasses.replace(run, checks=run.checks[1:])  # teamviewer no longer declared
    with pytest.raises(ResultsError, match=r"host srv1: teamviewer not declared"):
        write_results(fewer, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_read_rejects_bad_files_in_one_line(run: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text('{\n  "schema_version": 2,\n  oops\n}\n', encoding="utf-8")
    with pytest.raises(ResultsError, match=r"results.json:3: not JSON: "):
        read_results(path)
    doc = json.loads(write_results(run, tmp_path).read_text("utf-8"))
    doc["hosts"][0]["checks"] = doc["hosts"][0]["checks"][1:]
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ResultsError) as info:
        read_results(path)
    assert str(info.value) == (
        f"{path}: hosts[0].checks: host srv1: teamviewer missing"
        " (every check of run.profile.checks exactly once)"
    )
    with pytest.raises(ResultsError, match="cannot read results"):
        read_results(tmp_path / "missing.json")
    path.write_bytes(b'{"schema_version": 2, "x": "\xff"}')
    with pytest.raises(ResultsError, match="cannot read results"):
        read_results(path)


def test_undecodable_text_is_escaped_not_a_crash(run: RunResult, tmp_path: Path) -> None:
    host = dataclasses.replace(run.hosts[0], stage_reason="banner \udcff from a hostile host")
    path = write_results(dataclasses.replace(run, hosts=(host, *run.hosts[1:])), tmp_path)
    assert "\\udcff" in path.read_text(encoding="utf-8")
    assert read_results(path).hosts[0].stage_reason == "banner \udcff from a hostile host"


def test_version_1_file_reads_and_is_rewritten_as_version_2(tmp_path: Path) -> None:
    old = tmp_path / "old" / RESULTS_NAME
    old.parent.mkdir()
    shutil.copy(RESULTS_V1, old)
    run = read_results(old)
    assert [h.name for h in run.hosts] == ["srv1", "srv2", "ws1", "sw1", "srv9", "nas1", "db1",
                                           "app1"]  # fmt: skip
    assert old.read_bytes() == RESULTS_V1.read_bytes()  # reading never rewrites the file
    new = write_results(run, tmp_path / "new")
    doc: dict[str, Any] = json.loads(new.read_text("utf-8"))
    assert doc["schema_version"] == 2
    assert read_results(new) == run


def test_broken_version_1_file_is_one_line(tmp_path: Path) -> None:
    doc = json.loads(RESULTS_V1.read_text("utf-8"))
    doc["hosts"][0].pop("stage_reason")
    path = tmp_path / RESULTS_NAME
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ResultsError) as info:
        read_results(path)
    assert str(info.value) == f"{path}: hosts[0]: 'stage_reason' is a required property"
    doc = json.loads(RESULTS_V1.read_text("utf-8"))
    doc["hosts"][0]["checks"].pop(3)
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ResultsError) as info:
        read_results(path)
    assert str(info.value) == (
        f"{path}: hosts[0].checks: host srv1: tcp_443 missing"
        " (every check of run.profile.checks exactly once)"
    )
