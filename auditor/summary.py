"""The few lines ``auditor run`` prints: per customer, which hosts need what.

Meant for the technician at the terminal or in a cron mail; the HTML report
has the full story. Pure: a run in, text out. Host names are printed as they
are (a terminal, not HTML); control characters are made visible so a hostile
name cannot rewrite the screen.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditor.model import HostResult, RunResult, Stage, Verdict

_GROUPS = (
    (Verdict.FAIL, "fail"),
    (Verdict.ERROR, "not tested"),
    (Verdict.INCONCLUSIVE, "not proven"),
)


def _visible(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def _what(host: HostResult) -> str:
    if host.stage is not Stage.JUDGED:
        return _visible(host.stage_reason)
    parts = []
    for verdict, word in _GROUPS:
        ids = [c.id for c in host.checks if c.verdict is verdict]
        if ids:
            parts.append(f"{word}: {' '.join(ids)}")
    return "; ".join(parts)


def _host_lines(hosts: Iterable[HostResult]) -> list[str]:
    todo = sorted((h for h in hosts if not h.compliant), key=lambda h: h.name)
    width = max((len(_visible(h.name)) for h in todo), default=0)
    return [f"  {_visible(h.name):<{width}}  {h.stage.value:<9} {_what(h)}" for h in todo]


def format_summary(run: RunResult) -> str:
    """One line per customer, then one line per host that is not compliant."""
    by_customer: dict[str, list[HostResult]] = {}
    for host in run.hosts:
        by_customer.setdefault(host.customer, []).append(host)
    lines = []
    for customer, hosts in sorted(by_customer.items()):
        compliant = sum(h.compliant for h in hosts)
        lines.append(f"{_visible(customer)}: {compliant}/{len(hosts)} hosts compliant")
        lines += _host_lines(hosts)
    return "\n".join(lines)
