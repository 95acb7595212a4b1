"""results.json on disk: atomic writes, validated reads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from auditor.model import Check, RunResult, Secret, Verdict
from auditor.results import RESULTS_NAME, ResultsError, read_results, write_results


def with_evidence(run: RunResult, evidence: dict[str, object]) -> RunResult:
    host = run.hosts[0]
    bad = Check(id=host.checks[0].id, verdict=Verdict.PASS, reason="x", evidence=evidence)
    host = dataclasses.replace(host, checks=(bad, *host.checks[1:]))
    return dataclasses.replace(run, hosts=(host, *run.hosts[1:]))


def test_write_then_read_round_trips(run: RunResult, tmp_path: Path) -> None:
    path = write_results(run, tmp_path / "out")
    assert path == tmp_path / "out" / RESULTS_NAME
    assert json.loads(path.read_text("utf-8"))["schema_version"] == 1
    assert "Zugänge" in path.read_text("utf-8")  # UTF-8, not \u escapes
    assert read_results(path) == run
    assert sorted(p.name for p in path.parent.iterdir()) == [RESULTS_NAME]


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


def test_read_rejects_bad_files_in_one_line(run: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text('{\n  "schema_version": 1,\n  oops\n}\n', encoding="utf-8")
    with pytest.raises(ResultsError, match=r"results.json:3: not JSON: "):
        read_results(path)
    doc = json.loads(write_results(run, tmp_path).read_text("utf-8"))
    doc["hosts"][0]["checks"] = doc["hosts"][0]["checks"][1:]
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ResultsError) as info:
        read_results(path)
    assert str(info.value) == (
        f"{path}: hosts[0].checks: host srv1: tcp_5938 missing (every check id exactly once)"
    )
    with pytest.raises(ResultsError, match="cannot read results"):
        read_results(tmp_path / "missing.json")


def test_undecodable_text_is_escaped_not_a_crash(run: RunResult, tmp_path: Path) -> None:
    from dataclasses import replace

    host = replace(run.hosts[0], stage_reason="banner \udcff from a hostile host")
    path = write_results(replace(run, hosts=(host, *run.hosts[1:])), tmp_path)
    assert "\\udcff" in path.read_text(encoding="utf-8")
    assert read_results(path).hosts[0].stage_reason == "banner \udcff from a hostile host"
