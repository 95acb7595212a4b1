"""Runs and hosts as the judge would have produced them, for the history tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from auditor.judge.codes import finding
from auditor.model import Check, Connection, HostResult, Role, RunResult, Stage, Verdict
from auditor.profile import load_profile

PROFILE = load_profile()
CHECK_IDS = tuple(PROFILE.checks)
CUSTOMER = "Kanzlei Weber & Partner"
NIGHT = datetime(2026, 11, 20, 2, 5, tzinfo=UTC)
# a finding with each verdict (the store keeps what the judge decided; reading checks it)
CODE = {Verdict.FAIL: "tcp.filtered", Verdict.ERROR: "probe.missing",
        Verdict.INCONCLUSIVE: "udp.no_answer"}  # fmt: skip


def check(check_id: str, verdict: Verdict, credentials: bool = False) -> Check:
    if verdict is Verdict.PASS:
        return Check(check_id, verdict, f"{check_id} passed.")
    if credentials:
        found = finding("credentials.refused", (), {"user": "audit", "observed_at": "2026-11-20"})
    else:
        found = finding(CODE[verdict], ("router1.teamviewer.com",), {})
    return Check(check_id, verdict, f"{check_id}: {verdict}.", {}, (found,))


def host(
    name: str,
    failing: dict[str, Verdict] | None = None,
    *,
    credentials: bool = False,
    customer: str = CUSTOMER,
) -> HostResult:
    """A judged server: every check passes but ``failing``; ``credentials``: a refused login."""
    failing = dict(failing or {})
    if credentials:
        failing["admin"] = Verdict.FAIL
    checks = tuple(
        check(c, failing.get(c, Verdict.PASS), credentials and c == "admin") for c in CHECK_IDS
    )
    return HostResult(
        name=name, customer=customer, role=Role.SERVER, address="198.51.100.10",
        connection=Connection.SSH, stage=Stage.JUDGED,
        stage_reason="audit complete", checks=checks, started_at=NIGHT.isoformat(),
        duration_s=1.0, payload="python",
    )  # fmt: skip


def run(night: int, *hosts: HostResult) -> RunResult:
    """The run of night ``night`` (0 = 20 Nov 2026, 02:05 UTC) holding ``hosts``."""
    started = (NIGHT + timedelta(days=night)).isoformat()
    return RunResult(
        run_id=str(uuid.uuid4()), started_at=started, finished_at=started,
        auditor_version="0.1.0", profile_name=PROFILE.name, profile_version=str(PROFILE.version),
        checks=PROFILE.check_infos, expected_networks=(), reflector=None,
        inventory_sources=("hosts.yml",), hosts=tuple(hosts), problems=(),
    )  # fmt: skip
