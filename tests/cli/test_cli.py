"""The command line as a user meets it: one-line errors and exit codes, no lab needed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import __version__
from auditor.results import write_results
from tests.results.sample_run import RESULTS_V1, make_run


def auditor(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", *argv],
        capture_output=True, text=True, timeout=60, check=False, cwd=cwd,
    )  # fmt: skip


def test_version() -> None:
    done = auditor("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"auditor {__version__}"


def test_missing_inventory_is_one_line_naming_the_file_and_exit_4(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ini"
    done = auditor("run", "-i", str(missing), "--out", str(tmp_path / "out"))
    assert done.returncode == 4
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(missing) in lines[0]
    assert not (tmp_path / "out").exists()


def test_bad_profile_is_one_line_with_file_and_line_and_exit_4(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[acme]\nsrv1 ansible_host=198.51.100.10\n")
    profile = tmp_path / "profile.yaml"
    profile.write_text("schema_version: 2\ncontract:\n  name: x\n  version: '5'\n  colour: red\n")
    done = auditor("run", "-i", str(inventory), "--profile", str(profile))
    assert done.returncode == 4
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{profile}:5: contract.colour: unknown key" in lines[0]


@pytest.mark.parametrize(
    ("checks", "line", "message"),
    [
        ("  tcp_8443:\n    kind: quic\n    title: {de: a, en: a}\n", 5,
         "checks.tcp_8443.kind: unknown kind 'quic'"),
        ("  tcp_8443:\n    title: {de: a, en: a}\n", 5, "checks.tcp_8443.kind: required key missing"),
        ("  Tcp-8443:\n    kind: tcp\n", 4, "checks.Tcp-8443: 'Tcp-8443' is not a check id"),
    ],
)  # fmt: skip
def test_bad_check_in_profile_is_one_line_and_exit_4(
    tmp_path: Path, checks: str, line: int, message: str
) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[acme]\nsrv1 ansible_host=198.51.100.10\n")
    profile = tmp_path / "profile.yaml"
    profile.write_text("schema_version: 2\ncontract: {name: x, version: '6'}\nchecks:\n" + checks)
    done = auditor("run", "-i", str(inventory), "--profile", str(profile), "--out",
                   str(tmp_path / "out"))  # fmt: skip
    assert done.returncode == 4
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"auditor: {profile}:{line}: {message}"), lines[0]
    assert not (tmp_path / "out").exists()


def test_report_renders_html_from_a_results_file(tmp_path: Path) -> None:
    results = write_results(make_run(), tmp_path / "run")
    out = tmp_path / "html"
    done = auditor("report", "--results", str(results), "--out", str(out), "--lang", "en",
                   "--timezone", "Europe/Berlin")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"reports: {(out / 'index.html').resolve()}"]
    assert done.stderr == ""
    assert sorted(p.name for p in out.iterdir()) == ["acme.html", "globex.html", "index.html"]
    index = (out / "index.html").read_text("utf-8")
    assert "acme" in index and "globex" in index
    assert "srv2" in (out / "acme.html").read_text("utf-8")
    assert json.loads(results.read_text("utf-8"))["schema_version"] == 2  # left as it was


def test_report_defaults_to_the_results_folder(tmp_path: Path) -> None:
    results = write_results(make_run(), tmp_path)
    done = auditor("report", "--results", str(results))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "index.html").is_file()
    assert done.stdout.strip() == f"reports: {(tmp_path / 'index.html').resolve()}"


def test_report_reads_a_version_1_results_file(tmp_path: Path) -> None:
    out = tmp_path / "html"
    done = auditor("report", "--results", str(RESULTS_V1), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "index.html").is_file()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read results: "),
        ('{\n  "schema_version": 2,\n  oops\n}\n', ":3: not JSON: "),
        ('{"schema_version": 2}', ": document: 'run' is a required property"),
        ('{"schema_version": 9}', ": schema_version: 9 is not supported here (expected 2)"),
        ("[]", ": document: [] is not of type 'object'"),
    ],
)
def test_report_on_a_bad_results_file_is_one_line_and_exit_4(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    results = tmp_path / "results.json"
    if content is not None:
        results.write_text(content, encoding="utf-8")
    out = tmp_path / "html"
    done = auditor("report", "--results", str(results), "--out", str(out))
    assert done.returncode == 4
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"auditor: {results}"), lines[0]
    assert expected in lines[0], lines[0]
    assert done.stdout == ""
    assert not out.exists()


def test_report_on_a_results_file_that_breaks_a_rule_is_exit_4(tmp_path: Path) -> None:
    results = write_results(make_run(), tmp_path / "run")
    doc = json.loads(results.read_text("utf-8"))
    doc["hosts"][1]["checks"][4]["findings"] = []  # srv2's failing tcp_443, unexplained
    results.write_text(json.dumps(doc), encoding="utf-8")
    done = auditor("report", "--results", str(results), "--out", str(tmp_path / "html"))
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [
        f"auditor: {results}: hosts[1].checks[4]: a check with verdict fail has no finding"
    ]
    assert not (tmp_path / "html").exists()


def test_report_with_a_bad_timezone_is_exit_4(tmp_path: Path) -> None:
    results = write_results(make_run(), tmp_path / "run")
    done = auditor("report", "--results", str(results), "--out", str(tmp_path / "html"),
                   "--timezone", "Mars/Olympus")  # fmt: skip
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [
        "auditor: --timezone: unknown time zone 'Mars/Olympus' (e.g. Europe/Berlin)"
    ]
    assert not (tmp_path / "html" / "index.html").exists()


def test_report_needs_a_results_file() -> None:
    done = auditor("report")
    assert done.returncode == 4
    assert "--results" in done.stderr


def test_bad_option_value_exits_4_not_1() -> None:
    done = auditor("run", "-i", "x", "--host-key-policy", "trust-me")
    assert done.returncode == 4
    assert "invalid choice" in done.stderr


def test_inventory_never_prints_a_secret(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        "[acme]\nsrv1 ansible_host=198.51.100.10 ansible_password=Planted-Secret-42 "
        "ansible_become_password=Planted-Become-43\n"
    )
    for extra in ((), ("--json",)):
        done = auditor("inventory", "-i", str(inventory), *extra)
        assert done.returncode == 0, done.stderr
        assert "srv1" in done.stdout
        assert "Planted-Secret-42" not in done.stdout + done.stderr
        assert "Planted-Become-43" not in done.stdout + done.stderr
