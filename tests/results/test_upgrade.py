"""Version 1 results (no finding codes) read as version 2: typed fields only, never reasons.

``results-v1.json`` was written by auditor 0.1.0 before schema 2 (commit
bf2b36a) for a run with a compliant server, a server with 443 rejected and
TeamViewer stopped, a workstation whose 5938/UDP stayed silent, and hosts
stopped at connect, hostkey (changed key), auth (no usable credentials;
credentials refused) and probe.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from auditor.judge.codes import CODES
from auditor.model import Owner, Severity, Stage, Verdict
from auditor.profile import load_profile
from auditor.profile.load import V1_CHECKS
from auditor.results import from_document, validate
from auditor.results.upgrade import upgrade_v1

HOSTS = ["srv1", "srv2", "ws1", "sw1", "srv9", "nas1", "db1", "app1"]


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {host["name"]: host for host in doc["hosts"]}


def test_upgraded_document_is_a_valid_version_2(v1_document: dict[str, Any]) -> None:
    before = copy.deepcopy(v1_document)
    new = upgrade_v1(v1_document, "old.json")
    assert v1_document == before  # the input is left alone
    assert new["schema_version"] == 2
    validate(new, "old.json")
    assert [h["name"] for h in new["hosts"]] == HOSTS
    # nothing a version 1 reader knew is changed
    for old, upgraded in zip(before["hosts"], new["hosts"], strict=True):
        for old_check, check in zip(old["checks"], upgraded["checks"], strict=True):
            assert {k: v for k, v in check.items() if k != "findings"} == old_check
        added = ("checks", "stage_finding", "access", "notes")
        assert {k: v for k, v in upgraded.items() if k not in added} == {
            k: v for k, v in old.items() if k != "checks"
        }
        assert (upgraded["access"], upgraded["notes"]) == ({}, [])  # schema 1 did not record it


def test_checks_are_the_ten_contract_v5_ids_with_the_bundled_words(
    v1_document: dict[str, Any],
) -> None:
    run = from_document(v1_document)
    words = {info.id: info for info in load_profile().check_infos}
    assert [info.id for info in run.checks] == list(V1_CHECKS)  # the order version 1 used
    for info in run.checks:
        assert info.kind == V1_CHECKS[info.id][0]
        assert (info.title, info.label) == (words[info.id].title, words[info.id].label)
    assert all([c.id for c in host.checks] == list(V1_CHECKS) for host in run.hosts)


@pytest.mark.parametrize(
    ("name", "code", "verdict", "severity"),
    [
        ("srv1", None, None, None),
        ("srv2", None, None, None),
        ("ws1", None, None, None),
        ("sw1", "connect.failed", Verdict.ERROR, Severity.BLOCKING),
        ("srv9", "hostkey.changed", Verdict.ERROR, Severity.SECURITY),
        ("nas1", "credentials.missing", Verdict.FAIL, Severity.BLOCKING),
        ("db1", "credentials.refused", Verdict.FAIL, Severity.BLOCKING),
        ("app1", "probe.failed", Verdict.ERROR, Severity.BLOCKING),
    ],
)
def test_stage_findings_come_from_typed_fields(
    v1_document: dict[str, Any],
    name: str,
    code: str | None,
    verdict: Verdict | None,
    severity: Severity | None,
) -> None:
    host = {h.name: h for h in from_document(v1_document).hosts}[name]
    if code is None:
        assert host.stage is Stage.JUDGED and host.stage_finding is None
        return
    found = host.stage_finding
    assert found is not None
    assert (found.code, found.verdict, found.severity) == (code, verdict, severity)
    assert found.owner is CODES[code].owner


def test_missing_credentials_keep_who_and_when(v1_document: dict[str, Any]) -> None:
    """nas1 stopped at auth and its admin evidence says credentials_missing."""
    hosts = {h.name: h for h in from_document(v1_document).hosts}
    for name, code, state in (("nas1", "credentials.missing", "credentials_missing"),
                              ("db1", "credentials.refused", "auth_failed")):  # fmt: skip
        host = hosts[name]
        admin = next(c for c in host.checks if c.id == "admin")
        assert (host.stage, admin.verdict, admin.evidence["state"]) == (
            Stage.AUTH, Verdict.FAIL, state,
        )  # fmt: skip
        assert admin.findings == (host.stage_finding,)
        assert host.stage_finding is not None and host.stage_finding.code == code
        assert dict(host.stage_finding.params) == {
            "user": "audit",
            "observed_at": "2025-11-25T09:00:05+00:00",
        }
        others = [c for c in host.checks if c.id != "admin"]
        assert {c.verdict for c in others} == {Verdict.ERROR}
        assert all(c.findings == () for c in others)  # the stage finding explains them


def test_stage_is_read_from_the_admin_state_not_the_reason(v1_document: dict[str, Any]) -> None:
    nas1 = by_name(v1_document)["nas1"]
    nas1["stage_reason"] = "the credentials we hold were refused"  # words must not matter
    admin = next(c for c in nas1["checks"] if c["id"] == "admin")
    admin["reason"] = "The credentials we hold were refused."
    found = {h.name: h for h in from_document(v1_document).hosts}["nas1"].stage_finding
    assert found is not None and found.code == "credentials.missing"
    admin["evidence"]["state"] = "auth_failed"
    admin["reason"] = "The inventory holds no usable credentials for this host."
    found = {h.name: h for h in from_document(v1_document).hosts}["nas1"].stage_finding
    assert found is not None and found.code == "credentials.refused"


def test_judged_checks_that_did_not_pass_are_unexplained(v1_document: dict[str, Any]) -> None:
    hosts = {h.name: h for h in from_document(v1_document).hosts}
    open_checks = {
        (name, c.id): (c.verdict, [(f.code, f.verdict, f.owner) for f in c.findings])
        for name in ("srv1", "srv2", "ws1")
        for c in hosts[name].checks
        if c.findings or c.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE)
    }
    unexplained = "result.unexplained"
    assert open_checks == {
        ("srv2", "tcp_443"): (Verdict.FAIL, [(unexplained, Verdict.FAIL, Owner.MSP)]),
        ("srv2", "teamviewer"): (Verdict.FAIL, [(unexplained, Verdict.FAIL, Owner.MSP)]),
        ("ws1", "udp_5938"): (
            Verdict.INCONCLUSIVE, [(unexplained, Verdict.INCONCLUSIVE, Owner.MSP)],
        ),
    }  # fmt: skip
    assert hosts["ws1"].checks[-1].verdict is Verdict.NOT_APPLICABLE
    assert hosts["srv1"].compliant and not hosts["srv2"].compliant


@pytest.mark.parametrize(
    ("stage", "security", "code"),
    [
        ("inventory", None, "inventory.invalid"),
        ("resolve", None, "resolve.failed"),
        ("connect", None, "connect.failed"),
        ("hostkey", None, "hostkey.unknown"),
        ("hostkey", "host key differs from the recorded one", "hostkey.changed"),
        ("probe", None, "probe.failed"),
        ("admin", None, "result.unexplained"),
    ],
)
def test_every_stage_has_a_code(
    v1_document: dict[str, Any], stage: str, security: str | None, code: str
) -> None:
    app1 = by_name(v1_document)["app1"]
    app1.update(stage=stage, security_finding=security)
    host = {h.name: h for h in from_document(v1_document).hosts}["app1"]
    assert host.stage_finding is not None
    assert (host.stage_finding.code, host.stage_finding.verdict) == (code, Verdict.ERROR)
    assert all(c.findings == () for c in host.checks)


def test_auth_host_without_admin_evidence_is_refused(v1_document: dict[str, Any]) -> None:
    db1 = by_name(v1_document)["db1"]
    admin = next(c for c in db1["checks"] if c["id"] == "admin")
    admin.update(evidence={})
    host = {h.name: h for h in from_document(v1_document).hosts}["db1"]
    assert host.stage_finding is not None
    assert (host.stage_finding.code, dict(host.stage_finding.params)) == ("credentials.refused", {})


def test_round_trip_of_an_upgraded_run_is_exact(v1_document: dict[str, Any]) -> None:
    from auditor.results import to_document

    run = from_document(v1_document)
    doc = json.loads(json.dumps(to_document(run)))
    assert doc == upgrade_v1(v1_document)
    assert from_document(doc) == run
