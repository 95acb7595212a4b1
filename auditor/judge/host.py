"""One host's full list of checks, in the fixed order of ``CHECK_IDS``.

The per-kind judges (tcp, udp, dns, tls, ...) decide single checks; this module
puts them together with what the plan says does not apply, and gives every
check of a host that could not be audited an ``error`` that names the stage
that failed. Every host therefore carries every check id exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from ipaddress import IPv4Network, IPv6Network

from auditor.judge import judge_host
from auditor.judge.admin import judge_admin, login_refused
from auditor.judge.teamviewer import judge_teamviewer
from auditor.model import CHECK_IDS, Check, Stage, Verdict
from auditor.profile import Plan

_NOT_OBSERVED = "not observed by this version of the auditor"


def judge_checks(
    plan: Plan,
    observations: Mapping[str, object],
    expected_networks: Sequence[IPv4Network | IPv6Network],
    *,
    observed_at: str = "",
    user: str | None = None,
) -> tuple[Check, ...]:
    """Verdicts for every check id from the observations of one payload run.

    ``observed_at`` (ISO 8601 with offset, the controller's clock) and
    ``user`` (the login name used) go into the admin evidence.
    """
    judged = dict(
        judge_host(plan.payload_input(), observations, expected_networks=expected_networks)
    )
    if "admin" in plan.applicable:
        judged["admin"] = judge_admin(observations, observed_at=observed_at, user=user)
    if "teamviewer" in plan.applicable:
        judged["teamviewer"] = judge_teamviewer(observations)
    return _complete(plan, judged, Verdict.ERROR, _NOT_OBSERVED)


def unaudited_checks(
    plan: Plan,
    stage: Stage,
    reason: str,
    *,
    credentials_missing: bool = False,
    observed_at: str = "",
    user: str | None = None,
) -> tuple[Check, ...]:
    """Checks of a host whose audit stopped at ``stage``: nothing observed, nothing passes.

    At stage ``auth`` the admin check is a ``fail`` with state ``auth_failed``,
    or ``credentials_missing`` when the inventory offered no usable secret:
    the contract's evidence of when credentials were missing or invalid.
    """
    judged: dict[str, Check] = {}
    if stage is Stage.AUTH and "admin" in plan.applicable:
        judged["admin"] = login_refused(
            reason, credentials_missing=credentials_missing, observed_at=observed_at, user=user
        )
    return _complete(
        plan, judged, Verdict.ERROR, f"not audited: stopped at stage {stage}: {reason}"
    )


def _complete(
    plan: Plan, judged: Mapping[str, Check], verdict: Verdict, reason: str
) -> tuple[Check, ...]:
    checks = []
    for check_id in CHECK_IDS:
        if check_id in plan.not_applicable:
            checks.append(Check(check_id, Verdict.NOT_APPLICABLE, plan.not_applicable[check_id]))
        elif check_id in judged:
            checks.append(judged[check_id])
        else:
            checks.append(Check(check_id, verdict, reason))
    return tuple(checks)
