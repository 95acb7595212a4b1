"""The central judge: raw observations in, one Check (verdict, reason, findings) per check out.

Pure functions (no sockets, no asyncio, no I/O): the same plan and
observations always give the same verdicts, the same for every payload
flavour. One module per probe kind, dispatched by :data:`JUDGES` on the
kind the profile gives each check, so a new requirement is a profile entry
(and, at most, a new kind). A planned check whose observation is missing or
malformed is ``error``, never ``pass``. Only this package turns observations
into verdicts and findings; everything downstream renders what it decided.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from auditor.judge import admin, dns, tcp, teamviewer, tls, udp
from auditor.judge.evidence import Context, Item, Obs, single
from auditor.model import Check
from auditor.profile.schema import CheckSpec

__all__ = ["JUDGES", "Context", "judge_check"]

Judge = Callable[[str, CheckSpec, Obs, Obs, Context], Check]

JUDGES: Mapping[str, Judge] = {
    "tcp": tcp.judge,
    "udp": udp.judge,
    "tls": tls.judge,
    "dns": dns.judge,
    "dns_system": dns.judge_system,
    "admin": admin.judge,
    "teamviewer": teamviewer.judge,
}


def judge_check(
    check_id: str, spec: CheckSpec, plan_doc: Obs, observations: Obs, ctx: Context
) -> Check:
    """The verdict on one applicable check from one payload document.

    ``plan_doc`` is ``Plan.payload_input()`` (what the host was asked to do);
    ``observations`` is what :func:`auditor.payload.parse_output` returned.
    """
    failure = observations.get("error")
    if failure:
        judged = single(
            check_id, Item("probe.error", f"the payload did not run the plan: {failure}")
        )
    else:
        try:
            judged = JUDGES[spec.kind](check_id, spec, plan_doc, observations, ctx)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            text = f"the observation could not be read ({type(exc).__name__}: {exc})"
            judged = single(check_id, Item("probe.unreadable", text))
    return dataclasses.replace(judged, reason=visible(judged.reason))


def visible(text: str) -> str:
    """A reason that quotes a host's words, with its control and format characters (escape
    sequences, bidi overrides, zero widths) shown as ``\\xNN`` or ``\\uNNNN``: read in a
    terminal, a host's words are text, never a command or a disguise."""
    return "".join(ch if ch.isprintable() or ch in "\t\n" else _escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
