"""What ``auditor inventory -i PATH [--json]`` prints: the inventory as the auditor sees it.

Users compare this with ``ansible-inventory --list`` before a run, so both
views list every resolved value (after precedence and templating) and every
problem. Pure functions; no secret ever appears: a set password shows as
``***``, an unset one is absent.
"""

from __future__ import annotations

import dataclasses
from itertools import groupby
from typing import Any

from auditor.inventory import ssh_args
from auditor.inventory.ansible import InventoryLoad
from auditor.model import InventoryProblem, Target


def format_tree(load: InventoryLoad) -> str:
    """Customers, then their hosts (role, connection, address[:port], user), then problems.

    A host that will not be audited because of an inventory problem is marked
    ``!``; the problems themselves follow at the end, one line each.
    """
    lines: list[str] = []
    flagged = {p.host for p in load.problems if p.host}
    width = max((len(t.name) for t in load.targets), default=0)
    for customer, targets in groupby(load.targets, key=lambda t: t.customer):
        lines.append(customer)
        lines.extend(_host_line(t, width, t.name in flagged) for t in targets)
    if not load.targets:
        lines.append("(no hosts)")
    if load.problems:
        lines.append("")
        lines.append(f"problems ({len(load.problems)}):")
        lines.extend(f"  {p.one_line()}" for p in load.problems)
    return "\n".join(lines) + "\n"


def _host_line(target: Target, width: int, flagged: bool) -> str:
    address = f"{target.address}:{target.port}" if target.port else target.address
    if target.winrm is not None:
        address = target.winrm.endpoint(target.address)
    parts = [
        "!" if flagged else " ",
        target.name.ljust(width),
        target.role.value.ljust(11),
        target.connection.value.ljust(11),
        address,
    ]
    if target.user:
        parts.append(f"user={target.user}")
    if via := ssh_args.route(target.ssh_args):
        parts.append(f"via {via}")
    if target.site != "default":
        parts.append(f"site={target.site}")
    return " " + " ".join(parts).rstrip()


def to_json(load: InventoryLoad) -> dict[str, Any]:
    """Every resolved target and every problem, JSON-ready, secrets masked as ``***``."""
    return {
        "targets": [_target_json(t) for t in load.targets],
        "problems": [_problem_json(p) for p in load.problems],
    }


def _target_json(target: Target) -> dict[str, Any]:
    return {
        "name": target.name,
        "address": target.address,
        "port": target.port,
        "user": target.user,
        "connection": target.connection.value,
        "customer": target.customer,
        "role": target.role.value,
        "unattended": target.unattended,
        "site": target.site,
        "groups": list(target.groups),
        "key_file": target.key_file,
        "ssh_args": list(target.ssh_args),
        "winrm": dataclasses.asdict(target.winrm) if target.winrm else None,
        "device": dataclasses.asdict(target.device) if target.device else None,
        "secrets": target.secrets_set(),
        "source": target.source,
    }


def _problem_json(problem: InventoryProblem) -> dict[str, Any]:
    return {
        "source": problem.source,
        "line": problem.line,
        "host": problem.host,
        "customer": problem.customer,
        "message": problem.message,
        "text": problem.one_line(),
    }
