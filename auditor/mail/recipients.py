"""Who gets a customer's report: the inventory's ``auditor_report_to``/``_cc``, or ``--to``.

The variables are usually set once for the customer's group; every host of a
customer then carries them, and the customer's recipients are the union, in
the order first met. ``--to CUSTOMER=ADDR`` (repeatable) replaces a
customer's ``to`` list for one run; its ``cc`` stays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auditor.errors import ConfigError
from auditor.model import Target


@dataclass(frozen=True, slots=True)
class Recipients:
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()


def from_inventory(targets: Iterable[Target]) -> dict[str, Recipients]:
    found: dict[str, tuple[list[str], list[str]]] = {}
    for target in targets:
        to, cc = found.setdefault(target.customer, ([], []))
        to += [a for a in target.report_to if a not in to]
        cc += [a for a in target.report_cc if a not in cc]
    return {customer: Recipients(tuple(to), tuple(cc)) for customer, (to, cc) in found.items()}


def with_overrides(
    found: dict[str, Recipients], overrides: Sequence[str], customers: Iterable[str]
) -> dict[str, Recipients]:
    """``found`` with each ``CUSTOMER=ADDR`` of ``--to`` applied (the last ``=`` splits)."""
    known = set(customers)
    given: dict[str, list[str]] = {}
    for item in overrides:
        customer, sep, address = item.rpartition("=")
        if not sep or not customer or "@" not in address:
            raise ConfigError(f"--to {item!r}: expected CUSTOMER=ADDRESS")
        if customer not in known:
            raise ConfigError(f"--to {item!r}: no customer {customer!r} in this run")
        given.setdefault(customer, []).append(address.strip())
    out = dict(found)
    for customer, addresses in given.items():
        out[customer] = Recipients(
            tuple(dict.fromkeys(addresses)), found.get(customer, Recipients()).cc
        )
    return out
