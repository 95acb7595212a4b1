"""The judge's findings of one host, as the report lists them, and the words for each.

The judge decided every finding (code, verdict, owner, parameters); this
module only groups and words them. :func:`host_findings` folds equal
findings of different checks into one (TCP 443 refused, seen by the tcp and
the tls check, is one problem naming both; a resolver failing over UDP and
TCP is one problem "über UDP und TCP"). :func:`describe` fills a code's
``what`` and ``fix`` texts from the catalogue as segments, so that raw
values (addresses, names, issuers, user names) can be shown as code and
never read as part of a sentence. Pure: no I/O.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from auditor.model import VERDICT_RANK, Finding, HostResult, Owner, ParamValue, Severity
from auditor.report.words import Words

# Parameters that are the host's or the network's own words: shown as code.
RAW_PARAMS = frozenset(
    {"address", "resolver", "issuer", "resolv_conf", "user", "tool", "errno", "connection",
     "source", "via", "error", "rcode", "offered", "server", "algorithms", "reason", "subject",
     "path", "start_mode", "auth", "status", "hosts_file", "role", "message", "wanted"}
)  # fmt: skip
# Parameters whose values differ between equal problems and are listed together.
_UNION_PARAMS = ("transport",)


@dataclass(frozen=True, slots=True)
class HostFinding:
    """One problem of one host: a judge finding, with every check it explains.

    ``check_ids`` is empty for a stage finding that explains no single check
    (the host was not audited); ``transports`` lists the DNS transports it
    was seen over.
    """

    finding: Finding
    check_ids: tuple[str, ...]
    transports: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return self.finding.code


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a sentence; ``raw`` pieces are values from hosts or the network."""

    text: str
    raw: bool = False


def host_findings(host: HostResult, order: Sequence[str] = ()) -> tuple[HostFinding, ...]:
    """Every finding of ``host`` (its stage finding first), equal ones merged, worst first.

    ``order`` is the profile's check order, which breaks ties.
    """
    found: list[tuple[Finding, str | None]] = []
    if host.stage_finding is not None:
        found.append((host.stage_finding, None))
    found += [(f, check.id) for check in host.checks for f in check.findings]
    merged: dict[tuple[object, ...], HostFinding] = {}
    for item, check_id in found:
        key = (item.code, item.owner, _key_params(item.params))
        transport = item.params.get("transport")
        new = HostFinding(item, (check_id,) if check_id else (), _strs(transport))
        old = merged.get(key)
        merged[key] = new if old is None else _fold(old, new)
    position = {check_id: n for n, check_id in enumerate(order)}
    owners = list(Owner)

    def rank(f: HostFinding) -> tuple[int, int, int, int]:
        first = min((position.get(c, len(position)) for c in f.check_ids), default=-1)
        security = 0 if f.finding.severity is Severity.SECURITY else 1
        return (security, -VERDICT_RANK[f.finding.verdict], first, owners.index(f.finding.owner))

    return tuple(sorted(merged.values(), key=rank))


def _key_params(params: Mapping[str, ParamValue]) -> tuple[tuple[str, ParamValue], ...]:
    return tuple(sorted((k, v) for k, v in params.items() if k not in _UNION_PARAMS))


def _strs(value: object) -> tuple[str, ...]:
    return (str(value),) if value is not None else ()


def _fold(old: HostFinding, new: HostFinding) -> HostFinding:
    worst = max(old.finding, new.finding, key=lambda f: VERDICT_RANK[f.verdict])
    targets = _union(old.finding.targets, new.finding.targets)
    finding = Finding(
        worst.code, worst.verdict, worst.owner, worst.severity, targets, old.finding.params
    )
    return HostFinding(
        finding, _union(old.check_ids, new.check_ids), _union(old.transports, new.transports)
    )


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def patterns(targets: Iterable[str]) -> tuple[str, ...]:
    """``router1.teamviewer.com`` -> ``router*.teamviewer.com``; addresses stay as they are."""
    wild = (re.sub(r"^([A-Za-z][A-Za-z-]*)\d+\.", r"\1*.", t) for t in targets)
    return tuple(dict.fromkeys(wild))


def listed(items: Sequence[str], words: Words, limit: int = 4) -> tuple[Segment, ...]:
    """``a, b, c`` as raw segments, at most ``limit`` items, then ``und 2 weitere``."""
    out: list[Segment] = []
    for n, item in enumerate(items[:limit]):
        if n:
            out.append(Segment(", "))
        out.append(Segment(item, raw=True))
    if len(items) > limit:
        out.append(Segment(" " + words.t("ui.and_more", count=len(items) - limit)))
    return tuple(out)


def seconds(value: object, words: Words) -> str:
    """``4 s`` / ``4,5 s`` (German decimal comma)."""
    number = f"{value:g}" if isinstance(value, int | float) else str(value)
    if words.lang == "de":
        number = number.replace(".", ",")
    return words.t("ui.seconds", value=number)


@dataclass(frozen=True, slots=True)
class Described:
    """A finding in words: what is wrong and how to fix it, as segments."""

    what: tuple[Segment, ...]
    fix: tuple[Segment, ...]

    @staticmethod
    def plain(segments: Iterable[Segment]) -> str:
        return "".join(s.text for s in segments)


def describe(item: HostFinding, words: Words, labels: Mapping[str, str], since: str) -> Described:
    """``what`` and ``fix`` of ``item`` in ``words``' language.

    ``labels`` maps check id -> the profile's short label in that language;
    ``since`` is the date a credential problem was first seen.
    """
    values = _values(item, words, labels, since)
    what = _fill(words.code(item.code, "what"), values)
    via = item.finding.params.get("via")
    if via is not None and "{via}" not in words.code(item.code, "what"):
        suffix = _fill(words.t("ui.via_jump"), {"via": (Segment(str(via), raw=True),)})
        what = (*what[:-1], *_unperiod(what[-1:]), Segment(" "), *suffix, Segment("."))
    return Described(what, _fill(words.code(item.code, "fix"), values))


def _unperiod(last: tuple[Segment, ...]) -> tuple[Segment, ...]:
    return tuple(Segment(s.text.rstrip("."), s.raw) for s in last)


def _values(
    item: HostFinding, words: Words, labels: Mapping[str, str], since: str
) -> dict[str, tuple[Segment, ...]]:
    values: dict[str, tuple[Segment, ...]] = {}
    for name, value in item.finding.params.items():
        if name.endswith("_s"):
            values[name] = (Segment(seconds(value, words)),)
        elif name == "stage":
            values[name] = (Segment(words.t(f"stage.{value}")),)
        else:
            values[name] = (Segment(str(value), raw=name in RAW_PARAMS),)
    if item.finding.params.get("resolvers_from") == "adapters":  # Windows: no resolv.conf
        values["resolv_conf"] = (Segment(words.t("ui.adapter_dns")),)
    targets = item.finding.targets
    values["targets"] = values["names"] = listed(targets, words)
    values["patterns"] = listed(patterns(targets), words)
    values["checks"] = (Segment(", ".join(labels.get(c, c) for c in item.check_ids)),)
    transports = set(item.transports)
    key = "both" if len(transports) > 1 else (next(iter(transports)) if transports else "udp")
    values["transport"] = (Segment(words.t(f"transport.{key}")),)
    values["since"] = (Segment(since),)
    return values


def _fill(template: str, values: Mapping[str, tuple[Segment, ...]]) -> tuple[Segment, ...]:
    """The template's text with each ``{field}`` replaced; a missing value shows as ``…``."""
    out: list[Segment] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            out.append(Segment(literal))
        if field is not None:
            out.extend(values.get(field, (Segment("…"),)))
    return tuple(out)
