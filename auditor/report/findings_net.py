"""Findings for the network checks (ports, TLS, UDP, DNS), read from their evidence.

Each observed item (a target, a resolver/name pair) that did not succeed
becomes one finding naming its port, target, resolver, issuer or address;
equal ones merge later. Owners: the customer's IT for firewalls, resolver
configuration and TLS inspection; the ISP when an *external* resolver gives
wrong answers (its operator must fix it, or the customer uses another one);
the MSP when nothing could be observed. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from auditor.judge.dns import chain_addresses
from auditor.judge.evidence import bogon
from auditor.model import Check, Verdict
from auditor.report.finding import Finding, Owner, finding

Network = IPv4Network | IPv6Network
Item = Mapping[str, Any]

SUCCESS = ("connected", "verified", "echoed")
_PRIVATE = tuple(
    ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "fc00::/7")
)
_CONTENT = ("dns.sinkhole", "dns.nxdomain", "dns.servfail", "dns.rcode", "dns.nodata")


def network_findings(check: Check, host_address: str, expected: Sequence[Network]) -> list[Finding]:
    """Findings for one non-passing network check; a generic one when no item explains it."""
    if check.id.startswith("dns_"):
        found = _dns_findings(check, host_address, expected)
    else:
        found = _port_findings(check, expected)
    if found:
        return found
    key = "net.unproven" if check.verdict is Verdict.INCONCLUSIVE else "net.error"
    owner = Owner.MSP
    return [finding(key, owner, check.verdict, check)]


def _items(evidence: Mapping[str, Any], key: str) -> list[Item]:
    value = evidence.get(key)
    return [i for i in value if isinstance(i, Mapping)] if isinstance(value, list) else []


def _port_findings(check: Check, expected: Sequence[Network]) -> list[Finding]:
    if check.evidence.get("status") == "not_sent":
        return [
            finding("udp.no_reflector", Owner.MSP, Verdict.INCONCLUSIVE, check, **_proto(check))
        ]
    found = []
    for item in _items(check.evidence, "targets"):
        key, severity = _port_key(check.id, item, expected)
        if key:
            owner = Owner.MSP if key == "net.error" else Owner.CUSTOMER_IT
            shared = key in ("net.untestable_dns", "net.error")  # one finding for all checks
            args = {} if shared else {**_proto(check, item), **_issuer(item, key)}
            found.append(finding(key, owner, severity, check, [str(item.get("host"))], **args))
    return found


def _proto(check: Check, item: Item | None = None) -> dict[str, str]:
    port = (item or {}).get("port") or check.id.rsplit("_", 1)[-1]
    return {"proto": "UDP" if check.id.startswith("udp") else "TCP", "port": str(port)}


def _issuer(item: Item, key: str) -> dict[str, str]:
    if key != "tls.intercepted":
        return {}
    presented = item.get("presented")
    issuer = presented.get("issuer") if isinstance(presented, Mapping) else None
    if not isinstance(issuer, Mapping):
        return {"issuer": "?"}
    parts = [issuer.get("commonName"), issuer.get("organizationName")]
    return {"issuer": " / ".join(str(p) for p in parts if p) or "?"}


def _port_key(check_id: str, item: Item, expected: Sequence[Network]) -> tuple[str, Verdict]:
    """Catalogue key and severity for one target; ``("", PASS)`` when it succeeded."""
    status, phase = item.get("status"), item.get("phase")
    address = item.get("address")
    if address and bogon(address, expected) is not None:
        return "net.untestable_dns", Verdict.ERROR
    if status in SUCCESS:
        return "", Verdict.PASS
    if status == "resolve_failed" or (status == "timeout" and phase == "resolve"):
        return "net.untestable_dns", Verdict.ERROR
    udp = check_id.startswith("udp")
    table: dict[str, tuple[str, Verdict]] = {
        "refused": ("udp.closed" if udp else "port.refused", Verdict.FAIL),
        "unreachable": ("port.unreachable", Verdict.FAIL),
        "blocked_locally": ("port.blocked_locally", Verdict.FAIL),
        "verify_failed": ("tls.intercepted", Verdict.FAIL),
        "handshake_failed": ("tls.handshake", Verdict.FAIL),
        "wrong_answer": ("udp.intercepted", Verdict.FAIL),
        "no_answer": ("udp.no_answer", Verdict.INCONCLUSIVE),
        "not_sent": ("udp.no_reflector", Verdict.INCONCLUSIVE),
    }
    if status == "timeout" and phase != "deadline":
        if udp:
            return "udp.no_answer", Verdict.INCONCLUSIVE
        return ("tls.handshake" if phase == "handshake" else "port.filtered"), Verdict.FAIL
    return table.get(str(status), ("net.error", Verdict.ERROR))


def _dns_findings(check: Check, host_address: str, expected: Sequence[Network]) -> list[Finding]:
    evidence = check.evidence
    resolv_conf = str(evidence.get("resolv_conf") or "/etc/resolv.conf")
    if check.id == "dns_system":
        return _system_findings(check, expected)
    if not evidence.get("resolvers"):
        args = {"resolv_conf": resolv_conf}
        return [finding("dns.no_resolver", Owner.CUSTOMER_IT, Verdict.FAIL, check, **args)]
    found = []
    for query in _items(evidence, "queries"):
        key, severity, extra = _query_key(query, expected)
        if not key:
            continue
        resolver = str(query.get("resolver"))
        owner = _dns_owner(key, resolver, host_address)
        args = {"resolver": resolver, "resolv_conf": resolv_conf, **extra}
        found.append(finding(key, owner, severity, check, [str(query.get("name"))], **args))
    return found


def _query_key(query: Item, expected: Sequence[Network]) -> tuple[str, Verdict, dict[str, str]]:
    status, fail = query.get("status"), Verdict.FAIL
    if status != "answer":
        if status == "timeout" and query.get("phase") == "deadline":
            return "net.error", Verdict.ERROR, {}
        table = {
            "timeout": ("dns.timeout", fail),
            "refused": ("dns.refused", fail),
            "unreachable": ("dns.unreachable", fail),
            "blocked_locally": ("dns.blocked_locally", fail),
            "truncated": ("dns.truncated", Verdict.INCONCLUSIVE),
            "id_mismatch": ("dns.bad_answer", fail),
            "malformed": ("dns.bad_answer", fail),
        }
        key, severity = table.get(str(status), ("net.error", Verdict.ERROR))
        return key, severity, {}
    rcode = str(query.get("rcode"))
    if query.get("id_ok") is not True:
        return "dns.bad_answer", fail, {}
    if rcode != "NOERROR":
        named = {"NXDOMAIN": "dns.nxdomain", "SERVFAIL": "dns.servfail"}
        return named.get(rcode, "dns.rcode"), fail, ({} if rcode in named else {"rcode": rcode})
    answers = query.get("answers")
    addresses = chain_addresses(
        answers if isinstance(answers, list) else [], str(query.get("name"))
    )
    if not addresses:
        return "dns.nodata", fail, {}
    bad = _first_bogon(addresses, expected)
    return ("dns.sinkhole", fail, {"address": bad}) if bad else ("", Verdict.PASS, {})


def _first_bogon(addresses: Iterable[object], expected: Sequence[Network]) -> str:
    return next((str(a) for a in addresses if bogon(a, expected) is not None), "")


def _dns_owner(key: str, resolver: str, host_address: str) -> Owner:
    """Wrong *answers* from a resolver outside the customer's network are its operator's (ISP)."""
    if key not in _CONTENT:
        return Owner.CUSTOMER_IT
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
    if host.version == address.version == 4:
        same_lan = ip_network(f"{host}/24", strict=False)
        if address in same_lan:
            return Owner.CUSTOMER_IT
    return Owner.ISP


def _system_findings(check: Check, expected: Sequence[Network]) -> list[Finding]:
    found = []
    for item in _items(check.evidence, "names"):
        status, extra = item.get("status"), {}
        if status == "resolved":
            addresses = item.get("addresses") or []
            bad = _first_bogon(addresses, expected)
            if addresses and not bad:
                continue
            key = "dns.system_sinkhole" if bad else "dns.system_failed"
            extra = {"address": bad} if bad else {}
        elif status == "timeout" and item.get("phase") != "deadline":
            key = "dns.system_timeout"
        elif status == "resolve_failed":
            key = "dns.system_failed"
        else:
            key = "net.error"
        owner = Owner.MSP if key == "net.error" else Owner.CUSTOMER_IT
        severity = Verdict.ERROR if key == "net.error" else Verdict.FAIL
        found.append(finding(key, owner, severity, check, [str(item.get("name"))], **extra))
    return found
