"""A demo-like fleet for report tests, judged by the real judge (tests/judged.py).

One customer with every kind of problem once, and a second customer in order.
"""

from __future__ import annotations

from auditor.errors import AuthError, ConnectRefused
from auditor.model import Role, RunResult
from tests.judged import items, judged, run_of, stopped

ROGUE = {"issuer": {"commonName": "Rogue Intercept CA"},
         "subject": {"commonName": "router1.teamviewer.com"}}  # fmt: skip
FILTERED_5938 = items("tcp", "tcp_5938", status="timeout", phase="connect", duration_s=4.0)
UDP_SILENT = items("udp", "udp_5938", status="no_answer", sent=3, duration_s=4.0)
INTERCEPTED = items(
    "tls", "tls_443", status="verify_failed", phase="handshake", verify_code=20,
    verify_message="unable to get local issuer certificate", presented=ROGUE, duration_s=0.41,
)  # fmt: skip
AUTH_REFUSED = AuthError("authentication refused for user 'audit'", user="audit")
SSH_REFUSED = ConnectRefused(
    "TCP 198.51.100.15:22 refused (nothing listens?) [ECONNREFUSED]",
    address="198.51.100.15", port=22, connection="ssh", errno="ECONNREFUSED",
)  # fmt: skip


def demo_run() -> RunResult:
    """Five hosts of one customer, one of them compliant, plus a second customer."""
    return run_of(
        judged("srv-ok"),
        judged("kasse", FILTERED_5938, UDP_SILENT, role=Role.WORKSTATION,
               address="198.51.100.11"),
        judged("dc1", INTERCEPTED, address="198.51.100.13"),
        stopped("fs1", AUTH_REFUSED, address="198.51.100.14",
                observed_at="2026-11-20T08:00:00+00:00"),
        stopped("fw", SSH_REFUSED, role=Role.NETWORK, address="198.51.100.15"),
        judged("web", customer="Kanzlei Weber & Partner", address="198.51.100.20"),
    )  # fmt: skip
