"""udp_5938: only the provider's reflector echoing our nonce proves the path.

TeamViewer runs no public UDP responder, so silence proves nothing: no
reflector configured, or no answer, is ``inconclusive`` (open or filtered,
not proven), never pass. ICMP port unreachable (refused) and the host's own
firewall (EPERM on send) fail. An answer that is not our exact datagram
fails too: the reflector always echoes verbatim, so something between the
host and the reflector answered in its place (interception suspected).
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

KEYS = (
    "host", "port", "status", "phase", "address", "local_address", "nonce", "sent",
    "reply_len", "reply_hex", "errno_name", "error", "gai_name", "duration_s", "reason",
)  # fmt: skip
NO_REFLECTOR = (
    "No UDP reflector is configured, so UDP 5938 cannot be proven open "
    "(open or filtered, not proven)."
)


def judge(check_id: str, plan: Obs, observations: Obs, ctx: Context) -> Check:
    run = endpoints("udp", check_id, plan, observations, ctx, subject, decide, KEYS)
    if not run.specs:
        return Check(check_id, Verdict.INCONCLUSIVE, NO_REFLECTOR, {"status": "not_sent"})
    port = run.specs[0].get("port")
    text = f"UDP {port}: the reflector echoed our nonce for all {len(run.specs)} target(s)."
    return combine(check_id, run.findings, text, run.evidence)


def subject(spec: Obs) -> str:
    return f"UDP {spec.get('port')} to {spec.get('host')}"


def decide(subject: str, obs: Obs, ctx: Context) -> Finding:
    """The statuses only UDP has; the shared ones are settled before (evidence.py)."""
    status, at = obs["status"], where(obs)
    if status == "echoed":
        return Finding(Verdict.PASS, f"{subject}{at} echoed our nonce")
    if status in ("no_answer", "timeout"):
        wait = f"{ctx.probe_timeout_s:g}s"
        text = f"{subject}{at} got no answer within {wait} (open or filtered, not proven)"
        return Finding(Verdict.INCONCLUSIVE, text)
    if status == "not_sent":
        return Finding(Verdict.INCONCLUSIVE, NO_REFLECTOR.rstrip("."))
    if status == "refused":
        return Finding(Verdict.FAIL, f"{subject}{at} is closed (ICMP port unreachable)")
    if status == "wrong_answer":
        other = "something other than the reflector"
        text = f"{subject}{at} was answered by {other} (interception suspected)"
        return Finding(Verdict.FAIL, text)
    return Finding(Verdict.ERROR, f"{subject} has an unknown status {status!r}")
