"""The central judge: raw observations in, one Check per planned network check out.

Pure functions (no sockets, no asyncio, no I/O): the same plan and
observations always give the same verdicts, the same for every payload
flavour. One module per probe kind, dispatched by :data:`JUDGES`. The admin
and teamviewer checks are judged elsewhere (later); only the network checks
below are decided here. A planned check whose observation is missing or
malformed is ``error``, never ``pass``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from auditor.judge import dns, tcp, tls, udp
from auditor.judge.evidence import Context, IPNetwork, Obs, error_check
from auditor.model import CHECK_IDS, Check

__all__ = ["JUDGES", "judge_host", "planned_checks"]

Judge = Callable[[str, Obs, Obs, Context], Check]

JUDGES: dict[str, Judge] = {
    "tcp_5938": tcp.judge,
    "tcp_80": tcp.judge,
    "tcp_443": tcp.judge,
    "udp_5938": udp.judge,
    "tls_443": tls.judge,
    "dns_udp": dns.judge,
    "dns_tcp": dns.judge,
    "dns_system": dns.judge_system,
}


def planned_checks(plan_doc: Obs) -> list[str]:
    """The network checks the plan applies, in CHECK_IDS order.

    ``"udp": []`` still plans udp_5938 (no reflector: inconclusive); a
    missing ``udp`` key means the check does not apply.
    """
    found: set[str] = set()
    for section in ("tcp", "tls", "udp"):
        items = plan_doc.get(section)
        if isinstance(items, list):
            found.update(str(i.get("check")) for i in items if isinstance(i, Mapping))
    if isinstance(plan_doc.get("udp"), list):
        found.add("udp_5938")
    dns_plan = plan_doc.get("dns")
    if isinstance(dns_plan, Mapping):
        found.update(str(c) for c in dns_plan.get("checks") or ())
    system = plan_doc.get("dns_system")
    if isinstance(system, Mapping):
        found.add(str(system.get("check", "dns_system")))
    return [c for c in CHECK_IDS if c in found and c in JUDGES]


def judge_host(
    plan_doc: Mapping[str, Any],
    observations: Mapping[str, Any],
    *,
    expected_networks: Sequence[IPNetwork],
) -> dict[str, Check]:
    """Verdicts for the plan's network checks, keyed by check id (CHECK_IDS order).

    ``plan_doc`` is ``Plan.payload_input()``; ``observations`` is what
    :func:`auditor.payload.parse_output` returned for that plan.
    """
    ctx = Context(float(plan_doc.get("probe_timeout_s", 0.0)), tuple(expected_networks))
    checks: dict[str, Check] = {}
    failure = observations.get("error")
    for check_id in planned_checks(plan_doc):
        if failure:
            checks[check_id] = error_check(check_id, f"The payload did not run the plan: {failure}")
            continue
        try:
            checks[check_id] = JUDGES[check_id](check_id, plan_doc, observations, ctx)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            reason = f"The observation could not be read ({type(exc).__name__}: {exc})."
            checks[check_id] = error_check(check_id, reason)
    return checks
