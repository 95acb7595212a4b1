"""The results document: a public, versioned JSON format for one audit run.

Reports, history, mail, exit codes and anyone's monitoring read it, so it is
an API: ``results.v2.schema.json`` (JSON Schema 2020-12) describes it, and
:func:`validate` adds the rules JSON Schema cannot state: every host carries
every check of ``run.profile.checks`` exactly once; every finding has its
check's verdict, a passing or not-applicable check has none, and every other
check of a fully audited host has at least one; a host has a
``stage_finding`` exactly when it was not fully audited; timestamps are ISO
8601 with a UTC offset. So a consumer can trust that no finding contradicts
its verdict. :func:`to_document` and :func:`from_document` round-trip a
:class:`~auditor.model.RunResult` exactly (evidence must be JSON values:
lists, not tuples, to compare equal after the trip). Version 1 documents are
read through :mod:`auditor.results.upgrade`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from auditor.errors import AuditorError
from auditor.model import (
    Check,
    CheckInfo,
    Connection,
    Finding,
    HostResult,
    InventoryProblem,
    Owner,
    Role,
    RunResult,
    Severity,
    Stage,
    Verdict,
)

SCHEMA_VERSION = 2
SCHEMA_FILES = {1: "results.v1.schema.json", 2: "results.v2.schema.json"}


class ResultsError(AuditorError):
    """A results document that does not match the schema; ``str()`` is one line."""


@cache
def json_schema(version: int = SCHEMA_VERSION) -> Mapping[str, Any]:
    """The bundled JSON Schema of ``version`` (default: the current one)."""
    text = resources.files("auditor.results").joinpath(SCHEMA_FILES[version]).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _summary(hosts: tuple[HostResult, ...]) -> dict[str, Any]:
    customers: dict[str, dict[str, int]] = {}
    for host in hosts:
        counts = customers.setdefault(host.customer, {"hosts": 0, "compliant": 0})
        counts["hosts"] += 1
        counts["compliant"] += host.compliant
    return {
        "hosts": len(hosts),
        "compliant": sum(host.compliant for host in hosts),
        "customers": customers,
    }


def finding_doc(item: Finding) -> dict[str, Any]:
    return {
        "code": item.code,
        "verdict": item.verdict.value,
        "owner": item.owner.value,
        "severity": item.severity.value,
        "targets": list(item.targets),
        "params": dict(item.params),
    }


def host_doc(host: HostResult) -> dict[str, Any]:
    """One host's entry of the results document (also what the history store keeps);
    ``diagnostics`` only when the judge made some."""
    doc: dict[str, Any] = {
        "name": host.name,
        "customer": host.customer,
        "role": host.role.value,
        "address": host.address,
        "connection": host.connection.value,
        "stage": host.stage.value,
        "stage_reason": host.stage_reason,
        "stage_finding": finding_doc(host.stage_finding) if host.stage_finding else None,
        "access": dict(host.access),
        "notes": [finding_doc(f) for f in host.notes],
        "payload": host.payload,
        "security_finding": host.security_finding,
        "started_at": host.started_at,
        "duration_s": host.duration_s,
        "compliant": host.compliant,
        "checks": [
            {
                "id": check.id,
                "verdict": check.verdict.value,
                "reason": check.reason,
                "evidence": dict(check.evidence),
                "findings": [finding_doc(f) for f in check.findings],
            }
            for check in host.checks
        ],
    }
    if host.diagnostics:
        doc["diagnostics"] = dict(host.diagnostics)
    return doc


def _check_info_doc(info: CheckInfo) -> dict[str, Any]:
    return {"id": info.id, "kind": info.kind, "title": dict(info.title), "label": dict(info.label)}


def to_document(run: RunResult) -> dict[str, Any]:
    """The run as a results document (plain JSON values, not yet validated)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "id": run.run_id,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "auditor_version": run.auditor_version,
            "profile": {
                "name": run.profile_name,
                "version": run.profile_version,
                "checks": [_check_info_doc(info) for info in run.checks],
                "expected_networks": list(run.expected_networks),
                "reflector": run.reflector,
                **({"teamviewer_api": dict(run.teamviewer_api)} if run.teamviewer_api else {}),
            },
            "inventory_sources": list(run.inventory_sources),
        },
        "summary": _summary(run.hosts),
        "hosts": [host_doc(host) for host in run.hosts],
        "problems": [
            {
                "source": p.source,
                "line": p.line,
                "host": p.host,
                "customer": p.customer,
                "message": p.message,
            }
            for p in run.problems
        ],
    }


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "document"


def _one_line(message: str, limit: int = 200) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _check_timestamp(value: str, where: str, source: str) -> None:
    try:
        offset = datetime.fromisoformat(value).utcoffset()
    except ValueError:
        offset = None
    if offset is None:
        raise ResultsError(f"{source}: {where}: {value!r} is not an ISO 8601 time with offset")


def schema_errors(doc: object, version: int, source: str) -> None:
    """Raise the best JSON Schema error of ``doc`` against schema ``version``, if any."""
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(json_schema(version)).iter_errors(doc)
    )
    if error is not None:
        raise ResultsError(f"{source}: {_path(error.absolute_path)}: {_one_line(error.message)}")


def validate(doc: object, source: str = "results") -> None:
    """Raise :class:`ResultsError` (``source: path: what``) unless ``doc`` is a v2 document."""
    if isinstance(doc, dict) and doc.get("schema_version") != SCHEMA_VERSION:
        version = doc.get("schema_version")
        raise ResultsError(
            f"{source}: schema_version: {version!r} is not supported here (expected {SCHEMA_VERSION})"
        )
    schema_errors(doc, SCHEMA_VERSION, source)
    assert isinstance(doc, dict)  # the schema says so
    _check_timestamp(doc["run"]["started_at"], "run.started_at", source)
    _check_timestamp(doc["run"]["finished_at"], "run.finished_at", source)
    declared = [c["id"] for c in doc["run"]["profile"]["checks"]]
    if len(set(declared)) != len(declared):
        raise ResultsError(f"{source}: run.profile.checks: a check id is declared twice")
    for index, host in enumerate(doc["hosts"]):
        where = f"hosts[{index}]"
        _check_timestamp(host["started_at"], f"{where}.started_at", source)
        _check_ids_once(host, declared, where, source)
        _check_findings(host, where, source)


def _check_ids_once(host: Mapping[str, Any], declared: list[str], where: str, source: str) -> None:
    """Every host carries every declared check exactly once (JSON Schema cannot say this)."""
    seen = Counter(check["id"] for check in host["checks"])
    problems = [f"{check_id} repeated" for check_id, n in seen.items() if n > 1]
    problems += [f"{check_id} missing" for check_id in declared if check_id not in seen]
    problems += [f"{check_id} not declared" for check_id in seen if check_id not in declared]
    if problems:
        raise ResultsError(
            f"{source}: {where}.checks: host {host['name']}: {', '.join(problems)}"
            " (every check of run.profile.checks exactly once)"
        )


def _check_findings(host: Mapping[str, Any], where: str, source: str) -> None:
    """No finding contradicts its verdict; what did not pass is explained."""
    judged = host["stage"] == Stage.JUDGED.value
    if judged == (host["stage_finding"] is not None):
        state = "has a stage_finding" if judged else "has no stage_finding"
        raise ResultsError(
            f"{source}: {where}: host {host['name']} at stage {host['stage']} {state}"
        )
    for n, check in enumerate(host["checks"]):
        at = f"{where}.checks[{n}]"
        verdict, found = check["verdict"], check["findings"]
        if verdict in (Verdict.PASS.value, Verdict.NOT_APPLICABLE.value) and found:
            raise ResultsError(f"{source}: {at}: a check with verdict {verdict} carries findings")
        wrong = [f["code"] for f in found if f["verdict"] != verdict]
        if wrong:
            raise ResultsError(
                f"{source}: {at}: finding {wrong[0]} contradicts the check's verdict {verdict}"
            )
        open_ = verdict not in (Verdict.PASS.value, Verdict.NOT_APPLICABLE.value)
        if judged and open_ and not found:
            raise ResultsError(f"{source}: {at}: a check with verdict {verdict} has no finding")


def finding_from(doc: Mapping[str, Any]) -> Finding:
    return Finding(
        code=doc["code"],
        verdict=Verdict(doc["verdict"]),
        owner=Owner(doc["owner"]),
        severity=Severity(doc["severity"]),
        targets=tuple(doc["targets"]),
        params=dict(doc["params"]),
    )


def host_from(doc: Mapping[str, Any]) -> HostResult:
    """The :class:`HostResult` of one host entry (already validated)."""
    return HostResult(
        name=doc["name"],
        customer=doc["customer"],
        role=Role(doc["role"]),
        address=doc["address"],
        connection=Connection(doc["connection"]),
        stage=Stage(doc["stage"]),
        stage_reason=doc["stage_reason"],
        checks=tuple(
            Check(
                id=c["id"],
                verdict=Verdict(c["verdict"]),
                reason=c["reason"],
                evidence=c["evidence"],
                findings=tuple(finding_from(f) for f in c["findings"]),
            )
            for c in doc["checks"]
        ),
        started_at=doc["started_at"],
        duration_s=float(doc["duration_s"]),
        payload=doc["payload"],
        security_finding=doc["security_finding"],
        stage_finding=finding_from(doc["stage_finding"]) if doc["stage_finding"] else None,
        access=doc["access"],
        notes=tuple(finding_from(f) for f in doc["notes"]),
        diagnostics=doc.get("diagnostics", {}),  # documents before the diagnostics have none
    )


def from_document(doc: object, source: str = "results") -> RunResult:
    """Validate ``doc`` (version 2, or version 1 upgraded) and rebuild its :class:`RunResult`."""
    if isinstance(doc, dict) and doc.get("schema_version") == 1:
        from auditor.results.upgrade import upgrade_v1

        doc = upgrade_v1(doc, source)
    validate(doc, source)
    assert isinstance(doc, dict)
    run = doc["run"]
    return RunResult(
        run_id=run["id"],
        started_at=run["started_at"],
        finished_at=run["finished_at"],
        auditor_version=run["auditor_version"],
        profile_name=run["profile"]["name"],
        profile_version=run["profile"]["version"],
        checks=tuple(
            CheckInfo(c["id"], c["kind"], dict(c["title"]), dict(c["label"]))
            for c in run["profile"]["checks"]
        ),
        expected_networks=tuple(run["profile"]["expected_networks"]),
        reflector=run["profile"]["reflector"],
        teamviewer_api=run["profile"].get("teamviewer_api"),
        inventory_sources=tuple(run["inventory_sources"]),
        hosts=tuple(host_from(host) for host in doc["hosts"]),
        problems=tuple(
            InventoryProblem(
                source=p["source"],
                message=p["message"],
                host=p["host"],
                line=p["line"],
                customer=p["customer"],
            )
            for p in doc["problems"]
        ),
    )


def run_parts(run: RunResult) -> dict[str, Any]:
    """The run's ``profile`` and ``problems`` entries, as the results document has them."""
    doc = to_document(RunResult(**{**_fields(run), "hosts": ()}))
    return {"profile": doc["run"]["profile"], "problems": doc["problems"]}


def run_from_parts(
    *,
    run_id: str,
    started_at: str,
    finished_at: str,
    auditor_version: str,
    profile_name: str,
    profile_version: str,
    profile: Mapping[str, Any],
    inventory_sources: list[Any],
    problems: list[Any],
    hosts: list[Mapping[str, Any]],
) -> RunResult:
    """A run rebuilt from stored parts, through the same validating reader as results.json."""
    parsed = [host_from(h) for h in hosts]
    doc = {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "id": run_id, "started_at": started_at, "finished_at": finished_at,
            "auditor_version": auditor_version,
            "profile": {**profile, "name": profile_name, "version": profile_version},
            "inventory_sources": inventory_sources,
        },
        "summary": _summary(tuple(parsed)),
        "hosts": hosts,
        "problems": problems,
    }  # fmt: skip
    return from_document(doc, source=f"history run {run_id}")


def _fields(run: RunResult) -> dict[str, Any]:
    return {name: getattr(run, name) for name in run.__dataclass_fields__}
