"""A new requirement is a profile entry: planned, observed, judged, in results and reports.

The profile file adds two checks the bundled contract does not have: TCP 8443
to a named target (the lab's TeamViewer-like endpoints listen there) and TCP
8444 (nothing listens: rejected). No code names them; they travel through
plan, payload, judge, results JSON and both report languages.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from auditor.lab import Lab
from auditor.model import Target
from auditor.payload import PLAN_VERSION
from auditor.profile import load_profile, plan_for
from tests.engine.conftest import Audit, audit_lab, write_test_profile

EXTRA = {
    "tcp_8443": {
        "kind": "tcp",
        "title": {"de": "Verwaltungskonsole 8443/TCP", "en": "Management console 8443/TCP"},
        "label": {"de": "Konsole 8443", "en": "Console 8443"},
        "targets": ["get.teamviewer.com"],
        "port": 8443,
    },
    "tcp_8444": {
        "kind": "tcp",
        "title": {"de": "Zusatzdienst 8444/TCP", "en": "Extra service 8444/TCP"},
        "targets": ["router1.teamviewer.com"],
        "port": 8444,
        "applies": {"server": "required", "network": "not_applicable", "workstation": "required"},
    },
}


@pytest.fixture(scope="module")
def extended(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Audit:
    work = tmp_path_factory.mktemp("extended")
    return audit_lab(lab, work, "-l", "good:servfail", extra_checks=EXTRA)


def test_the_new_checks_are_planned_from_the_profile_alone(tmp_path: Path) -> None:
    profile = load_profile(str(write_test_profile(tmp_path / "p.yaml", EXTRA)))
    assert list(profile.checks)[-2:] == ["tcp_8443", "tcp_8444"]
    doc = plan_for(profile, Target("h", "198.51.100.10", "c")).payload_input()
    assert doc["plan_version"] == PLAN_VERSION
    assert {"check": "tcp_8443", "host": "get.teamviewer.com", "port": 8443} in doc["tcp"]
    assert {"check": "tcp_8444", "host": "router1.teamviewer.com", "port": 8444} in doc["tcp"]


@pytest.mark.lab
def test_the_new_checks_are_observed_judged_and_in_the_results(extended: Audit) -> None:
    declared = [c["id"] for c in extended.document["run"]["profile"]["checks"]]
    assert declared[-2:] == ["tcp_8443", "tcp_8444"]
    good = extended.checks("good")
    assert good["tcp_8443"]["verdict"] == "pass"
    assert good["tcp_8443"]["evidence"]["targets"][0]["outcome"] == "tcp.connected"
    assert good["tcp_8444"]["verdict"] == "fail"
    (refused,) = good["tcp_8444"]["findings"]
    assert (refused["code"], refused["params"]) == ("tcp.refused", {"port": 8444, "proto": "TCP"})
    servfail = extended.checks("servfail")  # a network device: 8444 does not apply
    assert servfail["tcp_8444"]["verdict"] == "not_applicable"
    assert servfail["tcp_8443"]["verdict"] == "error", "the name does not resolve there"
    assert "tcp_8444" in next(line for line in extended.stdout.splitlines() if "good" in line)


@pytest.mark.lab
@pytest.mark.parametrize(
    ("lang", "label", "words"),
    [
        ("de", "Konsole 8443", "Ausgehende Verbindungen auf TCP 8444 werden abgewiesen"),
        ("en", "Console 8443", "Outbound TCP 8444 is rejected"),
    ],
)
def test_the_new_checks_are_in_both_report_languages(
    extended: Audit, tmp_path: Path, lang: str, label: str, words: str
) -> None:
    out = tmp_path / lang
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "report", "--results",
         str(extended.out_dir / "results.json"), "--out", str(out), "--lang", lang],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = (out / "testkunde-gmbh.html").read_text(encoding="utf-8")
    assert f'data-check="tcp_8443" title="{EXTRA["tcp_8443"]["title"][lang]}">{label}</th>' in html
    assert ">Zusatzdienst 8444/TCP<" in html or ">Extra service 8444/TCP<" in html
    assert words in html
