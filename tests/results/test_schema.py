"""The results document (schema 2): JSON Schema, round trip, and every rule validate() adds."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from auditor.model import Connection, Owner, Role, RunResult, Severity, Stage, Verdict
from auditor.profile import load_profile
from auditor.results import (
    SCHEMA_VERSION,
    ResultsError,
    from_document,
    json_schema,
    to_document,
    validate,
)

# hosts of the conftest run, and the bundled profile's check order
SRV1, SRV2, WS1, SW1, SRV9, DB1, NAS1 = range(7)
TV, TCP_5938, UDP_5938, TCP_80, TCP_443 = range(5)


def test_schemas_are_valid_draft_2020_12() -> None:
    for version in (1, 2):
        jsonschema.Draft202012Validator.check_schema(json_schema(version))
        assert json_schema(version)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert json_schema() == json_schema(2)
    assert json_schema()["properties"]["schema_version"] == {"const": 2}


def test_schema_enums_follow_the_model() -> None:
    defs = json_schema()["$defs"]
    assert defs["check_id"]["pattern"] == "^[a-z][a-z0-9_]{0,39}$"  # the profile's check ids
    assert defs["host"]["properties"]["stage"]["enum"] == [s.value for s in Stage]
    assert defs["check"]["properties"]["verdict"]["enum"] == [v.value for v in Verdict]
    assert defs["host"]["properties"]["role"]["enum"] == [r.value for r in Role]
    assert defs["host"]["properties"]["connection"]["enum"] == [c.value for c in Connection]
    finding = defs["finding"]["properties"]
    assert finding["verdict"]["enum"] == ["fail", "inconclusive", "error"]  # never pass
    assert finding["owner"]["enum"] == [o.value for o in Owner]
    assert finding["severity"]["enum"] == [s.value for s in Severity if s is not Severity.NOTE]
    note = defs["note"]["properties"]  # a note explains no check: it is its own kind
    assert (note["verdict"], note["severity"]) == ({"const": "pass"}, {"const": "note"})


def test_document_validates_against_the_json_schema(run: RunResult) -> None:
    doc = json.loads(json.dumps(to_document(run)))  # exactly what a reader sees
    jsonschema.Draft202012Validator(json_schema()).validate(doc)
    validate(doc)
    assert doc["schema_version"] == SCHEMA_VERSION == 2
    infos = load_profile().check_infos
    assert doc["run"]["profile"] == {
        "name": run.profile_name,
        "version": "5",
        "checks": [
            {"id": i.id, "kind": i.kind, "title": dict(i.title), "label": dict(i.label)}
            for i in infos
        ],
        "expected_networks": ["203.0.113.0/24"],
        "reflector": "reflector.example.net:5938",
    }
    declared = [c["id"] for c in doc["run"]["profile"]["checks"]]
    assert all([c["id"] for c in host["checks"]] == declared for host in doc["hosts"])


def test_findings_and_stage_findings_in_the_document(run: RunResult) -> None:
    hosts = to_document(run)["hosts"]
    assert hosts[SRV2]["checks"][TCP_443]["findings"] == [
        {"code": "tcp.refused", "verdict": "fail", "owner": "customer_it", "severity": "blocking",
         "targets": ["router1.teamviewer.com", "router2.teamviewer.com",
                     "master1.teamviewer.com"],
         "params": {"port": 443, "proto": "TCP"}}
    ]  # fmt: skip
    assert [f["code"] for f in hosts[WS1]["checks"][UDP_5938]["findings"]] == ["udp.no_answer"]
    assert [h["stage_finding"] for h in hosts[:3]] == [None, None, None]
    assert [h["stage_finding"]["code"] for h in hosts[3:]] == [
        "connect.timeout", "hostkey.changed", "credentials.refused", "credentials.missing",
    ]  # fmt: skip
    assert hosts[SRV9]["stage_finding"]["severity"] == "security"
    admin = hosts[NAS1]["checks"][-1]
    assert (admin["id"], admin["verdict"]) == ("admin", "fail")
    assert admin["findings"] == [hosts[NAS1]["stage_finding"]]
    assert admin["findings"][0]["params"] == {
        "user": "audit", "observed_at": "2025-11-25T09:00:05+00:00",
    }  # fmt: skip


def test_summary_counts_per_customer(run: RunResult) -> None:
    summary = to_document(run)["summary"]
    assert summary == {
        "hosts": 7,
        "compliant": 1,
        "customers": {"acme": {"hosts": 3, "compliant": 1}, "globex": {"hosts": 4, "compliant": 0}},
    }
    hosts = to_document(run)["hosts"]
    assert [h["compliant"] for h in hosts] == [True, False, False, False, False, False, False]
    assert hosts[SW1]["payload"] is None
    assert [h["security_finding"] for h in hosts][SW1 : SRV9 + 1] == [
        None,
        "host key differs from the recorded one",
    ]


def test_round_trip(run: RunResult) -> None:
    doc = json.loads(json.dumps(to_document(run)))
    assert from_document(doc) == run
    assert to_document(from_document(doc)) == doc


def doc_with(run: RunResult, change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(to_document(run))
    change(doc)
    return doc


def a_finding(d: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = copy.deepcopy(d["hosts"][SRV2]["checks"][TCP_443]["findings"][0])
    return found


EVERY = "(every check of run.profile.checks exactly once)"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # every host carries every declared check exactly once
        (lambda d: d["hosts"][SRV1]["checks"].pop(TCP_443),
         f"hosts[0].checks: host srv1: tcp_443 missing {EVERY}"),
        (lambda d: d["hosts"][WS1]["checks"].append(d["hosts"][WS1]["checks"][TV]),
         f"hosts[2].checks: host ws1: teamviewer repeated {EVERY}"),
        (lambda d: d["hosts"][SRV1]["checks"][TV].update(id="tcp_22"),
         f"hosts[0].checks: host srv1: teamviewer missing, tcp_22 not declared {EVERY}"),
        (lambda d: d["run"]["profile"]["checks"].pop(TV),
         f"hosts[0].checks: host srv1: teamviewer not declared {EVERY}"),
        (lambda d: d["run"]["profile"]["checks"].append(d["run"]["profile"]["checks"][1]),
         "run.profile.checks: a check id is declared twice"),
        # each finding has its check's verdict
        (lambda d: d["hosts"][SRV2]["checks"][TCP_443]["findings"][0].update(verdict="error"),
         "hosts[1].checks[4]: finding tcp.refused contradicts the check's verdict fail"),
        (lambda d: d["hosts"][SRV2]["checks"][TCP_443].update(verdict="inconclusive"),
         "hosts[1].checks[4]: finding tcp.refused contradicts the check's verdict inconclusive"),
        (lambda d: d["hosts"][NAS1]["checks"][-1]["findings"][0].update(verdict="error"),
         "hosts[6].checks[9]: finding credentials.missing contradicts the check's verdict fail"),
        # no findings on pass or not_applicable
        (lambda d: d["hosts"][SRV1]["checks"][TCP_80]["findings"].append(a_finding(d)),
         "hosts[0].checks[3]: a check with verdict pass carries findings"),
        (lambda d: d["hosts"][SRV2]["checks"][TCP_443].update(verdict="pass"),
         "hosts[1].checks[4]: a check with verdict pass carries findings"),
        (lambda d: d["hosts"][WS1]["checks"][TV]["findings"].append(a_finding(d)),
         "hosts[2].checks[0]: a check with verdict not_applicable carries findings"),
        # what did not pass on a judged host is explained
        (lambda d: d["hosts"][SRV2]["checks"][TCP_443].update(findings=[]),
         "hosts[1].checks[4]: a check with verdict fail has no finding"),
        (lambda d: d["hosts"][WS1]["checks"][UDP_5938].update(findings=[]),
         "hosts[2].checks[2]: a check with verdict inconclusive has no finding"),
        (lambda d: d["hosts"][SRV1]["checks"][TCP_80].update(verdict="error"),
         "hosts[0].checks[3]: a check with verdict error has no finding"),
        # a stage finding exactly when the host was not judged
        (lambda d: d["hosts"][SRV1].update(stage_finding=d["hosts"][SW1]["stage_finding"]),
         "hosts[0]: host srv1 at stage judged has a stage_finding"),
        (lambda d: d["hosts"][SW1].update(stage_finding=None),
         "hosts[3]: host sw1 at stage connect has no stage_finding"),
        (lambda d: d["hosts"][SRV2].update(stage="probe"),
         "hosts[1]: host srv2 at stage probe has no stage_finding"),
        # shapes (JSON Schema)
        (lambda d: d["hosts"][SRV1]["checks"][2].update(verdict="ok"),
         "hosts[0].checks[2].verdict: 'ok' is not one of"),
        (lambda d: d["hosts"][SW1].update(stage="crashed"),
         "hosts[3].stage: 'crashed' is not one of"),
        (lambda d: d["hosts"][SRV1]["checks"][0].update(id="TCP-22"), "hosts[0].checks[0].id:"),
        (lambda d: d["hosts"][SRV1]["checks"][0].pop("findings"),
         "hosts[0].checks[0]: 'findings' is a required property"),
        (lambda d: d["hosts"][SRV1].pop("stage_finding"),
         "hosts[0]: 'stage_finding' is a required property"),
        (lambda d: d["hosts"][SRV2]["checks"][TCP_443]["findings"][0].update(code="TCP"),
         "hosts[1].checks[4].findings[0].code: 'TCP' does not match"),
        (lambda d: d["hosts"][SRV2]["checks"][TCP_443]["findings"][0].update(owner="nobody"),
         "hosts[1].checks[4].findings[0].owner: 'nobody' is not one of"),
        (lambda d: d["hosts"][SRV2]["checks"][TCP_443]["findings"][0].pop("severity"),
         "hosts[1].checks[4].findings[0]: 'severity' is a required property"),
        (lambda d: d["hosts"][SRV2]["checks"][TCP_443]["findings"][0]["params"].update(port=[443]),
         "hosts[1].checks[4].findings[0].params.port: [443] is not of type 'string', 'number'"),
        (lambda d: d["run"]["profile"]["checks"][0].pop("label"),
         "run.profile.checks[0]: 'label' is a required property"),
        (lambda d: d["run"]["profile"].update(checks=[]), "run.profile.checks: []"),
        (lambda d: d["run"].update(started_at="2025-11-25T09:00:00"),
         "run.started_at: '2025-11-25T09:00:00' does not match"),
        (lambda d: d["hosts"][SRV1].update(started_at="2025-13-45T09:00:00+00:00"),
         "hosts[0].started_at: '2025-13-45T09:00:00+00:00' is not an ISO 8601 time with offset"),
        (lambda d: d.update(extra=1), "document: Additional properties are not allowed"),
        (lambda d: d["hosts"][SRV1].pop("stage_reason"),
         "hosts[0]: 'stage_reason' is a required"),
        (lambda d: d["hosts"][SRV1].update(duration_s=-1), "hosts[0].duration_s: -1 is less than"),
        (lambda d: d["problems"][0].update(line=0), "problems[0].line: 0 is less than"),
        (lambda d: d.update(schema_version=3),
         "schema_version: 3 is not supported here (expected 2)"),
    ],
)  # fmt: skip
def test_bad_documents_are_rejected_in_one_line(run: RunResult, change: Any, message: str) -> None:
    doc = doc_with(run, change)
    for call in (lambda: from_document(doc, "results.json"), lambda: validate(doc, "results.json")):
        with pytest.raises(ResultsError) as info:
            call()
        error = str(info.value)
        assert "\n" not in error
        assert error.startswith(f"results.json: {message}"), error


def test_unaudited_checks_need_no_finding_of_their_own(run: RunResult) -> None:
    """A host that stopped explains itself once, in its stage finding."""
    doc = to_document(run)
    sw1 = doc["hosts"][SW1]
    assert {c["verdict"] for c in sw1["checks"]} == {"error", "not_applicable"}
    assert all(c["findings"] == [] for c in sw1["checks"])
    validate(doc)


def test_validate_reads_only_version_2(v1_document: dict[str, Any]) -> None:
    with pytest.raises(ResultsError) as info:
        validate(v1_document, "old.json")
    assert str(info.value) == "old.json: schema_version: 1 is not supported here (expected 2)"
    from_document(v1_document, "old.json")  # version 1 is read through the upgrade


def test_not_a_document_at_all() -> None:
    with pytest.raises(ResultsError, match=r"^results: document: \[\] is not of type 'object'$"):
        validate([])


def test_diagnostics_are_optional_and_round_trip(run: RunResult) -> None:
    """Judged hosts carry the TeamViewer endpoints diagnostic; a document without it (an
    earlier auditor's) still validates and reads as none; a host that stopped has none."""
    doc = json.loads(json.dumps(to_document(run)))
    endpoints = doc["hosts"][SRV1]["diagnostics"]["teamviewer_endpoints"]
    assert endpoints["outcome"] == "direct" and endpoints["port"] == 5938
    assert endpoints["ports"][0] == {
        "port": 5938, "routers": {"total": 16, "answered": 16, "not_answered": {}},
    }  # fmt: skip
    assert "diagnostics" not in doc["hosts"][SW1]
    assert "diagnostics" not in json_schema()["$defs"]["host"]["required"]
    old = copy.deepcopy(doc)
    for host in old["hosts"]:
        host.pop("diagnostics", None)
    validate(old)
    assert all(host.diagnostics == {} for host in from_document(old).hosts)
    assert from_document(doc).hosts[SRV1].diagnostics == doc["hosts"][SRV1]["diagnostics"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.update(outcome="maybe"), "does not match"),
        (lambda e: e.pop("ports"), "'ports' is a required property"),
        (lambda e: e["endpoints"][0].update(result="open"), "is not one of"),
        (lambda e: e["ports"][0]["routers"]["not_answered"].update(open=1), "is not one of"),
    ],
)
def test_a_malformed_diagnostic_is_rejected(run: RunResult, change: Any, message: str) -> None:
    doc = json.loads(json.dumps(to_document(run)))
    change(doc["hosts"][SRV1]["diagnostics"]["teamviewer_endpoints"])
    with pytest.raises(ResultsError, match=message):
        validate(doc)
