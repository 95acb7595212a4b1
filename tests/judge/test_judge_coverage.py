"""Every code of the judge's table is produced by a case in tests/judge, and every Check is sound.

Each judge test module exposes ``produced()``: the Checks its cases build,
replayed from the same tables and helpers (pure functions, so the replay is
exactly what the tests saw). test_stage_findings also exposes
``stage_findings()``: the findings of hosts that were not audited. This
module walks :data:`auditor.judge.codes.CODES` against them, and applies
the Check invariant (judge_cases.problems) to every one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from types import ModuleType

import pytest
import test_admin_teamviewer
import test_device_admin
import test_endpoints
import test_network_judges
import test_sh_statuses
import test_stage_findings
from judge_cases import DNS_CONTENT, ISP, IT, ITEMS, PASS, kind, problems

from auditor.judge.codes import CODES, VERDICT_FREE
from auditor.model import Check, Finding, Severity, Verdict

AUDITED = (test_network_judges, test_sh_statuses, test_admin_teamviewer, test_device_admin)
# Codes the judge never gives: an older results file (schema 1) is upgraded with them
# (auditor/results/upgrade.py, tested under tests/results), because it carries no code.
NOT_THE_JUDGES = {"result.unexplained": "results of an older auditor, upgraded"}


@cache
def audited() -> tuple[Check, ...]:
    return tuple(check for module in AUDITED for check in module.produced())


@cache
def unaudited() -> tuple[Check, ...]:
    return tuple(test_stage_findings.produced())


@cache
def findings() -> tuple[Finding, ...]:
    checks = (*audited(), *unaudited())
    return (*(f for c in checks for f in c.findings), *test_stage_findings.stage_findings())


def outcomes(check: Check) -> Iterator[str]:
    """Every outcome code in a Check's evidence (items, or the admin/teamviewer outcome)."""
    if "outcome" in check.evidence:
        yield check.evidence["outcome"]
    where = ITEMS.get(kind(check.id))
    items = check.evidence.get(where[0]) if where else None
    for item in items if isinstance(items, list) else ():
        yield item["outcome"]


def test_every_module_produces_checks() -> None:
    for module in (*AUDITED, test_stage_findings):
        assert len(module.produced()) >= 10, module.__name__
    assert len(audited()) > 300


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_produced_by_a_case(code: str) -> None:
    """Non-pass codes as a finding, pass codes as the outcome of a passing item."""
    entry = CODES[code]
    if entry.severity is Severity.NOTE:
        assert code in {n.code for n in (*test_stage_findings.notes(), *test_endpoints.notes())}
    elif code in NOT_THE_JUDGES:
        assert code in VERDICT_FREE
        assert code not in {f.code for f in findings()}
    elif entry.verdict is PASS:
        assert entry.owner is None
        seen = {o for c in audited() if c.verdict is PASS for o in outcomes(c)}
        assert code in seen
    else:
        produced = [f for f in findings() if f.code == code]
        assert produced, f"no case in tests/judge produces {code}"
        assert {f.verdict for f in produced} == {entry.verdict}


def test_the_produced_codes_are_exactly_the_tables_non_pass_codes() -> None:
    expected = {code for code, entry in CODES.items() if entry.verdict is not PASS}
    assert expected - set(NOT_THE_JUDGES) == {f.code for f in findings()}
    assert set(NOT_THE_JUDGES) == set(VERDICT_FREE)
    every = {o for c in audited() for o in outcomes(c)}
    passing = {c for c, e in CODES.items() if e.verdict is PASS and e.severity is not Severity.NOTE}
    assert every <= set(CODES) and passing <= every


def test_dns_content_failures_name_both_owners() -> None:
    """Each wrong-answer code is produced for a customer's and for an external resolver."""
    for code in DNS_CONTENT:
        assert {f.owner for f in findings() if f.code == code} == {IT, ISP}, code


def test_credential_findings_fail_and_stage_findings_are_errors() -> None:
    for found in test_stage_findings.stage_findings():
        expected = Verdict.FAIL if found.code.startswith("credentials.") else Verdict.ERROR
        assert found.verdict is expected is CODES[found.code].verdict, found


@pytest.mark.parametrize(
    "module", [*AUDITED, test_stage_findings], ids=lambda m: m.__name__.removeprefix("test_")
)
def test_every_check_obeys_the_invariant(module: ModuleType) -> None:
    """Each finding has its check's verdict; pass/not_applicable: none; otherwise at least one.

    A host that was not audited is the exception: its checks are errors whose
    stage finding sits on the host (only a refused login's admin check carries it).
    """
    is_audited = module is not test_stage_findings
    checks = module.produced()
    broken = [f"{c.id} ({c.verdict}): {p}" for c in checks for p in problems(c, audited=is_audited)]
    assert broken == []
    for check in checks:
        if check.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE):
            assert check.findings == ()
        elif is_audited:
            assert check.findings, check
        assert all(found.verdict is check.verdict for found in check.findings), check
