"""One host's full list of checks, in the profile's order.

The per-kind judges decide single checks; this module puts them together
with what the plan says does not apply, and gives every check of a host that
could not be audited an ``error`` (its stage finding says why). Every host
therefore carries every check of the profile exactly once. :func:`judge_host`
is what an audited host gets in one call: its checks, its diagnostics (the
TeamViewer endpoints) and the notes those call for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from auditor.judge import judge_check
from auditor.judge.admin import login_refused
from auditor.judge.endpoints import diagnostic_notes, diagnostics
from auditor.judge.evidence import Context
from auditor.model import Check, Finding, JSONValue, Stage, Verdict
from auditor.profile import Plan


@dataclass(frozen=True, slots=True)
class JudgedHost:
    """What the judge decided of one audited host's payload document."""

    checks: tuple[Check, ...]
    diagnostics: Mapping[str, JSONValue]
    notes: tuple[Finding, ...]  # what the diagnostics call for (severity note)


def judge_host(plan: Plan, observations: Mapping[str, object], ctx: Context) -> JudgedHost:
    """Checks, diagnostics and their notes from the observations of one payload run."""
    found = diagnostics(plan, observations, ctx)
    return JudgedHost(judge_checks(plan, observations, ctx), found, diagnostic_notes(found))


def judge_checks(plan: Plan, observations: Mapping[str, object], ctx: Context) -> tuple[Check, ...]:
    """Verdicts for every check of the profile from the observations of one payload run."""
    plan_doc = plan.payload_input()
    checks = []
    for check_id, spec in plan.profile.checks.items():
        if check_id in plan.not_applicable:
            checks.append(not_applicable(plan, check_id))
        else:
            checks.append(judge_check(check_id, spec, plan_doc, observations, ctx))
    return tuple(checks)


def not_applicable(plan: Plan, check_id: str) -> Check:
    """A check the contract does not ask of this host; ``why`` (a code) says for the report."""
    why = plan.not_applicable_why.get(check_id)
    evidence = {"not_applicable": why} if why else {}
    return Check(check_id, Verdict.NOT_APPLICABLE, plan.not_applicable[check_id], evidence)


def unaudited_checks(
    plan: Plan, stage: Stage, reason: str, stage_finding: Finding
) -> tuple[Check, ...]:
    """Checks of a host whose audit stopped at ``stage``: nothing observed, nothing passes.

    A refused login is itself a proven fact about the credentials: the admin
    check then fails and carries the stage's credential finding (the
    contract's evidence of when credentials were missing or invalid).
    """
    checks = []
    for check_id, spec in plan.profile.checks.items():
        if check_id in plan.not_applicable:
            checks.append(not_applicable(plan, check_id))
        elif spec.kind == "admin" and stage_finding.code.startswith("credentials."):
            checks.append(login_refused(check_id, stage_finding, reason))
        else:
            text = f"Not audited: stopped at stage {stage}: {reason.rstrip('.')}."
            checks.append(Check(check_id, Verdict.ERROR, text))
    return tuple(checks)
