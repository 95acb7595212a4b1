"""The evidence behind a verdict as table rows: target, address used, answer or error, duration.

Evidence comes from hosts and the network, so it is untrusted and of any
size: every value here is flattened to one bounded line of text (escaping
happens in the templates, with autoescape on). The words are the probes'
own technical vocabulary (``refused``, ``ECONNREFUSED``, ``NXDOMAIN``) on
purpose: this is the proof, shown behind ``<details>``. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.model import Check

MAX_TEXT = 300  # characters per cell; longer values end in an ellipsis


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    target: str
    address: str
    answer: str
    duration: str


def text(value: object, limit: int = MAX_TEXT) -> str:
    """One line of at most ``limit`` characters; lone surrogates and controls replaced."""
    flat = " ".join(str(value).split())
    clean = "".join("\ufffd" if unprintable(c) else c for c in flat)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def unprintable(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code <= 0xDFFF


def duration(seconds: object) -> str:
    """``3.4 ms`` below a second, ``1.25 s`` above; empty when unknown."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return ""
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def evidence_rows(check: Check) -> tuple[EvidenceRow, ...]:
    """Rows for one check's evidence; empty when nothing was observed."""
    evidence = check.evidence
    rows: list[EvidenceRow] = []
    if "resolvers" in evidence:
        problems = "; ".join(text(p) for p in _list(evidence.get("problems"))) or "ok"
        resolvers = ", ".join(text(r) for r in _list(evidence.get("resolvers")))
        rows.append(
            EvidenceRow(text(evidence.get("resolv_conf") or "resolv.conf"), resolvers, problems, "")
        )
    for item in _mappings(evidence.get("targets")):
        target = f"{text(item.get('host'))}:{text(item.get('port'))}"
        rows.append(
            EvidenceRow(
                target,
                text(item.get("address") or ""),
                _answer(item),
                duration(item.get("duration_s")),
            )
        )
    for query in _mappings(evidence.get("queries")):
        target = f"{text(query.get('name'))} @ {text(query.get('resolver'))}"
        rows.append(
            EvidenceRow(
                target,
                text(query.get("resolver")),
                _dns_answer(query),
                duration(query.get("duration_s")),
            )
        )
    for name in _mappings(evidence.get("names")):
        rows.append(
            EvidenceRow(
                text(name.get("name")),
                "getaddrinfo",
                _dns_answer(name),
                duration(name.get("duration_s")),
            )
        )
    if not rows:
        rows = [EvidenceRow(text(k), "", text(v), "") for k, v in evidence.items()]
    return tuple(rows)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _mappings(value: object) -> list[Mapping[str, Any]]:
    return [v for v in _list(value) if isinstance(v, Mapping)]


def _answer(item: Mapping[str, Any]) -> str:
    parts = [text(item.get("status", "?"))]
    for key in ("phase", "errno_name", "verify_message", "error"):
        value = item.get(key)
        if value and text(value) not in parts:
            parts.append(text(value))
    issuer = item.get("issuer")
    presented = item.get("presented")
    if isinstance(presented, Mapping):
        issuer = presented.get("issuer")
    if isinstance(issuer, Mapping) and issuer:
        parts.append("issuer " + text(", ".join(str(v) for v in issuer.values())))
    if item.get("status") == "echoed" and item.get("nonce"):
        parts.append(f"nonce {text(item.get('nonce'))} echoed")
    if item.get("reply_hex"):
        parts.append(f"reply {text(item.get('reply_hex'), 80)}")
    return text("; ".join(parts))


def _dns_answer(item: Mapping[str, Any]) -> str:
    parts = [text(item.get("rcode") or item.get("status") or "?")]
    addresses = [a.get("address") or a.get("target") for a in _mappings(item.get("answers"))]
    addresses += _list(item.get("addresses"))
    if addresses:
        parts.append(", ".join(text(a) for a in addresses if a))
    for key in ("gai_name", "errno_name", "error"):
        if item.get(key):
            parts.append(text(item.get(key)))
    if item.get("id_ok") is False:
        parts.append("wrong query id")
    return text("; ".join(parts))
