"""tls: a handshake with SNI that verifies against the host's own CA store.

Verified passes, with the issuer in the evidence. A certificate the host
does not trust fails as suspected TLS interception and names the issuer of
what was presented (recorded by an unverified second look). A failed or
silent handshake fails; connect failures are judged as for TCP (and carry
TCP's codes: a refused 443 is one problem, whichever check saw it).
"""

from __future__ import annotations

from collections.abc import Mapping

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
from auditor.judge.tcp import connect_item
from auditor.model import Check
from auditor.profile.schema import CheckSpec

KEYS = ("host", "port", "status", "phase", "address", "errno_name", "error", "gai_name",
        "protocol", "cipher", "issuer", "subject", "not_after", "sans", "sha256",
        "verify_code", "verify_message", "presented", "duration_s", "tool", "reason")  # fmt: skip


def judge(check_id: str, spec: CheckSpec, plan: Obs, observations: Obs, ctx: Context) -> Check:
    run = endpoints("tls", check_id, plan, observations, ctx, decide, KEYS)
    issuers = sorted({issuer_name(o.get("issuer")) for _, o in run.pairs if o is not None})
    text = (
        f"TLS with SNI verified against this host's CA store for all {len(run.specs)} target(s) "
        f"(issuer {', '.join(issuers)})."
    )
    return combine(check_id, run.items, text, run.evidence)


def issuer_name(issuer: object) -> str:
    """'CN (O)' from a recorded issuer, or 'an unknown issuer'."""
    if not isinstance(issuer, Mapping):
        return "an unknown issuer"
    cn, org = issuer.get("commonName"), issuer.get("organizationName")
    if cn and org and org != cn:
        return f"'{cn}' ({org})"
    return f"'{cn or org}'" if cn or org else "an unknown issuer"


def issuer_label(issuer: object) -> str:
    """'CN / O' for a finding's ``issuer`` parameter (raw certificate text), '?' if unknown."""
    if not isinstance(issuer, Mapping):
        return "?"
    parts = dict.fromkeys(
        str(issuer[k]) for k in ("commonName", "organizationName") if issuer.get(k)
    )
    return " / ".join(parts) or "?"


def decide(spec: Obs, obs: Obs, ctx: Context) -> Item:
    """The statuses only TLS has; connect statuses as for TCP; shared ones before."""
    status, name, at = obs["status"], subject("tls", spec), where(obs)
    targets = (target(spec),)
    if status == "verified":
        return Item("tls.verified", f"{name}{at} verified", targets)
    if status == "verify_failed":
        presented = obs.get("presented")
        issuer = presented.get("issuer") if isinstance(presented, Mapping) else None
        why = obs.get("verify_message") or "verification failed"
        text = (
            f"TLS interception suspected: {name}{at} presented a certificate from "
            f"{issuer_name(issuer)} that this host does not trust ({why})"
        )
        return Item("tls.intercepted", text, targets, {"issuer": issuer_label(issuer)})
    if status == "timeout" and obs.get("phase") == "handshake":
        text = f"{name}{at} did not complete a TLS handshake within {ctx.probe_timeout_s:g}s"
        return Item("tls.handshake_failed", text, targets, port_params("tls", spec))
    if status == "handshake_failed":
        detail = obs.get("error") or obs.get("errno_name") or "no detail"
        text = f"{name}{at}: the TLS handshake failed ({detail})"
        return Item("tls.handshake_failed", text, targets, port_params("tls", spec))
    if status == "connected":  # TCP only: no handshake was recorded, so nothing is verified
        return unknown_status("tls", spec, obs)
    return connect_item("tls", spec, obs, ctx) or unknown_status("tls", spec, obs)
