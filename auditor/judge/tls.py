"""tls_443: a handshake with SNI that verifies against the host's own CA store.

Verified passes, with the issuer in the evidence. A certificate the host
does not trust fails as suspected TLS interception and names the issuer of
what was presented (recorded by an unverified second look). A failed or
silent handshake fails; connect failures are judged as for TCP.
"""

from __future__ import annotations

from collections.abc import Mapping

from auditor.judge.evidence import (
    Context,
    Finding,
    Obs,
    combine,
    endpoints,
    where,
)
from auditor.model import Check, Verdict

KEYS = ("host", "port", "status", "phase", "address", "errno_name", "error", "gai_name",
        "protocol", "cipher", "issuer", "subject", "not_after", "sans", "sha256",
        "verify_code", "verify_message", "presented", "duration_s", "tool", "reason")  # fmt: skip


def judge(check_id: str, plan: Obs, observations: Obs, ctx: Context) -> Check:
    run = endpoints("tls", check_id, plan, observations, ctx, subject, decide, KEYS)
    issuers = sorted({issuer_name(o.get("issuer")) for _, o in run.pairs if o is not None})
    text = (
        f"TLS with SNI verified against this host's CA store for all {len(run.specs)} target(s) "
        f"(issuer {', '.join(issuers)})."
    )
    return combine(check_id, run.findings, text, run.evidence)


def issuer_name(issuer: object) -> str:
    """'CN (O)' from a recorded issuer, or 'an unknown issuer'."""
    if not isinstance(issuer, Mapping):
        return "an unknown issuer"
    cn, org = issuer.get("commonName"), issuer.get("organizationName")
    if cn and org and org != cn:
        return f"'{cn}' ({org})"
    return f"'{cn or org}'" if cn or org else "an unknown issuer"


def subject(spec: Obs) -> str:
    return f"TLS to {spec.get('host')}:{spec.get('port')}"


def decide(subject: str, obs: Obs, ctx: Context) -> Finding:
    """The statuses only TLS has; the shared ones are settled before (evidence.py)."""
    status, at = obs["status"], where(obs)
    if status == "verified":
        return Finding(Verdict.PASS, f"{subject}{at} verified")
    if status == "verify_failed":
        presented = obs.get("presented")
        issuer = issuer_name(presented.get("issuer") if isinstance(presented, Mapping) else None)
        why = obs.get("verify_message") or "verification failed"
        text = (
            f"TLS interception suspected: {subject}{at} presented a certificate from "
            f"{issuer} that this host does not trust ({why})"
        )
        return Finding(Verdict.FAIL, text)
    if status == "refused":
        return Finding(Verdict.FAIL, f"{subject}{at} was rejected (RST)")
    if status == "timeout" and obs.get("phase") == "handshake":
        text = f"{subject}{at} did not complete a TLS handshake within {ctx.probe_timeout_s:g}s"
        return Finding(Verdict.FAIL, text)
    if status == "timeout":
        text = f"{subject}{at} was filtered (no answer within {ctx.probe_timeout_s:g}s)"
        return Finding(Verdict.FAIL, text)
    if status == "handshake_failed":
        detail = obs.get("error") or obs.get("errno_name") or "no detail"
        return Finding(Verdict.FAIL, f"{subject}{at}: the TLS handshake failed ({detail})")
    return Finding(Verdict.ERROR, f"{subject} has an unknown status {status!r}")
