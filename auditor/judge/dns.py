"""dns and dns_system: is name resolution correct on this host?

dns (one check per transport, e.g. dns_udp and dns_tcp): every resolver the
host is configured with must answer NOERROR with at least one address for
every name of the check over that transport (the plan asks the payload for
the names of all DNS checks; each check is held to its own), and no address may be a sinkhole or
bogon unless it lies in the profile's ``expected_networks``. NXDOMAIN,
SERVFAIL, REFUSED, silence and a wrong query id are told apart. No resolver
configured fails. A UDP answer with the TC bit is ``inconclusive``: valid,
but UDP alone did not deliver it. An answer read from a host tool (sh
payload: dig, nslookup) proves a failure but never a pass: we did not choose
its query id.

Who acts on a wrong *answer* (NXDOMAIN, SERVFAIL, other rcode, no address,
sinkhole): the customer's IT for its own resolvers (private addresses, or
the host's own /24), the ISP for an external one. Transport failures
(timeout, refused, blocked) are the customer's firewall.

dns_system: what programs really get (getaddrinfo, /etc/hosts included):
every name must resolve, and only to non-bogon addresses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from ipaddress import ip_address, ip_network
from typing import Any

from auditor.judge.evidence import Context, Item, Obs, bogon, combine, outcome, pick, single
from auditor.model import Check, Owner
from auditor.profile.schema import CheckSpec, DnsSpec

QUERY_KEYS = ("resolver", "name", "status", "rcode", "id_ok", "answers", "errno_name",
              "error", "duration_s", "tool", "reason")  # fmt: skip
SYSTEM_KEYS = ("name", "status", "addresses", "method", "gai_name", "error", "duration_s", "reason")
RCODES = {"NXDOMAIN": "dns.nxdomain", "SERVFAIL": "dns.servfail"}
CONTENT = frozenset({"dns.nxdomain", "dns.servfail", "dns.rcode", "dns.nodata", "dns.sinkhole"})
# The customer's own resolvers: private, loopback (a local stub) and link-local addresses.
_PRIVATE = tuple(
    ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
        "::1/128", "fc00::/7", "fe80::/10",
    )
)  # fmt: skip


def judge(check_id: str, spec: CheckSpec, plan: Obs, observations: Obs, ctx: Context) -> Check:
    transport = spec.transport if isinstance(spec, DnsSpec) else "udp"
    planned = plan.get("dns") or {}
    names = list((planned.get("names_of") or {}).get(check_id, planned.get("names") or ()))
    dns = observations.get("dns")
    if not isinstance(dns, Mapping) or not isinstance(dns.get("resolvers"), list):
        return single(check_id, Item("probe.missing", "no DNS observation came back from the host"))
    resolvers, problems = dns["resolvers"], list(dns.get("problems") or ())
    source = _source(dns)
    evidence: dict[str, Any] = {"transport": transport, **source}
    evidence.update(resolvers=resolvers, problems=problems, names=names)
    if "adapters" in dns:
        evidence["adapters"] = dns["adapters"]
    if not resolvers:
        why = "; ".join(str(p) for p in problems) or "no nameserver lines"
        code = "dns.no_adapter_resolver" if "resolvers_from" in source else "dns.no_resolver"
        item = Item(code, f"no DNS resolver is configured ({why})", (), source)
        return single(check_id, item, evidence)
    if not names:
        return single(
            check_id, Item("dns.no_names", "the profile names no DNS names to query"), evidence
        )
    queries = [q for q in dns.get("queries") or () if isinstance(q, Mapping)]
    items, shown = [], []
    for resolver in resolvers:
        for name in names:
            query = next(
                (q for q in queries if _same(q, check_id, transport, resolver, name)), None
            )
            item = query_item(query, str(resolver), name, transport, source, ctx)
            items.append(item)
            shown.append(outcome(pick(query, QUERY_KEYS) if query else
                                 {"resolver": resolver, "name": name}, item))  # fmt: skip
    evidence["queries"] = shown
    text = (
        f"All {len(resolvers)} resolver(s) answered NOERROR with usable addresses "
        f"for all {len(names)} name(s) over {transport.upper()}."
    )
    return combine(check_id, items, text, evidence)


def _source(dns: Obs) -> dict[str, str]:
    """Where the resolvers came from: ``resolv_conf`` (POSIX) or the network adapters (Windows)."""
    if dns.get("source") == "adapters":
        return {"resolvers_from": "adapters"}
    return {"resolv_conf": str(dns.get("resolv_conf") or "/etc/resolv.conf")}


def _same(query: Obs, check_id: str, transport: str, resolver: object, name: str) -> bool:
    """The query of this check (older documents: of this transport) to ``resolver`` for ``name``."""
    if (query.get("resolver"), query.get("name")) != (resolver, name):
        return False
    return query.get("check") == check_id or (
        "check" not in query and query.get("transport") == transport
    )


def query_item(
    query: Obs | None,
    resolver: str,
    name: str,
    transport: str,
    source: Mapping[str, str],
    ctx: Context,
) -> Item:
    subject = f"resolver {resolver} over {transport.upper()} for {name}"
    params = {"resolver": resolver, "transport": transport, **source}
    status = query.get("status") if query is not None else None
    if query is None or not isinstance(status, str):
        return Item("probe.missing", f"{subject} was not observed (missing or malformed)", (name,))
    if status == "answer" and unverified(query):
        return tool_answer_item(query, subject, name, params, ctx)
    if status == "answer":
        return answer_item(query, subject, name, params, ctx)
    if status == "timeout" and query.get("phase") == "deadline":
        return Item(
            "probe.deadline", f"{subject} did not finish before the payload deadline", (name,)
        )
    detail = query.get("error", "no detail")
    simple = {
        "timeout": ("dns.timeout", f"gave no answer within {ctx.probe_timeout_s:g}s"),
        "id_mismatch": ("dns.id_mismatch", "answered with a wrong query id (spoofed or broken)"),
        "truncated": ("dns.truncated", "sent a truncated answer (TC bit) only"),
        "malformed": ("dns.malformed", f"sent an unreadable answer ({detail})"),
        "refused": ("dns.refused", "port 53 is closed (ICMP port unreachable)" if transport == "udp"
                    else "rejected the connection (RST)"),
        "unreachable": ("dns.unreachable", f"is unreachable ({query.get('errno_name', 'no errno')})"),
        "blocked_locally": ("dns.blocked_locally", "is blocked by this host's firewall"),
        "error": ("probe.error", f"could not be queried ({detail})"),
        "not_observable": ("probe.not_observable", f"could not be observed ({query.get('reason')})"),
    }  # fmt: skip
    code, text = simple.get(status, ("probe.unknown_status", f"has an unknown status {status!r}"))
    return Item(code, f"{subject} {text}", (name,), params if code.startswith("dns.") else {})


def answer_item(
    query: Obs, subject: str, name: str, params: Mapping[str, str], ctx: Context
) -> Item:
    rcode = query.get("rcode")
    if query.get("id_ok") is not True:
        return Item("dns.id_mismatch", f"{subject} answered with a wrong query id", (name,), params)
    if rcode != "NOERROR":
        code = RCODES.get(str(rcode), "dns.rcode")
        extra = {} if code in RCODES.values() else {"rcode": str(rcode)}
        return _content(code, f"{subject} answered {rcode}", name, {**params, **extra}, ctx)
    answers = query.get("answers")
    addresses = chain_addresses(answers if isinstance(answers, list) else [], name)
    if not addresses:
        text = f"{subject} answered NOERROR without an address (NODATA)"
        return _content("dns.nodata", text, name, params, ctx)
    for address in addresses:
        network = bogon(address, ctx.expected_networks)
        if network is not None:
            text = f"{subject} got {address}, a sinkhole or bogon address ({network})"
            return _content("dns.sinkhole", text, name, {**params, "address": address}, ctx)
    return Item("dns.answered", f"{subject} got {', '.join(addresses)}", (name,))


def _content(code: str, text: str, name: str, params: Mapping[str, str], ctx: Context) -> Item:
    """A wrong answer: its operator must fix it (customer IT or ISP, by where it stands)."""
    return Item(code, text, (name,), params, resolver_owner(params["resolver"], ctx.host_address))


def resolver_owner(resolver: str, host_address: str) -> Owner:
    """The customer's IT for a resolver in a private range or the host's /24 (IPv6: /64),
    else the ISP."""
    try:
        address = ip_address(resolver)
    except ValueError:
        return Owner.CUSTOMER_IT
    if any(address in net for net in _PRIVATE):
        return Owner.CUSTOMER_IT
    try:
        host = ip_address(host_address)
    except ValueError:
        return Owner.ISP
    if host.version == address.version:
        prefix = 24 if host.version == 4 else 64
        if address in ip_network(f"{host}/{prefix}", strict=False):
            return Owner.CUSTOMER_IT
    return Owner.ISP


def unverified(query: Obs) -> bool:
    """An answer read from a host tool (sh payload: dig, nslookup): we never saw its query id."""
    return query.get("id_ok") is None and isinstance(query.get("tool"), str)


def tool_answer_item(
    query: Obs, subject: str, name: str, params: Mapping[str, str], ctx: Context
) -> Item:
    """A tool's answer can prove a failure, never a pass: its query id was not ours to check.

    A bad rcode or a bogon address fails as usual (whatever answered, the host
    got a wrong answer). Usable addresses are ``inconclusive``, and so is an
    empty answer, because nslookup prints a truncated answer the same way.
    """
    tool = str(query.get("tool"))
    found = answer_item({**query, "id_ok": True}, subject, name, params, ctx)
    unproven = {**params, "tool": tool}
    if found.code == "dns.answered":
        text = f"{found.text}, but via {tool}, whose query id this auditor cannot check: not proven"
        return Item("dns.answer_unverified", text, (name,), unproven)
    if found.code == "dns.nodata":
        text = f"{subject} answered without an address via {tool} (NODATA or truncated: not told apart)"
        return Item("dns.empty_unverified", text, (name,), unproven)
    return found


def chain_addresses(answers: Sequence[object], name: str) -> list[str]:
    """A/AAAA addresses of ``name`` after following its CNAME chain (at most 16 links)."""
    records = [a for a in answers if isinstance(a, Mapping)]
    owners, current = {name.lower().rstrip(".")}, name.lower().rstrip(".")
    for _ in range(16):
        link = next((r for r in records if r.get("type") == "CNAME" and r.get("name") == current
                     and str(r.get("target")) not in owners), None)  # fmt: skip
        if link is None:
            break
        current = str(link.get("target"))
        owners.add(current)
    return [
        str(r["address"]) for r in records
        if r.get("type") in ("A", "AAAA") and r.get("name") in owners and "address" in r
    ]  # fmt: skip


def judge_system(
    check_id: str, spec: CheckSpec, plan: Obs, observations: Obs, ctx: Context
) -> Check:
    system = observations.get("dns_system")
    if not isinstance(system, Mapping) or not isinstance(system.get("results"), list):
        text = "no system resolver observation came back from the host"
        return single(check_id, Item("probe.missing", text))
    names = list((plan.get("dns_system") or {}).get("names") or ())
    results = [r for r in system["results"] if isinstance(r, Mapping)]
    items, shown = [], []
    hosts_file = str(system.get("hosts_file") or "/etc/hosts")  # Windows: under System32
    for name in names:
        result = next((r for r in results if r.get("name") == name), None)
        item = system_item(result, name, ctx, hosts_file)
        items.append(item)
        shown.append(outcome(pick(result, SYSTEM_KEYS) if result else {"name": name}, item))
    text = f"The system resolver resolved all {len(names)} name(s) to usable addresses."
    return combine(check_id, items, text, {"names": shown})


def system_item(
    result: Obs | None, name: str, ctx: Context, hosts_file: str = "/etc/hosts"
) -> Item:
    subject, targets = f"the system resolver for {name}", (name,)
    where = {"hosts_file": hosts_file}
    status = result.get("status") if result is not None else None
    if result is None or not isinstance(status, str):
        return Item("probe.missing", f"{subject} was not observed (missing or malformed)", targets)
    if status == "resolved":
        addresses = [str(a) for a in result.get("addresses") or ()]
        if not addresses:
            return Item("dns_system.failed", f"{subject} returned no address", targets, where)
        for address in addresses:
            network = bogon(address, ctx.expected_networks)
            if network is not None:
                text = f"{subject} got {address}, a sinkhole or bogon address ({network})"
                return Item("dns_system.sinkhole", text, targets, {"address": address, **where})
        got = f"{subject} got {', '.join(addresses)}"
        if result.get("method") == "nslookup":
            text = (
                f"{got}, but by nslookup from resolv.conf: what programs on this host "
                "get (/etc/hosts, nsswitch) could not be observed"
            )
            return Item("dns_system.unverified", text, targets)
        return Item("dns_system.resolved", got, targets)
    if status == "not_observable":
        why = result.get("reason") or "no tool for it on this host"
        return Item(
            "probe.not_observable", f"{subject} could not be observed on this host ({why})", targets
        )
    if status == "resolve_failed":
        code = result.get("gai_name") or "error"
        text = f"{subject} failed ({code}: {result.get('error', '')})"
        return Item("dns_system.failed", text, targets, where)
    if status == "timeout" and result.get("phase") == "deadline":
        return Item(
            "probe.deadline", f"{subject} did not finish before the payload deadline", targets
        )
    if status == "timeout":
        text = f"{subject} gave no answer within {ctx.probe_timeout_s:g}s"
        return Item("dns_system.timeout", text, targets)
    return Item(
        "probe.error", f"{subject} could not be tested ({result.get('error', status)})", targets
    )
