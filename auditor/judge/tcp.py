"""tcp_5938, tcp_80, tcp_443: did every target of the check complete a handshake?

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
    Finding,
    Obs,
    combine,
    endpoints,
    where,
)
from auditor.model import Check, Verdict

KEYS = ("host", "port", "status", "phase", "address", "addresses", "local_address",
        "errno_name", "error", "gai_name", "duration_s", "attempts", "tool", "reason")  # fmt: skip


def judge(check_id: str, plan: Obs, observations: Obs, ctx: Context) -> Check:
    run = endpoints("tcp", check_id, plan, observations, ctx, subject, decide, KEYS)
    port = run.specs[0].get("port") if run.specs else "?"
    text = f"TCP {port} connected to all {len(run.specs)} target(s)."
    return combine(check_id, run.findings, text, run.evidence)


def subject(spec: Obs) -> str:
    return f"TCP {spec.get('port')} to {spec.get('host')}"


def decide(subject: str, obs: Obs, ctx: Context) -> Finding:
    """The statuses only TCP has; the shared ones are settled before (evidence.py)."""
    status, at = obs["status"], where(obs)
    if status == "connected":
        return Finding(Verdict.PASS, f"{subject}{at} connected")
    if status == "refused":
        return Finding(Verdict.FAIL, f"{subject}{at} was rejected (RST)")
    if status == "timeout":
        text = f"{subject}{at} was filtered (no answer within {ctx.probe_timeout_s:g}s)"
        return Finding(Verdict.FAIL, text)
    return Finding(Verdict.ERROR, f"{subject} has an unknown status {status!r}")
