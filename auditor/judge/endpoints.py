"""The TeamViewer endpoints diagnostic: which of TeamViewer's routers and services answer,
per port, and how TeamViewer would connect.

TeamViewer tries its routers on 5938, then 443, then 80 (the profile's
``router_ports``, direct port first). A contract check decides each port on
its few targets; this diagnostic looks at every endpoint TeamViewer's own
connectivity test tries and says what that means: ``direct`` (every router
observed answers on the direct port), ``fallback_<port>`` (the direct port
does not answer from every router, but a later port answers from at least
one: TeamViewer still connects, slower), ``partial`` (the direct port
answers from some routers, no fallback port from any), ``none`` (no router
answers on any port), ``unresolved`` (no router answers, and every failure
was name resolution: the DNS checks say why), ``not_observed`` (no router
was observed on the direct port).

It reads every TCP observation of the payload, whichever check's item it
was (a pair a check already probes is not probed twice), keyed by (host,
port). It changes no verdict; a fallback, a partial answer or no answer at
all becomes a host note (severity note, owner customer IT). Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from auditor.judge.codes import finding
from auditor.judge.evidence import Context, Obs, bogon
from auditor.model import Finding, ParamValue
from auditor.profile import Plan
from auditor.profile.schema import ENDPOINTS_ID, TeamviewerEndpoints

# What became of one endpoint; every result but ``answered`` and ``not_observed`` is a
# reason it did not answer.
RESULTS = ("answered", "refused", "timeout", "unreachable", "blocked", "dns", "failed",
           "not_observed")  # fmt: skip
OUTCOMES = ("direct", "partial", "none", "unresolved", "not_observed")  # and fallback_<port>
_NOTE_CODES = {"partial": "teamviewer.endpoints_partial", "none": "teamviewer.endpoints_none"}
_FALLBACK_CODE = "teamviewer.endpoints_fallback"


def diagnostics(plan: Plan, observations: Obs, ctx: Context) -> dict[str, Any]:
    """``{"teamviewer_endpoints": {...}}`` when this host's payload probed the endpoints,
    else ``{}`` (the profile has no such section, or no TCP check applies here)."""
    spec = plan.endpoints
    if spec is None:
        return {}
    try:
        return {ENDPOINTS_ID: diagnose(spec, observations, ctx)}
    except (AttributeError, KeyError, TypeError, ValueError):  # an unreadable document
        return {ENDPOINTS_ID: diagnose(spec, {"error": "unreadable"}, ctx)}


def diagnose(spec: TeamviewerEndpoints, observations: Obs, ctx: Context) -> dict[str, Any]:
    """The diagnostic from one payload document (see the module docstring for outcomes)."""
    observed = {} if observations.get("error") else _by_pair(observations.get("tcp"), ctx)
    rows = []
    for role, host, port in spec.pairs():
        row: dict[str, Any] = {"host": host, "port": port, "role": role}
        row.update(observed.get((host, port), {"result": "not_observed"}))
        rows.append(row)
    outcome, via = _outcome(spec, rows)
    doc: dict[str, Any] = {"outcome": outcome}
    if via is not None:
        doc["port"] = via
    doc["direct_port"] = spec.router_ports[0]
    doc["ports"] = [_port_counts(port, rows) for port in _ports(spec)]
    doc["endpoints"] = rows
    return doc


def _ports(spec: TeamviewerEndpoints) -> list[int]:
    return list(dict.fromkeys((*spec.router_ports, *spec.service_ports)))


def _by_pair(items: object, ctx: Context) -> dict[tuple[str, int], dict[str, Any]]:
    """(host, port) -> what became of it; an answer wins over a failure of another item."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping):
            continue
        host, port = item.get("host"), item.get("port")
        if not isinstance(host, str) or not isinstance(port, int) or isinstance(port, bool):
            continue
        seen = _seen(item, ctx)
        old = out.get((host, port))
        if old is None or (old["result"] != "answered" and seen["result"] != "not_observed"):
            out[(host, port)] = seen
    return out


def _seen(item: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """One observation as ``result`` (see :data:`RESULTS`), the address used and the
    detail that says why (an errno or resolver error name, a sinkhole network)."""
    status, phase, address = item.get("status"), item.get("phase"), item.get("address")
    address = address if isinstance(address, str) and address else None
    sinkhole = bogon(address, ctx.expected_networks) if address else None
    detail = item.get("errno_name") or item.get("gai_name")
    if status == "timeout" and phase == "deadline":
        result = "not_observed"
    elif sinkhole is not None:  # whatever happened there, the name led to the wrong place
        result, detail = "dns", f"sinkhole {sinkhole}"
    elif status == "connected":
        result = "answered"
    elif (status == "timeout" and phase == "resolve") or status == "resolve_failed":
        result = "dns"
    else:
        result = _FAILED.get(str(status), "not_observed")
    seen: dict[str, Any] = {"result": result}
    if address is not None:
        seen["address"] = address
    if isinstance(detail, str) and detail:
        seen["detail"] = detail
    return seen


_FAILED = {
    "refused": "refused",
    "timeout": "timeout",
    "unreachable": "unreachable",
    "blocked_locally": "blocked",
    "failed_indistinct": "failed",  # the sh payload's tool could not say why
}


def _outcome(spec: TeamviewerEndpoints, rows: list[dict[str, Any]]) -> tuple[str, int | None]:
    """The outcome and, for a fallback, its port; from the routers' rows only."""
    routers = [r for r in rows if r["role"] == "router" and r["result"] != "not_observed"]
    direct = spec.router_ports[0]
    on_direct = [r for r in routers if r["port"] == direct]
    if not on_direct:
        return "not_observed", None
    answered = Counter(r["port"] for r in routers if r["result"] == "answered")
    if answered[direct] == len(on_direct):
        return "direct", direct
    for port in spec.router_ports[1:]:
        if answered[port]:
            return f"fallback_{port}", port
    if answered[direct]:
        return "partial", direct
    if all(r["result"] == "dns" for r in routers):
        return "unresolved", None
    return "none", None


def _port_counts(port: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per role on one port: how many endpoints, how many answered, why the others did not."""
    counts: dict[str, Any] = {"port": port}
    for role, key in (("router", "routers"), ("service", "services")):
        mine = [r for r in rows if r["port"] == port and r["role"] == role]
        if mine:
            results = Counter(r["result"] for r in mine)
            counts[key] = {
                "total": len(mine),
                "answered": results.pop("answered", 0),
                "not_answered": {k: results[k] for k in RESULTS if results.get(k)},
            }
    return counts


def diagnostic_notes(found: Mapping[str, Any]) -> tuple[Finding, ...]:
    """The host note the diagnostic's outcome calls for: TeamViewer on a fallback port,
    on only some routers, or on none (owner customer IT); nothing otherwise."""
    doc = found.get(ENDPOINTS_ID)
    if not isinstance(doc, Mapping):
        return ()
    outcome, direct = doc.get("outcome"), doc.get("direct_port")
    counts = {c.get("port"): c.get("routers") or {} for c in doc.get("ports") or ()}
    routers = counts.get(direct, {}).get("total")
    params: dict[str, ParamValue | None] = {
        "direct_port": direct,
        "routers": routers,
        "answered_direct": counts.get(direct, {}).get("answered"),
    }
    if isinstance(outcome, str) and outcome.startswith("fallback_"):
        port = doc.get("port")
        params.update(port=port, answered_port=counts.get(port, {}).get("answered"))
        return (finding(_FALLBACK_CODE, (), params),)
    if outcome == "none":
        ports = ", ".join(str(c.get("port")) for c in doc.get("ports") or () if c.get("routers"))
        return (finding(_NOTE_CODES["none"], (), {"routers": routers, "ports": ports}),)
    if outcome == "partial":
        return (finding(_NOTE_CODES["partial"], (), params),)
    return ()
