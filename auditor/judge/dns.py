"""dns_udp, dns_tcp and dns_system: is name resolution correct on this host?

dns_udp / dns_tcp (judged separately): every resolver the host is configured
with must answer NOERROR with at least one address for every planned name
over that transport, and no address may be a sinkhole or bogon unless it lies
in the profile's ``expected_networks``. NXDOMAIN, SERVFAIL, REFUSED, silence
and a wrong query id are told apart in the reason. No resolver configured
fails. A UDP answer with the TC bit is ``inconclusive``: valid, but UDP alone
did not deliver it.

dns_system: what programs really get (getaddrinfo, /etc/hosts included):
every name must resolve, and only to non-bogon addresses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.judge.evidence import Context, Finding, Obs, bogon, combine, error_check, pick
from auditor.model import Check, Verdict

QUERY_KEYS = ("resolver", "name", "status", "rcode", "id_ok", "answers", "errno_name",
              "error", "duration_s", "tool", "reason")  # fmt: skip
RCODE_TEXT = {
    "NXDOMAIN": "says the name does not exist (NXDOMAIN)",
    "SERVFAIL": "failed to resolve it (SERVFAIL)",
    "REFUSED": "refused the query (REFUSED)",
}
CLOSED = {
    "udp": "port 53 is closed (ICMP port unreachable)",
    "tcp": "rejected the connection (RST)",
}


def judge(check_id: str, plan: Obs, observations: Obs, ctx: Context) -> Check:
    transport = "tcp" if check_id == "dns_tcp" else "udp"
    dns = observations.get("dns")
    if not isinstance(dns, Mapping) or not isinstance(dns.get("resolvers"), list):
        return error_check(check_id, "No DNS observation came back from the host.")
    names = list((plan.get("dns") or {}).get("names") or ())
    resolvers, problems = dns["resolvers"], list(dns.get("problems") or ())
    evidence: dict[str, Any] = {"transport": transport, "resolv_conf": dns.get("resolv_conf")}
    evidence.update(resolvers=resolvers, problems=problems, names=names)
    if not resolvers:
        why = "; ".join(str(p) for p in problems) or "no nameserver lines"
        return Check(check_id, Verdict.FAIL, f"No DNS resolver is configured ({why}).", evidence)
    if not names:
        return error_check(check_id, "The profile names no DNS names to query.", evidence)
    queries = [q for q in dns.get("queries") or () if isinstance(q, Mapping)]
    findings, shown = [], []
    for resolver in resolvers:
        for name in names:
            query = next((q for q in queries if (q.get("resolver"), q.get("name"),
                          q.get("transport")) == (resolver, name, transport)), None)  # fmt: skip
            findings.append(query_finding(query, resolver, name, transport, ctx))
            shown.append(pick(query, QUERY_KEYS) if query else {"resolver": resolver, "name": name})
    evidence["queries"] = shown
    text = (
        f"All {len(resolvers)} resolver(s) answered NOERROR with usable addresses "
        f"for all {len(names)} name(s) over {transport.upper()}."
    )
    return combine(check_id, findings, text, evidence)


def query_finding(
    query: Obs | None, resolver: str, name: str, transport: str, ctx: Context
) -> Finding:
    subject = f"Resolver {resolver} over {transport.upper()} for {name}"
    status = query.get("status") if query is not None else None
    if query is None or not isinstance(status, str):
        return Finding(Verdict.ERROR, f"{subject} was not observed (missing or malformed)")
    if status == "answer" and unverified(query):
        return tool_answer_finding(query, subject, name, ctx)
    if status == "answer":
        return answer_finding(query, subject, name, ctx)
    if status == "timeout" and query.get("phase") == "deadline":
        return Finding(Verdict.ERROR, f"{subject} did not finish before the payload deadline")
    detail = query.get("error", "no detail")
    simple = {
        "timeout": (Verdict.FAIL, f"gave no answer within {ctx.probe_timeout_s:g}s"),
        "id_mismatch": (Verdict.FAIL, "answered with a wrong query id (spoofed or broken)"),
        "truncated": (Verdict.INCONCLUSIVE, "sent a truncated answer (TC bit) only"),
        "malformed": (Verdict.FAIL, f"sent an unreadable answer ({detail})"),
        "refused": (Verdict.FAIL, CLOSED.get(transport, "refused")),
        "unreachable": (Verdict.FAIL, f"is unreachable ({query.get('errno_name', 'no errno')})"),
        "blocked_locally": (Verdict.FAIL, "is blocked by this host's firewall"),
        "error": (Verdict.ERROR, f"could not be queried ({detail})"),
        "not_observable": (Verdict.ERROR, f"could not be observed ({query.get('reason')})"),
    }  # fmt: skip
    verdict, text = simple.get(status, (Verdict.ERROR, f"has an unknown status {status!r}"))
    return Finding(verdict, f"{subject} {text}")


def answer_finding(query: Obs, subject: str, name: str, ctx: Context) -> Finding:
    rcode = query.get("rcode")
    if query.get("id_ok") is not True:
        return Finding(Verdict.FAIL, f"{subject} answered with a wrong query id")
    if rcode != "NOERROR":
        text = RCODE_TEXT.get(str(rcode), f"answered {rcode}")
        return Finding(Verdict.FAIL, f"{subject} {text}")
    answers = query.get("answers")
    addresses = chain_addresses(answers if isinstance(answers, list) else [], name)
    return address_finding(addresses, subject, ctx, "answered NOERROR without an address (NODATA)")


def unverified(query: Obs) -> bool:
    """An answer read from a host tool (sh payload: dig, nslookup): we never saw its query id."""
    return query.get("id_ok") is None and isinstance(query.get("tool"), str)


def tool_answer_finding(query: Obs, subject: str, name: str, ctx: Context) -> Finding:
    """A tool's answer can prove a failure, never a pass: its query id was not ours to check.

    A bad rcode or a bogon address fails as usual (whatever answered, the host
    got a wrong answer). Usable addresses are ``inconclusive``, and so is an
    empty answer, because nslookup prints a truncated answer the same way.
    """
    tool = query.get("tool")
    found = answer_finding({**query, "id_ok": True}, subject, name, ctx)
    if found.verdict is Verdict.PASS:
        text = f"{found.text}, but via {tool}, whose query id this auditor cannot check: not proven"
        return Finding(Verdict.INCONCLUSIVE, text)
    if query.get("rcode") == "NOERROR" and not chain_addresses(query.get("answers") or [], name):
        text = f"{subject} answered without an address via {tool} (NODATA or truncated: not told apart)"
        return Finding(Verdict.INCONCLUSIVE, text)
    return found


def address_finding(addresses: Sequence[str], subject: str, ctx: Context, empty: str) -> Finding:
    """Pass with >= 1 address and none a bogon (outside the expected networks)."""
    if not addresses:
        return Finding(Verdict.FAIL, f"{subject} {empty}")
    for address in addresses:
        network = bogon(address, ctx.expected_networks)
        if network is not None:
            text = f"{subject} got {address}, a sinkhole or bogon address ({network})"
            return Finding(Verdict.FAIL, text)
    return Finding(Verdict.PASS, f"{subject} got {', '.join(addresses)}")


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


def judge_system(check_id: str, plan: Obs, observations: Obs, ctx: Context) -> Check:
    system = observations.get("dns_system")
    if not isinstance(system, Mapping) or not isinstance(system.get("results"), list):
        return error_check(check_id, "No system resolver observation came back from the host.")
    names = list((plan.get("dns_system") or {}).get("names") or ())
    results = [r for r in system["results"] if isinstance(r, Mapping)]
    findings, shown = [], []
    for name in names:
        result = next((r for r in results if r.get("name") == name), None)
        findings.append(system_finding(result, name, ctx))
        shown.append(pick(result, ("name", "status", "addresses", "gai_name", "error",
                                   "duration_s")) if result else {"name": name})  # fmt: skip
    text = f"The system resolver resolved all {len(names)} name(s) to usable addresses."
    return combine(check_id, findings, text, {"names": shown})


def system_finding(result: Obs | None, name: str, ctx: Context) -> Finding:
    subject = f"The system resolver for {name}"
    status = result.get("status") if result is not None else None
    if result is None or not isinstance(status, str):
        return Finding(Verdict.ERROR, f"{subject} was not observed (missing or malformed)")
    if status == "resolved":
        addresses = [str(a) for a in result.get("addresses") or ()]
        found = address_finding(addresses, subject, ctx, "returned no address")
        if found.verdict is Verdict.PASS and result.get("method") == "nslookup":
            text = (
                f"{found.text}, but by nslookup from resolv.conf: what programs on this host "
                "get (/etc/hosts, nsswitch) could not be observed"
            )
            return Finding(Verdict.INCONCLUSIVE, text)
        return found
    if status == "not_observable":
        why = result.get("reason") or "no tool for it on this host"
        return Finding(Verdict.ERROR, f"{subject} could not be observed on this host ({why})")
    if status == "resolve_failed":
        code = result.get("gai_name") or "error"
        return Finding(Verdict.FAIL, f"{subject} failed ({code}: {result.get('error', '')})")
    if status == "timeout" and result.get("phase") == "deadline":
        return Finding(Verdict.ERROR, f"{subject} did not finish before the payload deadline")
    if status == "timeout":
        return Finding(Verdict.FAIL, f"{subject} gave no answer within {ctx.probe_timeout_s:g}s")
    return Finding(Verdict.ERROR, f"{subject} could not be tested ({result.get('error', status)})")
