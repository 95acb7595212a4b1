"""One problem of one host, in no language yet, and the sentences that describe it.

A :class:`Finding` is language-neutral: a catalogue key (``words.yaml``,
section ``finding``), the owner who must act, the severity (the verdict it
explains), the checks it explains, the targets it names and a few
parameters. :func:`merged` folds equal problems of different checks into one;
:func:`describe` turns a finding into "what is wrong" and "how to fix it" in
one language. Pure: no I/O.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from auditor.judge.evidence import RANK
from auditor.model import CHECK_IDS, Check, Verdict
from auditor.report.words import Words


class Owner(enum.StrEnum):
    """Who must act; the order is the order of the report's task list."""

    CUSTOMER_IT = "customer_it"
    MSP = "msp"
    ISP = "isp"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem of one host, in no language yet.

    ``params`` are sorted ``(name, value)`` pairs so that equal problems of
    different checks merge (TCP 443 refused by ``tcp_443`` and ``tls_443`` is
    one problem); ``detail`` holds the judges' technical reasons (English).
    """

    key: str
    owner: Owner
    severity: Verdict
    check_ids: tuple[str, ...]
    targets: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    detail: tuple[str, ...] = field(default=())


def finding(
    key: str,
    owner: Owner,
    severity: Verdict,
    check: Check | str,
    targets: Iterable[str] = (),
    detail: str = "",
    **params: object,
) -> Finding:
    """Build a :class:`Finding`; ``check`` gives the check id and, for a Check, its reason."""
    check_id = check if isinstance(check, str) else check.id
    details = (detail,) if detail else ((check.reason,) if isinstance(check, Check) else ())
    pairs = tuple(sorted((k, str(v)) for k, v in params.items()))
    return Finding(key, owner, severity, (check_id,), tuple(targets), pairs, details)


def merged(found: Iterable[Finding]) -> tuple[Finding, ...]:
    """Equal problems (same key, owner, params) become one, naming every check and target."""
    merged: dict[tuple[str, Owner, tuple[tuple[str, str], ...]], Finding] = {}
    for item in found:
        slot = (item.key, item.owner, item.params)
        old = merged.get(slot)
        if old is None:
            merged[slot] = item
            continue
        worst = max(old.severity, item.severity, key=lambda v: RANK.get(v, 0))
        merged[slot] = Finding(
            item.key,
            item.owner,
            worst,
            _union(old.check_ids, item.check_ids),
            _union(old.targets, item.targets),
            item.params,
            _union(old.detail, item.detail),
        )
    owners = list(Owner)
    order = {check_id: n for n, check_id in enumerate(CHECK_IDS)}
    return tuple(
        sorted(
            merged.values(),
            key=lambda f: (
                -RANK.get(f.severity, 0),
                min(order.get(c, len(order)) for c in f.check_ids),
                owners.index(f.owner),
            ),
        )
    )


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


class _Params(dict[str, str]):
    """Format values; a value a finding did not supply shows as an ellipsis, never a crash."""

    def __missing__(self, key: str) -> str:
        return "…"


def patterns(targets: Iterable[str]) -> tuple[str, ...]:
    """``router1.teamviewer.com`` -> ``router*.teamviewer.com``; addresses stay as they are."""
    wild = (re.sub(r"^([A-Za-z][A-Za-z-]*)\d+\.", r"\1*.", t) for t in targets)
    return tuple(dict.fromkeys(wild))


def joined(items: Sequence[str], words: Words, limit: int = 4) -> str:
    """``a, b, c`` with at most ``limit`` items, then ``und 2 weitere``."""
    if len(items) <= limit:
        return ", ".join(items)
    more = words.t("ui.and_more", count=len(items) - limit)
    return f"{', '.join(items[:limit])} {more}"


def describe(item: Finding, words: Words) -> tuple[str, str]:
    """``(what is wrong, how to fix it)`` in ``words``' language."""
    values = _Params(item.params)
    values["targets"] = values["names"] = joined(item.targets, words)
    values["patterns"] = joined(patterns(item.targets), words)
    values["checks"] = ", ".join(words.t("column." + c) for c in item.check_ids if c in CHECK_IDS)
    dns = {c for c in item.check_ids if c in ("dns_udp", "dns_tcp")}
    transport = "both" if len(dns) == 2 else ("tcp" if "dns_tcp" in dns else "udp")
    values["transport"] = words.t("transport." + transport)
    return words.finding(item.key, "what", values), words.finding(item.key, "fix", values)
