"""udp: only the provider's reflector echoing our nonce proves the path.

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
    Item,
    Obs,
    combine,
    endpoints,
    single,
    subject,
    target,
    unknown_status,
    where,
)
from auditor.model import Check
from auditor.profile.schema import CheckSpec, UdpSpec
from auditor.profile.values import REFLECTOR_DEFAULT_PORT

KEYS = (
    "host", "port", "status", "phase", "address", "local_address", "nonce", "sent",
    "reply_len", "reply_hex", "errno_name", "error", "gai_name", "duration_s", "reason",
)  # fmt: skip


def judge(check_id: str, spec: CheckSpec, plan: Obs, observations: Obs, ctx: Context) -> Check:
    run = endpoints("udp", check_id, plan, observations, ctx, decide, KEYS)
    if not run.specs:
        port = spec.port if isinstance(spec, UdpSpec) and spec.port else REFLECTOR_DEFAULT_PORT
        text = (
            f"No UDP reflector is configured, so UDP {port} cannot be proven open "
            "(open or filtered, not proven)"
        )
        return single(check_id, Item("udp.no_reflector", text, (), {"port": port}))
    sent_to = run.specs[0].get("port")
    text = f"UDP {sent_to}: the reflector echoed our nonce for all {len(run.specs)} target(s)."
    return combine(check_id, run.items, text, run.evidence)


def decide(spec: Obs, obs: Obs, ctx: Context) -> Item:
    """The statuses only UDP has; the shared ones are settled before (evidence.py)."""
    status, name, at = obs["status"], subject("udp", spec), where(obs)
    targets, port = (target(spec),), {"port": spec.get("port")}
    if status == "echoed":
        return Item("udp.echoed", f"{name}{at} echoed our nonce", targets)
    if status in ("no_answer", "timeout"):
        wait = f"{ctx.probe_timeout_s:g}s"
        text = f"{name}{at} got no answer within {wait} (open or filtered, not proven)"
        return Item("udp.no_answer", text, targets, port)
    if status == "refused":
        return Item("udp.closed", f"{name}{at} is closed (ICMP port unreachable)", targets, port)
    if status == "wrong_answer":
        text = f"{name}{at} was answered by something other than the reflector (interception suspected)"
        return Item("udp.intercepted", text, targets, port)
    return unknown_status("udp", spec, obs)
