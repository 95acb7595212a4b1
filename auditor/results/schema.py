"""The results document: a public, versioned JSON format for one audit run.

Reports, history, mail, exit codes and anyone's monitoring read it, so it is
an API: ``results.v1.schema.json`` (JSON Schema 2020-12) describes it, and
:func:`validate` adds the rules JSON Schema cannot state (every host carries
every check id exactly once; timestamps are ISO 8601 with a UTC offset).
:func:`to_document` and :func:`from_document` round-trip a
:class:`~auditor.model.RunResult` exactly (evidence must be JSON values:
lists, not tuples, to compare equal after the trip).
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
    CHECK_IDS,
    Check,
    Connection,
    HostResult,
    InventoryProblem,
    Role,
    RunResult,
    Stage,
    Verdict,
)

SCHEMA_VERSION = 1
SCHEMA_FILE = "results.v1.schema.json"


class ResultsError(AuditorError):
    """A results document that does not match the schema; ``str()`` is one line."""


@cache
def json_schema() -> Mapping[str, Any]:
    """The bundled JSON Schema of version :data:`SCHEMA_VERSION`."""
    text = resources.files("auditor.results").joinpath(SCHEMA_FILE).read_text("utf-8")
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


def _host_doc(host: HostResult) -> dict[str, Any]:
    return {
        "name": host.name,
        "customer": host.customer,
        "role": host.role.value,
        "address": host.address,
        "connection": host.connection.value,
        "stage": host.stage.value,
        "stage_reason": host.stage_reason,
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
            }
            for check in host.checks
        ],
    }


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
                "expected_networks": list(run.expected_networks),
                "reflector": run.reflector,
            },
            "inventory_sources": list(run.inventory_sources),
        },
        "summary": _summary(run.hosts),
        "hosts": [_host_doc(host) for host in run.hosts],
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


def validate(doc: object, source: str = "results") -> None:
    """Raise :class:`ResultsError` (``source: path: what``) unless ``doc`` is a v1 document."""
    if isinstance(doc, dict) and doc.get("schema_version") != SCHEMA_VERSION:
        version = doc.get("schema_version")
        raise ResultsError(
            f"{source}: schema_version: {version!r} is not supported (expected {SCHEMA_VERSION})"
        )
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(json_schema()).iter_errors(doc)
    )
    if error is not None:
        raise ResultsError(f"{source}: {_path(error.absolute_path)}: {_one_line(error.message)}")
    assert isinstance(doc, dict)  # the schema says so
    _check_timestamp(doc["run"]["started_at"], "run.started_at", source)
    _check_timestamp(doc["run"]["finished_at"], "run.finished_at", source)
    for index, host in enumerate(doc["hosts"]):
        where = f"hosts[{index}]"
        _check_timestamp(host["started_at"], f"{where}.started_at", source)
        _check_ids_once(host, where, source)


def _check_ids_once(host: Mapping[str, Any], where: str, source: str) -> None:
    """Every host carries every check id exactly once (JSON Schema cannot say this)."""
    seen = Counter(check["id"] for check in host["checks"])
    problems = [f"{check_id} repeated" for check_id, n in seen.items() if n > 1]
    problems += [f"{check_id} missing" for check_id in CHECK_IDS if check_id not in seen]
    if problems:
        raise ResultsError(
            f"{source}: {where}.checks: host {host['name']}: {', '.join(problems)}"
            " (every check id exactly once)"
        )


def _host(doc: Mapping[str, Any]) -> HostResult:
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
            )
            for c in doc["checks"]
        ),
        started_at=doc["started_at"],
        duration_s=float(doc["duration_s"]),
        payload=doc["payload"],
        security_finding=doc["security_finding"],
    )


def from_document(doc: object, source: str = "results") -> RunResult:
    """Validate ``doc`` and rebuild the :class:`RunResult` it was made from."""
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
        expected_networks=tuple(run["profile"]["expected_networks"]),
        reflector=run["profile"]["reflector"],
        inventory_sources=tuple(run["inventory_sources"]),
        hosts=tuple(_host(host) for host in doc["hosts"]),
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
