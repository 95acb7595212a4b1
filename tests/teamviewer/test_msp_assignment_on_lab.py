"""Assigned to *us*: real audits of lab hosts, cross-checked against the lab's emulated
TeamViewer Web API (an HTTP server in the lab's internet namespace, bearer token, three
devices to a page) and against a second one that rate-limits and answers slowly.

Hosts: ``good`` and ``winok`` are on the MSP's device list, ``sudonp`` is assigned to
another company, ``winrid500`` is marked unmanaged. The token is grepped for in every
output of every run (stdout, stderr, results, reports, metrics, history) and never found.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from auditor.lab import Lab, procs
from auditor.lab.spec import TV_API
from tests.engine.conftest import Audit, audit_lab, write_test_profile

HOSTS = "good:sudonp:winok:winrid500"
THROTTLED_PORT = 8081


def run(lab: Lab, work: Path, *extra: str, required: bool = False) -> Audit:
    """``auditor run`` on HOSTS from the MSP namespace, with its own history store."""
    argv = ["-l", HOSTS, "--db", f"sqlite:///{work}/history.sqlite",
            "--metrics", str(work / "out" / "auditor.prom"), *extra]  # fmt: skip
    if required:
        profile = write_test_profile(work / "required.yaml")
        text = profile.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        data["checks"]["teamviewer"]["cross_check"] = "required"
        profile.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        argv += ["--profile", str(profile)]  # the later --profile wins
    return audit_lab(lab, work, *argv)


def with_token(lab: Lab, token_file: Path | None = None, url: str | None = None) -> list[str]:
    return ["--teamviewer-api-token-file", str(token_file or lab.tvapi_token_file),
            "--teamviewer-api-url", url or lab.tvapi_url]  # fmt: skip


def teamviewer(audit: Audit, host: str) -> dict[str, object]:
    return dict(audit.checks(host)["teamviewer"])


def assert_token_nowhere(audit: Audit, work: Path, token: str) -> None:
    """Not in what the run printed, nor in any file it wrote (history included)."""
    assert token not in audit.stdout and token not in audit.stderr
    written = [p for p in work.rglob("*") if p.is_file() and p.suffix != ".token"]
    assert any(p.suffix == ".html" for p in written) and any(p.suffix == ".sqlite" for p in written)
    for path in written:
        assert token.encode() not in path.read_bytes(), path
    with sqlite3.connect(work / "history.sqlite") as db:  # the store's rows, as SQL sees them
        for (table,) in db.execute("select name from sqlite_master where type = 'table'"):
            assert token not in repr(db.execute(f'select * from "{table}"').fetchall())


def cross_check_metric(audit: Audit) -> str:
    """The state the Prometheus textfile says is 1 (parsed by prometheus_client)."""
    text = (audit.out_dir / "auditor.prom").read_text(encoding="utf-8")
    ones = [sample.labels["state"] for family in text_string_to_metric_families(text)
            if family.name == "auditor_teamviewer_api_cross_check"
            for sample in family.samples if sample.value == 1]  # fmt: skip
    assert len(ones) == 1, ones
    return ones[0]


def overview_line(audit: Audit) -> str:
    page = (audit.out_dir / "index.html").read_text(encoding="utf-8")
    found = re.search(r'id="meta-teamviewer-api">([^<]*)<', page)
    assert found, "the overview says nothing about the TeamViewer cross-check"
    return html.unescape(found.group(1))


@pytest.mark.lab
def test_with_the_msps_token_each_host_is_judged_against_the_msps_devices(
    lab: Lab, tmp_path: Path
) -> None:
    audit = run(lab, tmp_path, *with_token(lab))
    assert audit.exit_code == 1, audit.stderr  # sudonp and winrid500 fail
    record = audit.document["run"]["profile"]["teamviewer_api"]
    devices = json.loads((lab.state_dir / "tvapi-devices.json").read_text(encoding="utf-8"))
    assert record == {"state": "checked", "devices": len(devices), "error": None,
                      "source": lab.tvapi_url}  # fmt: skip
    assert len(devices) > 2 * 3  # the list came over more than two pages
    for name in ("good", "winok"):
        check = teamviewer(audit, name)
        assert check["verdict"] == "pass", check["reason"]
        assert f"as '{name}'" in str(check["reason"])
        assignment = check["evidence"]["assignment"]  # type: ignore[index]
        assert assignment["state"] == "msp" and assignment["device"]["name"] == name
        assert assignment["device"]["policy_id"]
    other = teamviewer(audit, "sudonp")
    assert other["verdict"] == "fail" and "assigned to another company" in str(other["reason"])
    assert [f["code"] for f in other["findings"]] == ["teamviewer.other_company"]  # type: ignore[attr-defined]
    unmanaged = teamviewer(audit, "winrid500")
    assert [f["code"] for f in unmanaged["findings"]] == ["teamviewer.not_enrolled"]  # type: ignore[attr-defined]
    assert "mit unserem TeamViewer-Konto abgeglichen" in overview_line(audit)
    assert cross_check_metric(audit) == "checked"
    page = (audit.out_dir / "testkunde-gmbh.html").read_text(encoding="utf-8")
    assert "einem anderen Unternehmen zugewiesen" in page  # sudonp's finding, in words
    assert "in unserer TeamViewer-Geräteliste als „good“" in html.unescape(page)
    assert_token_nowhere(audit, tmp_path, lab.tvapi_token_file.read_text().strip())


@pytest.mark.lab
def test_without_a_token_the_report_says_not_cross_checked(lab: Lab, tmp_path: Path) -> None:
    audit = run(lab, tmp_path)
    assert audit.document["run"]["profile"]["teamviewer_api"]["state"] == "not_checked"
    check = teamviewer(audit, "sudonp")  # another company's, but nobody asked the API
    assert check["verdict"] == "pass" and "was not cross-checked" in str(check["reason"])
    assert "kein API-Token" in overview_line(audit)


@pytest.mark.lab
def test_a_required_cross_check_without_a_token_is_inconclusive(lab: Lab, tmp_path: Path) -> None:
    audit = run(lab, tmp_path, required=True)
    for name in ("good", "sudonp", "winok"):
        check = teamviewer(audit, name)
        assert check["verdict"] == "inconclusive", (name, check["reason"])
        assert [f["code"] for f in check["findings"]] == ["teamviewer.assignment_not_checked"]  # type: ignore[attr-defined]
    assert teamviewer(audit, "winrid500")["verdict"] == "fail"  # unmanaged needs no API


@pytest.mark.lab
def test_a_refused_token_is_said_once_and_never_passes_a_required_check(
    lab: Lab, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.token"
    wrong.write_text("Wrong-Token-7f3a9c41\n", encoding="utf-8")
    audit = run(lab, tmp_path, *with_token(lab, wrong), required=True)
    record = audit.document["run"]["profile"]["teamviewer_api"]
    assert record["state"] == "failed" and "refused the token (401)" in record["error"]
    warnings = [line for line in audit.stderr.splitlines() if "teamviewer api" in line]
    assert len(warnings) == 1 and "not cross-checked" in warnings[0]
    check = teamviewer(audit, "good")
    assert check["verdict"] == "inconclusive" and "could not be fetched" in str(check["reason"])
    assert "nicht abrufbar" in overview_line(audit)
    assert cross_check_metric(audit) == "failed"  # monitoring sees the token stop working
    assert_token_nowhere(audit, tmp_path, "Wrong-Token-7f3a9c41")


@pytest.fixture
def throttled(lab: Lab, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A second emulated API in the internet namespace: two 429s first, every answer slow."""
    log = tmp_path / "tvapi-throttled.log"
    argv = [sys.executable, "-m", "auditor.lab.tvapi", "--listen", f"{TV_API}:{THROTTLED_PORT}",
            "--token-file", str(lab.tvapi_token_file),
            "--devices", str(lab.state_dir / "tvapi-devices.json"), "--page-size", "4",
            "--throttle-first", "2", "--retry-after", "1", "--slow", "0.4"]  # fmt: skip
    proc = procs.start("tvapi-throttled", lab.inet_ns, argv, log, ahead=True)
    try:
        procs.wait_listening(proc, [("tcp", TV_API, THROTTLED_PORT)], 10.0)
        yield f"http://{TV_API}:{THROTTLED_PORT}", log
    finally:
        procs.stop_all([proc], [])


@pytest.mark.lab
def test_a_rate_limit_and_slow_answers_are_waited_out(
    lab: Lab, tmp_path: Path, throttled: tuple[str, Path]
) -> None:
    url, log = throttled
    work = tmp_path / "run"
    work.mkdir()
    audit = run(lab, work, *with_token(lab, url=url))
    assert audit.document["run"]["profile"]["teamviewer_api"]["state"] == "checked"
    assert teamviewer(audit, "good")["verdict"] == "pass"
    assert teamviewer(audit, "sudonp")["verdict"] == "fail"
    answers = [line.rsplit(" ", 1)[1] for line in log.read_text().splitlines() if "GET" in line]
    assert answers[:2] == ["429", "429"] and set(answers[2:]) == {"200"}, answers
    assert_token_nowhere(audit, work, lab.tvapi_token_file.read_text().strip())
