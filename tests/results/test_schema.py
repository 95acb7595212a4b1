"""The results document: schema validity, round trip, rejection of bad documents."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from auditor.model import CHECK_IDS, Connection, Role, RunResult, Stage, Verdict
from auditor.results import (
    SCHEMA_VERSION,
    ResultsError,
    from_document,
    json_schema,
    to_document,
    validate,
)


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())
    assert json_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_enums_follow_the_model() -> None:
    defs = json_schema()["$defs"]
    assert defs["check_id"]["enum"] == list(CHECK_IDS)
    assert defs["host"]["properties"]["stage"]["enum"] == [s.value for s in Stage]
    assert defs["check"]["properties"]["verdict"]["enum"] == [v.value for v in Verdict]
    assert defs["host"]["properties"]["role"]["enum"] == [r.value for r in Role]
    assert defs["host"]["properties"]["connection"]["enum"] == [c.value for c in Connection]


def test_document_validates_against_the_json_schema(run: RunResult) -> None:
    doc = json.loads(json.dumps(to_document(run)))  # exactly what a reader sees
    jsonschema.Draft202012Validator(json_schema()).validate(doc)
    validate(doc)
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert doc["run"]["profile"] == {
        "name": run.profile_name,
        "version": "5",
        "expected_networks": ["203.0.113.0/24"],
        "reflector": "reflector.example.net:5938",
    }


def test_summary_counts_per_customer(run: RunResult) -> None:
    summary = to_document(run)["summary"]
    assert summary == {
        "hosts": 4,
        "compliant": 1,
        "customers": {"acme": {"hosts": 2, "compliant": 1}, "globex": {"hosts": 2, "compliant": 0}},
    }
    hosts = to_document(run)["hosts"]
    assert [h["compliant"] for h in hosts] == [True, False, False, False]
    assert hosts[2]["payload"] is None
    assert [h["security_finding"] for h in hosts][2:] == [
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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["hosts"][0]["checks"].pop(3),
         "hosts[0].checks: host srv1: tcp_443 missing (every check id exactly once)"),
        (lambda d: d["hosts"][1]["checks"].append(d["hosts"][1]["checks"][0]),
         "hosts[1].checks: host ws1: tcp_5938 repeated"),
        (lambda d: d["hosts"][0]["checks"][2].update(verdict="ok"),
         "hosts[0].checks[2].verdict: 'ok' is not one of"),
        (lambda d: d["hosts"][2].update(stage="crashed"),
         "hosts[2].stage: 'crashed' is not one of"),
        (lambda d: d["hosts"][0]["checks"][0].update(id="tcp_22"), "hosts[0].checks[0].id:"),
        (lambda d: d["run"].update(started_at="2025-11-25T09:00:00"),
         "run.started_at: '2025-11-25T09:00:00' does not match"),
        (lambda d: d["hosts"][0].update(started_at="2025-13-45T09:00:00+00:00"),
         "hosts[0].started_at: '2025-13-45T09:00:00+00:00' is not an ISO 8601 time with offset"),
        (lambda d: d.update(extra=1), "document: Additional properties are not allowed"),
        (lambda d: d["hosts"][0].pop("stage_reason"), "hosts[0]: 'stage_reason' is a required"),
        (lambda d: d["hosts"][0].update(duration_s=-1), "hosts[0].duration_s: -1 is less than"),
        (lambda d: d["problems"][0].update(line=0), "problems[0].line: 0 is less than"),
        (lambda d: d.update(schema_version=2),
         "schema_version: 2 is not supported (expected 1)"),
    ],
)  # fmt: skip
def test_bad_documents_are_rejected_in_one_line(run: RunResult, change: Any, message: str) -> None:
    doc = doc_with(run, change)
    with pytest.raises(ResultsError) as info:
        from_document(doc, "results.json")
    error = str(info.value)
    assert "\n" not in error
    assert error.startswith(f"results.json: {message}"), error


def test_not_a_document_at_all() -> None:
    with pytest.raises(ResultsError, match=r"^results: document: \[\] is not of type 'object'$"):
        validate([])
