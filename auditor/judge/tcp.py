"""tcp: did every target of the check complete a handshake?

Contract (requirements.md, "What counts as evidence"): connected = open;
RST = rejected; silence within ``probe_timeout_s`` = filtered; ICMP
unreachable = unreachable; the host's own firewall = blocked here. All of
those fail. A name that did not resolve leaves the port untested (``error``):
that is the DNS checks' failure. A handshake alone cannot rule out a
transparent proxy; the UDP reflector and TLS checks cover that.
"""

from __future__ import annotations

from auditor.judge.evidence import (
    Context,
    Item,
    Obs,
    combine,
    endpoints,
    port_params,
    subject,
    target,
    unknown_status,
    where,
)
from auditor.model import Check
from auditor.profile.schema import CheckSpec

KEYS = ("host", "port", "status", "phase", "address", "addresses", "local_address",
        "errno_name", "error", "gai_name", "duration_s", "attempts", "tool", "reason")  # fmt: skip


def judge(check_id: str, spec: CheckSpec, plan: Obs, observations: Obs, ctx: Context) -> Check:
    run = endpoints("tcp", check_id, plan, observations, ctx, decide, KEYS)
    port = run.specs[0].get("port") if run.specs else "?"
    text = f"TCP {port} connected to all {len(run.specs)} target(s)."
    return combine(check_id, run.items, text, run.evidence)


def decide(spec: Obs, obs: Obs, ctx: Context) -> Item:
    """The statuses only TCP has; the shared ones are settled before (evidence.py)."""
    return connect_item("tcp", spec, obs, ctx) or unknown_status("tcp", spec, obs)


def connect_item(section: str, spec: Obs, obs: Obs, ctx: Context) -> Item | None:
    """connected / refused / filtered, which TLS shares (it runs over TCP)."""
    status, name, at = obs["status"], subject(section, spec), where(obs)
    targets = (target(spec),)
    if status == "connected":
        return Item("tcp.connected", f"{name}{at} connected", targets)
    if status == "refused":
        return Item(
            "tcp.refused", f"{name}{at} was rejected (RST)", targets, port_params(section, spec)
        )
    if status == "timeout":  # deadline, resolve and handshake are settled before
        text = f"{name}{at} was filtered (no answer within {ctx.probe_timeout_s:g}s)"
        params = {**port_params(section, spec), "timeout_s": ctx.probe_timeout_s}
        return Item("tcp.filtered", text, targets, params)
    return None
