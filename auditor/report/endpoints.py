"""The TeamViewer endpoints diagnostic of one host, as the report words it.

The judge decided the outcome and counted, per port, the routers and
services that answered (``judge/endpoints.py``); this module only words
that: the outcome as a sentence, one line "5938: 0 von 16 Routern · 443: 16
von 16 Routern, 10 von 10 Diensten · …", and a row for every endpoint that
did not answer, with the judge's reason. Host names, addresses and details
come from the network: each is flattened by :func:`text` (escaping happens
in the template). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.judge.endpoints import OUTCOMES, RESULTS
from auditor.profile.schema import ENDPOINTS_ID
from auditor.report.evidence import EvidenceRow, Fact, text
from auditor.report.words import Words


@dataclass(frozen=True, slots=True)
class DiagnosticView:
    """One diagnostic of a host: its title, the outcome as code and sentence, facts, rows."""

    diagnostic_id: str
    title: str
    outcome: str
    facts: tuple[Fact, ...]
    rows: tuple[EvidenceRow, ...]


def diagnostic_views(diagnostics: Mapping[str, Any], words: Words) -> tuple[DiagnosticView, ...]:
    """The views of a host's diagnostics; none when the judge made none."""
    doc = diagnostics.get(ENDPOINTS_ID)
    if not isinstance(doc, Mapping):
        return ()
    outcome = str(doc.get("outcome") or "not_observed")
    facts = [Fact(words.t("fact.outcome"), _sentence(doc, outcome, words))]
    line = " · ".join(_port_line(c, words) for c in _mappings(doc.get("ports")))
    if line:
        facts.append(Fact(words.t("endpoints.per_port"), line))
    rows = tuple(_row(e, words) for e in _mappings(doc.get("endpoints"))
                 if e.get("result") != "answered")  # fmt: skip
    return (DiagnosticView(ENDPOINTS_ID, words.t("endpoints.title"), text(outcome, 40),
                           tuple(facts), rows),)  # fmt: skip


def _sentence(doc: Mapping[str, Any], outcome: str, words: Words) -> str:
    ports = {"port": _number(doc.get("port")), "direct_port": _number(doc.get("direct_port"))}
    if outcome.startswith("fallback_"):
        return words.t("endpoints.fallback", **ports)
    key = outcome if outcome in OUTCOMES else "not_observed"
    return words.t(f"endpoints.{key}", **ports)


def _port_line(counts: Mapping[str, Any], words: Words) -> str:
    """``443: 16 von 16 Routern, 10 von 10 Diensten``."""
    parts = []
    for role in ("routers", "services"):
        count = counts.get(role)
        if not isinstance(count, Mapping):
            continue
        said = words.t(f"endpoints.{role}", answered=_number(count.get("answered")),
                       total=_number(count.get("total")))  # fmt: skip
        missing = count.get("not_answered")
        unobserved = missing.get("not_observed") if isinstance(missing, Mapping) else None
        if unobserved:
            said += f" ({words.t('endpoints.unobserved', count=_number(unobserved))})"
        parts.append(said)
    return f"{_number(counts.get('port'))}: {', '.join(parts)}"


def _row(endpoint: Mapping[str, Any], words: Words) -> EvidenceRow:
    result = endpoint.get("result")
    said = words.t(f"endpoints.result_{result}") if result in RESULTS else text(result or "?")
    return EvidenceRow(
        target=f"{text(endpoint.get('host'))}:{_number(endpoint.get('port'))}",
        address=text(endpoint.get("address") or ""),
        result=said,
        verdict="",
        raw=text(endpoint.get("detail") or ""),
        duration="",
    )


def _number(value: object) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "?"


def _mappings(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
