"""How single observations are weighed and summed up into one Check.

Shared by every judge module: an :class:`Item` is the verdict on one
observed thing (a target, a resolver/name pair), as a code from
:mod:`auditor.judge.codes` plus an English clause for the technical reason;
:func:`combine` turns the items of one check into a
:class:`~auditor.model.Check` whose verdict is the worst item's and whose
findings are the items of that verdict, merged by code. Order of badness:
fail > error > inconclusive > pass, so a proven failure is never hidden
behind an item that could not be tested. Also here: the bogon/sinkhole table
and the connect statuses that TCP, TLS and UDP share. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from auditor.judge.codes import finding, verdict_of
from auditor.model import VERDICT_RANK, Check, Finding, Owner, ParamValue, Verdict
from auditor.teamviewer.directory import MspDevices

IPNetwork = IPv4Network | IPv6Network
Obs = Mapping[str, Any]

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
    answers (labs, split-horizon sites); ``host_address`` is the host's
    management address (is a resolver in its LAN?); ``observed_at`` (the
    controller's clock, ISO 8601) and ``user`` (the login used) go into the
    admin evidence; ``msp`` is what the run learned of the MSP's TeamViewer
    company (its managed devices, fetched once per run, or why not).
    """

    probe_timeout_s: float
    expected_networks: tuple[IPNetwork, ...] = ()
    host_address: str = ""
    observed_at: str = ""
    user: str | None = None
    msp: MspDevices = field(default_factory=MspDevices)


@dataclass(frozen=True, slots=True)
class Item:
    """The verdict on one observed thing, as a code; ``text`` is an English clause naming it.

    ``targets`` and ``params`` become the finding's when the item explains its
    check's verdict; ``owner`` overrides the code's owner (DNS: the ISP).
    """

    code: str
    text: str
    targets: tuple[str, ...] = ()
    params: Mapping[str, ParamValue | None] = field(default_factory=dict)
    owner: Owner | None = None

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.code)

    def finding(self) -> Finding:
        return finding(self.code, self.targets, self.params, owner=self.owner)


def combine(check_id: str, items: Sequence[Item], pass_text: str, evidence: Obs) -> Check:
    """One Check for all items: pass only if every item passed (and there was one).

    The findings are the items of the worst verdict, equal ones (same code,
    owner and parameters) merged into one naming all their targets.
    """
    if not items:
        items = [Item("probe.missing", "nothing was observed for this check")]
    worst = max(items, key=lambda i: VERDICT_RANK[i.verdict])  # first of the worst
    if worst.verdict is Verdict.PASS:
        return Check(check_id, Verdict.PASS, pass_text, evidence)
    more = sum(1 for i in items if i.verdict is worst.verdict) - 1
    tail = f" (and {more} more like it)" if more else ""
    reason = sentence(worst.text + tail)
    findings = merge([i.finding() for i in items if i.verdict is worst.verdict])
    return Check(check_id, worst.verdict, reason, evidence, findings)


def single(check_id: str, item: Item, evidence: Obs | None = None) -> Check:
    """A Check decided by one item (admin, teamviewer, a whole section missing)."""
    return combine(check_id, [item], sentence(item.text), evidence or {})


def sentence(clause: str) -> str:
    """'no answer' -> 'No answer.'"""
    return f"{clause[:1].upper()}{clause[1:]}."


def merge(found: Iterable[Finding]) -> tuple[Finding, ...]:
    """Equal findings (code, owner, params) become one naming every target, first seen first."""
    merged: dict[tuple[str, Owner, tuple[tuple[str, ParamValue], ...]], Finding] = {}
    for item in found:
        slot = (item.code, item.owner, tuple(sorted(item.params.items())))
        old = merged.get(slot)
        if old is None:
            merged[slot] = item
        else:
            targets = tuple(dict.fromkeys((*old.targets, *item.targets)))
            merged[slot] = Finding(
                old.code, old.verdict, old.owner, old.severity, targets, old.params
            )
    return tuple(merged.values())


def outcome(record: Mapping[str, Any], item: Item) -> dict[str, Any]:
    """An evidence record with the judge's word on it: its outcome code and verdict."""
    return {**record, "outcome": item.code, "verdict": item.verdict.value}


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
    """One endpoint check's planned targets, each paired with its observation and item."""

    specs: list[Obs]
    pairs: list[tuple[Obs, Obs | None]]
    items: list[Item]
    evidence: dict[str, Any]


def endpoints(
    section: str,
    check_id: str,
    plan: Obs,
    observations: Obs,
    ctx: Context,
    decide: Callable[[Obs, Obs, Context], Item],
    keys: Iterable[str],
) -> Endpoints:
    """What tcp, udp and tls share: plan items of ``check_id`` in ``section``, matched
    to their observations by (check, host, port), evidence per target, and each item
    judged: first by :func:`common_item` (missing observation, sinkhole address,
    unresolved name, ...), then, for the kind's own statuses, by ``decide``."""
    specs = [s for s in plan.get(section) or () if s.get("check") == check_id]
    pairs = match(specs, observations.get(section), ("check", "host", "port"))
    items, records = [], []
    for spec, obs in pairs:
        if obs is None:
            item = Item(
                "probe.missing", f"{subject(section, spec)} was not observed", (target(spec),)
            )
        else:
            item = common_item(section, spec, obs, ctx) or decide(spec, obs, ctx)
        items.append(item)
        records.append(outcome(pick(obs or spec, keys), item))
    return Endpoints(specs, pairs, items, {"targets": records})


def subject(section: str, spec: Obs) -> str:
    """The start of a sentence about one target: 'TCP 5938 to router1.teamviewer.com'."""
    if section == "tls":
        return f"TLS to {spec.get('host')}:{spec.get('port')}"
    return f"{section.upper()} {spec.get('port')} to {spec.get('host')}"


def target(spec: Obs) -> str:
    return str(spec.get("host"))


def port_params(section: str, spec: Obs) -> dict[str, ParamValue | None]:
    """What a connect failure's finding names: protocol and port (TLS runs over TCP)."""
    return {"proto": "UDP" if section == "udp" else "TCP", "port": spec.get("port")}


def where(obs: Obs) -> str:
    """' (203.0.113.10)' when the address used is known."""
    return f" ({obs['address']})" if obs.get("address") else ""


def common_item(section: str, spec: Obs, obs: Obs, ctx: Context) -> Item | None:
    """Statuses every network probe shares; None when the kind must decide itself.

    A name that does not resolve is a DNS failure, not a port failure: the
    port check is ``error`` ("could not be tested"), never ``fail``.
    """
    name, at = subject(section, spec), where(obs)
    targets = (target(spec),)
    status, errno = obs.get("status"), obs.get("errno_name") or "no errno"
    if not isinstance(status, str):
        return Item("probe.missing", f"{name} was not observed (missing or malformed)", targets)
    sinkhole = bogon(obs.get("address"), ctx.expected_networks) if obs.get("address") else None
    if sinkhole and status in ("connected", "verified", "echoed"):
        text = (
            f"{name}{at} answered, but that is a sinkhole or bogon address ({sinkhole}): not proven"
        )
        return Item("target.sinkhole_answered", text, targets)
    if sinkhole:
        text = (
            f"{name} could not be tested: the name led to {obs['address']}, a sinkhole or "
            f"bogon address ({sinkhole}); see the DNS checks"
        )
        return Item("target.sinkhole", text, targets)
    if status == "timeout" and obs.get("phase") == "deadline":
        return Item("probe.deadline", f"{name} did not finish before the payload deadline", targets)
    if status == "timeout" and obs.get("phase") == "resolve":
        text = f"{name} could not be tested: name resolution took over {ctx.probe_timeout_s:g}s"
        return Item("target.resolve_timeout", text, targets)
    if status == "resolve_failed":
        code = obs.get("gai_name") or obs.get("error") or "unknown error"
        text = f"{name} could not be tested: the name did not resolve ({code})"
        return Item("target.unresolved", text, targets)
    if status == "not_observable":  # the sh payload: this host has no tool for it
        why = obs.get("reason") or "no tool for it on this host"
        return Item(
            "probe.not_observable", f"{name} could not be observed on this host: {why}", targets
        )
    ports = port_params(section, spec)
    if status == "failed_indistinct":  # a tool's exit code, no words: RST or silence?
        detail = f" ({obs['error']})" if obs.get("error") else ""
        text = (
            f"{name}{at} did not connect: closed or filtered, this host's tools cannot "
            f"tell which{detail}"
        )
        return Item("tcp.indistinct", text, targets, ports)
    if status == "unreachable":
        return Item("net.unreachable", f"{name}{at} is unreachable ({errno})", targets, ports)
    if status == "blocked_locally":
        text = f"{name}{at} is blocked by this host's firewall ({errno})"
        return Item("net.blocked_locally", text, targets, ports)
    if status == "error":
        detail = obs.get("error") or errno
        return Item("probe.error", f"{name}{at} could not be tested: {detail}", targets)
    return None


def unknown_status(section: str, spec: Obs, obs: Obs) -> Item:
    text = f"{subject(section, spec)} has an unknown status {obs.get('status')!r}"
    return Item("probe.unknown_status", text, (target(spec),))
