"""Running the payload by hand: ``auditor payload`` and ``auditor judge``.

For a host the auditor cannot reach yet (a new Windows server, a site
survey), or to verify the payload on a real system before trusting it:

1. ``auditor payload --flavour powershell > probe.ps1`` writes the payload
   with the plan of the profile (for the given role) already inside;
2. on the host, one command runs it and prints the observation document:
   ``powershell -NoProfile -ExecutionPolicy Bypass -File probe.ps1 > out.txt``
   (``python3 probe.py`` or ``sh probe.sh`` on POSIX hosts);
3. ``auditor judge out.txt`` judges that output with the same judge as a
   run, and prints every check's verdict and reason.

Nothing here contacts a host. Pure text in, text out, apart from reading files.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from auditor.judge.evidence import Context
from auditor.judge.host import judge_checks
from auditor.model import Check, Connection, Role, Target
from auditor.payload import build_program, parse_output
from auditor.payload.powershell import build_ps_program
from auditor.payload.sh import build_sh_program
from auditor.profile import Profile, plan_for


class HandFlavour(enum.StrEnum):
    POWERSHELL = "powershell"
    PYTHON = "python"
    SH = "sh"


_CONNECTION = {HandFlavour.POWERSHELL: Connection.WINRM}


def _target(flavour: HandFlavour, role: Role, unattended: bool) -> Target:
    connection = _CONNECTION.get(flavour, Connection.SSH)
    return Target("by-hand", "localhost", "by hand", role, connection, unattended=unattended)


def payload_program(
    profile: Profile, flavour: HandFlavour, role: Role = Role.SERVER, unattended: bool = False
) -> bytes:
    """The program to run on a host by hand, with the profile's plan for ``role`` inside."""
    plan = plan_for(profile, _target(flavour, role, unattended)).payload_input()
    if flavour is HandFlavour.POWERSHELL:
        return build_ps_program(plan)
    if flavour is HandFlavour.SH:
        return build_sh_program(plan)
    return build_program(plan)


def judge_output(
    profile: Profile, output: bytes, role: Role = Role.SERVER, unattended: bool = False
) -> tuple[Check, ...]:
    """The checks of one host whose payload printed ``output`` (PayloadMalformed if unreadable)."""
    observations: Mapping[str, Any] = parse_output(output)
    flavour = (
        HandFlavour.POWERSHELL
        if observations.get("payload") == "powershell"
        else HandFlavour.PYTHON
    )
    plan = plan_for(profile, _target(flavour, role, unattended))
    ctx = Context(
        probe_timeout_s=plan.timeouts.probe_s,
        expected_networks=profile.expected_networks,
        observed_at=datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
    )
    return judge_checks(plan, observations, ctx)


def format_checks(checks: tuple[Check, ...]) -> str:
    """One line per check (id, verdict, reason), then the finding codes; terminal-safe."""
    width = max((len(c.id) for c in checks), default=0)
    lines = []
    for check in checks:
        lines.append(
            f"{_visible(check.id):<{width}}  {check.verdict.value:<14} {_visible(check.reason)}"
        )
        for found in check.findings:
            lines.append(f"{'':<{width}}  {'':<14} - {found.code} ({found.owner.value})")
    return "\n".join(lines)


def _visible(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
