"""Real observation documents of the lab, replayed through the judge and the report.

``recorded/`` holds what the payload returned on each lab host (python and
sh flavours, the BusyBox host included; see record.py). The judge must keep
the invariant (rules.py) on every one, the results document must validate,
and the rendered page must not contradict itself. A few verdicts are pinned
where the old report contradicted the judge: the BusyBox host's DNS answers
from nslookup are "not proven", never "forged".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.judge.endpoints import diagnostic_notes, diagnostics
from auditor.judge.evidence import Context
from auditor.judge.host import judge_checks
from auditor.model import Connection, HostResult, Role, Stage, Target, Verdict
from auditor.profile import load_profile, plan_for
from auditor.profile.schema import ENDPOINTS_ID
from auditor.report.render import customer_pages, render_customer
from auditor.report.view import ReportOptions
from auditor.results import from_document, to_document
from tests.invariant.rules import assert_host, assert_page
from tests.judged import run_of

RECORDED = sorted((Path(__file__).parent / "recorded").glob("*.json"))
PROFILE = load_profile(None, reflector="203.0.113.20", expected_networks=["203.0.113.0/24"])


def replay(path: Path) -> HostResult:
    data: dict[str, Any] = json.loads(path.read_text())
    connection = Connection(data.get("connection", "ssh"))
    target = Target(data["host"], data["address"], "Testkunde GmbH", role=Role(data["role"]),
                    connection=connection)  # fmt: skip
    plan = plan_for(PROFILE, target)
    sent = {k: v for k, v in data["plan"].items() if k != "deadline_s"}
    now = {k: v for k, v in plan.payload_input().items() if k not in ("deadline_s", "diagnostics")}
    if "tcp" in now:  # recorded before the TeamViewer endpoints diagnostic: only the checks' items
        now["tcp"] = [item for item in now["tcp"] if item["check"] != ENDPOINTS_ID]
    assert now == sent, f"{path.name} answered another plan: record it again (record.py)"
    ctx = Context(plan.timeouts.probe_s, PROFILE.expected_networks, target.address,
                  "2026-11-25T02:05:03+00:00", "root")  # fmt: skip
    checks = judge_checks(plan, data["observations"], ctx)
    found = diagnostics(plan, data["observations"], ctx)  # from the checks' items alone
    return HostResult(
        name=target.name, customer=target.customer, role=target.role, address=target.address,
        connection=connection, stage=Stage.JUDGED, stage_reason="audit complete",
        checks=checks, started_at="2026-11-25T02:05:00+00:00", duration_s=1.0,
        payload=data["observations"]["payload"],
        notes=diagnostic_notes(found), diagnostics=found,
    )  # fmt: skip


def test_every_flavour_and_the_busybox_host_are_recorded() -> None:
    names = {p.stem for p in RECORDED}
    assert {"busybox", "good-sh", "hijack-sh", "good", "intercept", "winuac"} <= names
    flavours = {json.loads(p.read_text())["flavour"] for p in RECORDED}
    assert flavours == {"python", "sh", "powershell"}


@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
def test_recorded_observations_keep_the_invariant(path: Path) -> None:
    host = replay(path)
    assert_host(host)
    run = run_of(host, profile=PROFILE)
    assert from_document(to_document(run)) == run  # validates: the schema holds it too
    (page,) = customer_pages(run)
    html = render_customer(run, page, ReportOptions())
    open_checks = [
        c for c in host.checks if c.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE)
    ]
    assert assert_page(html) >= len(open_checks)


@pytest.mark.parametrize(
    ("name", "check", "verdict", "codes"),
    [
        ("busybox", "dns_udp", "inconclusive", ["dns.answer_unverified"]),
        ("busybox", "dns_tcp", "error", ["probe.not_observable"]),
        ("busybox", "dns_system", "inconclusive", ["dns_system.unverified"]),
        ("busybox", "tcp_5938", "pass", []),
        ("good-sh", "dns_udp", "inconclusive", ["dns.answer_unverified"]),
        ("good-sh", "tcp_443", "error", ["probe.not_observable"]),
        ("good-sh", "tls_443", "pass", []),
        ("hijack-sh", "dns_udp", "fail", ["dns.sinkhole"]),
        ("hijack", "dns_udp", "fail", ["dns.sinkhole"]),
        ("hijack", "tcp_443", "error", ["target.sinkhole"]),
        ("intercept", "tls_443", "fail", ["tls.intercepted"]),
        ("good", "udp_5938", "pass", []),
    ],
)
def test_recorded_verdicts_and_codes(name: str, check: str, verdict: str, codes: list[str]) -> None:
    host = replay(next(p for p in RECORDED if p.stem == name))
    found = next(c for c in host.checks if c.id == check)
    assert (found.verdict.value, [f.code for f in found.findings]) == (verdict, codes)
