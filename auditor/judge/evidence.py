"""How single observations are weighed and summed up into one Check.

Shared by every judge module: a :class:`Finding` is the verdict on one
observed item (a target, a resolver/name pair); :func:`combine` turns the
findings of one check into a :class:`~auditor.model.Check` whose reason
names the worst item. Order of badness: fail > error > inconclusive > pass,
so a proven failure is never hidden behind an item that could not be tested.
Also here: the bogon/sinkhole table and the phrases for connect failures,
which TCP, TLS and UDP share. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from auditor.model import Check, Verdict

IPNetwork = IPv4Network | IPv6Network
Obs = Mapping[str, Any]

RANK = {Verdict.PASS: 0, Verdict.INCONCLUSIVE: 1, Verdict.ERROR: 2, Verdict.FAIL: 3}

# Answers that never reach the internet: sinkholes, private, shared, link-local,
# documentation and reserved ranges. Fixed here (not ipaddress.is_private, whose
# meaning changed between Python releases) so a verdict is the same everywhere.
BOGONS: tuple[IPNetwork, ...] = tuple(
    ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",  # TEST-NET-1: an answer here is a bogon; never a probe target
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)


@dataclass(frozen=True, slots=True)
class Context:
    """What every judge needs besides the plan and observations.

    ``probe_timeout_s`` is the plan's per-operation timeout (seconds), quoted
    in reasons; ``expected_networks`` are the profile's allowed "bogon"
    answers (labs, split-horizon sites).
    """

    probe_timeout_s: float
    expected_networks: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """The verdict on one observed item; ``text`` is a clause naming it, no final period."""

    verdict: Verdict
    text: str


def combine(
    check_id: str, findings: Sequence[Finding], pass_text: str, evidence: Mapping[str, Any]
) -> Check:
    """One Check for all findings: pass only if every item passed (and there was one)."""
    if not findings:
        return Check(check_id, Verdict.ERROR, "Nothing was observed for this check.", evidence)
    worst = max(findings, key=lambda f: RANK[f.verdict])  # first of the worst
    if worst.verdict is Verdict.PASS:
        return Check(check_id, Verdict.PASS, pass_text, evidence)
    more = sum(1 for f in findings if f.verdict is worst.verdict) - 1
    tail = f" (and {more} more like it)" if more else ""
    return Check(check_id, worst.verdict, f"{worst.text}{tail}.", evidence)


def error_check(check_id: str, reason: str, evidence: Mapping[str, Any] | None = None) -> Check:
    return Check(check_id, Verdict.ERROR, reason, evidence or {})


def bogon(address: object, expected: Iterable[IPNetwork]) -> str | None:
    """The bogon network ``address`` falls in, unless expected; None when it is fine.

    Unparsable text counts as a bogon: an answer we cannot read proves nothing.
    """
    try:
        parsed = ip_address(str(address).split("%")[0])
    except ValueError:
        return "not an IP address"
    if any(parsed in net for net in expected):
        return None
    mapped = getattr(parsed, "ipv4_mapped", None)
    for net in BOGONS:
        if parsed in net or (mapped is not None and mapped in net):
            return str(net)
    return None


def pick(obs: Obs, keys: Iterable[str]) -> dict[str, Any]:
    """The evidence fields of one observation, in a fixed order, absent ones left out."""
    return {key: obs[key] for key in keys if key in obs}


def match(
    specs: Iterable[Obs], observed: object, keys: tuple[str, ...]
) -> list[tuple[Obs, Obs | None]]:
    """Pair each planned item with its observation (same values for ``keys``), once each."""
    pool = [o for o in observed if isinstance(o, Mapping)] if isinstance(observed, list) else []
    pairs: list[tuple[Obs, Obs | None]] = []
    for spec in specs:
        found = next((o for o in pool if all(o.get(k) == spec.get(k) for k in keys)), None)
        if found is not None:
            pool.remove(found)
        pairs.append((spec, found))
    return pairs


@dataclass(frozen=True, slots=True)
class Endpoints:
    """One endpoint check's planned targets, each paired with its observation and finding."""

    specs: list[Obs]
    pairs: list[tuple[Obs, Obs | None]]
    findings: list[Finding]
    evidence: dict[str, Any]


def endpoints(
    section: str,
    check_id: str,
    plan: Obs,
    observations: Obs,
    ctx: Context,
    subject_of: Callable[[Obs], str],
    decide: Callable[[str, Obs, Context], Finding],
    keys: Iterable[str],
) -> Endpoints:
    """What tcp, udp and tls share: plan items of ``check_id`` in ``section``, matched
    to their observations by (check, host, port), evidence per target, and each item
    judged: first by :func:`common_finding` (missing observation, sinkhole address,
    unresolved name, ...), then, for the kind's own statuses, by ``decide``."""
    specs = [s for s in plan.get(section) or () if s.get("check") == check_id]
    pairs = match(specs, observations.get(section), ("check", "host", "port"))
    findings = []
    for spec, obs in pairs:
        subject = subject_of(spec)
        if obs is None:
            findings.append(
                Finding(Verdict.ERROR, f"{subject} was not observed (missing or malformed)")
            )
        else:
            findings.append(common_finding(obs, subject, ctx) or decide(subject, obs, ctx))
    evidence: dict[str, Any] = {"targets": [pick(o or s, keys) for s, o in pairs]}
    return Endpoints(specs, pairs, findings, evidence)


def where(obs: Obs) -> str:
    """' (203.0.113.10)' when the address used is known."""
    return f" ({obs['address']})" if obs.get("address") else ""


def common_finding(obs: Obs, subject: str, ctx: Context) -> Finding | None:
    """Statuses every network probe shares; None when the kind must decide itself.

    ``subject`` starts the sentence ("TCP 5938 to router1.teamviewer.com").
    A name that does not resolve is a DNS failure, not a port failure: the
    port check is ``error`` ("could not be tested"), never ``fail``.
    """
    if not isinstance(obs.get("status"), str):
        return Finding(Verdict.ERROR, f"{subject} was not observed (missing or malformed)")
    status, at, errno = obs["status"], where(obs), obs.get("errno_name") or "no errno"
    sinkhole = bogon(obs.get("address"), ctx.expected_networks) if obs.get("address") else None
    if sinkhole and status in ("connected", "verified", "echoed"):
        text = f"{subject}{at} answered, but that is a sinkhole or bogon address ({sinkhole}): not proven"
        return Finding(Verdict.INCONCLUSIVE, text)
    if sinkhole:
        return Finding(
            Verdict.ERROR,
            f"{subject} could not be tested: the name led to {obs['address']}, a sinkhole or "
            f"bogon address ({sinkhole}); see the DNS checks",
        )
    if status == "timeout" and obs.get("phase") == "deadline":
        return Finding(Verdict.ERROR, f"{subject} did not finish before the payload deadline")
    if status == "timeout" and obs.get("phase") == "resolve":
        text = f"{subject} could not be tested: name resolution took over {ctx.probe_timeout_s:g}s"
        return Finding(Verdict.ERROR, text)
    if status == "resolve_failed":
        code = obs.get("gai_name") or obs.get("error") or "unknown error"
        return Finding(
            Verdict.ERROR, f"{subject} could not be tested: the name did not resolve ({code})"
        )
    if status == "not_observable":  # the sh payload: this host has no tool for it
        why = obs.get("reason") or "no tool for it on this host"
        return Finding(Verdict.ERROR, f"{subject} could not be observed on this host: {why}")
    if status == "failed_indistinct":  # a tool's exit code, no words: RST or silence?
        detail = f" ({obs['error']})" if obs.get("error") else ""
        text = (
            f"{subject}{at} did not connect: closed or filtered, this host's tools cannot "
            f"tell which{detail}"
        )
        return Finding(Verdict.INCONCLUSIVE, text)
    if status == "unreachable":
        return Finding(Verdict.FAIL, f"{subject}{at} is unreachable ({errno})")
    if status == "blocked_locally":
        return Finding(Verdict.FAIL, f"{subject}{at} is blocked by this host's firewall ({errno})")
    if status == "error":
        detail = obs.get("error") or errno
        return Finding(Verdict.ERROR, f"{subject}{at} could not be tested: {detail}")
    return None
