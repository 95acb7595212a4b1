"""What the judge tests share: the bundled profile, real plans, one context, and the invariant.

Every test here judges with real profile specs and real plan documents
(``plan_for(profile, target).payload_input()``), so a case proves what a run
of the auditor would decide. :func:`problems` is the rule every judged Check
obeys (tests/judge/test_judge_coverage.py applies it to every Check the
judge tests produce).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from ipaddress import ip_network
from typing import Any

from auditor.judge import judge_check
from auditor.judge.codes import CODES
from auditor.judge.evidence import Context, IPNetwork
from auditor.model import VERDICT_RANK, Check, Owner, Role, Target, Verdict
from auditor.profile import Plan, Profile, load_profile, plan_for

PASS, FAIL = Verdict.PASS, Verdict.FAIL
INC, ERR, NA = Verdict.INCONCLUSIVE, Verdict.ERROR, Verdict.NOT_APPLICABLE
IT, MSP, ISP = Owner.CUSTOMER_IT, Owner.MSP, Owner.ISP

R1, R2, M1 = "router1.teamviewer.com", "router2.teamviewer.com", "master1.teamviewer.com"
GET = "get.teamviewer.com"
REFLECTOR = "203.0.113.20"
HOST_ADDRESS = "198.51.100.10"
AT = "2026-11-25T03:05:00+01:00"
USER = "audit"
# The recorded targets answered from the lab's "internet" (203.0.113.0/24), a documentation
# range and so a bogon unless expected, as the lab audit runs declare it.
INET = ip_network("203.0.113.0/24")
LAB = ip_network("198.51.100.0/24")

# The bundled contract with the provider's reflector, as `auditor run --reflector
# 203.0.113.20 --expected-network 203.0.113.0/24` loads it; BARE has neither.
PROFILE = load_profile(None, reflector=REFLECTOR, expected_networks=[str(INET)])
BARE = load_profile(None)
SERVER = Target("web1", HOST_ADDRESS, "ACME")
NETWORK = Target("fw1", "198.51.100.11", "ACME", role=Role.NETWORK)
WORKSTATION = Target("pc1", "198.51.100.12", "ACME", role=Role.WORKSTATION)
UNATTENDED = Target("pc2", "198.51.100.13", "ACME", role=Role.WORKSTATION, unattended=True)

# Where each kind's evidence lists its items, and which field names the item's target.
ITEMS = {"tcp": ("targets", "host"), "udp": ("targets", "host"), "tls": ("targets", "host"),
         "dns": ("queries", "name"), "dns_system": ("names", "name")}  # fmt: skip
# A DNS answer's operator owns its content failures: the ISP for an external resolver.
DNS_CONTENT = frozenset({"dns.nxdomain", "dns.servfail", "dns.rcode", "dns.nodata", "dns.sinkhole"})


def plan(profile: Profile = PROFILE, target: Target = SERVER) -> Plan:
    return plan_for(profile, target)


def plan_doc(profile: Profile = PROFILE, target: Target = SERVER) -> dict[str, Any]:
    """A fresh copy of the plan document a host gets (tests may trim it)."""
    return copy.deepcopy(plan(profile, target).payload_input())


def context(
    *expected: IPNetwork, host_address: str = HOST_ADDRESS, timeout_s: float = 4.0
) -> Context:
    return Context(
        timeout_s, expected_networks=expected, host_address=host_address, observed_at=AT, user=USER
    )


CTX = context(INET)


def kind(check_id: str) -> str:
    return PROFILE.checks[check_id].kind


def judge(
    check_id: str,
    observations: Mapping[str, Any],
    *,
    ctx: Context = CTX,
    doc: Mapping[str, Any] | None = None,
    profile: Profile = PROFILE,
) -> Check:
    """The judge's verdict on one check of the bundled profile for the server SERVER."""
    document = plan_doc(profile) if doc is None else doc
    return judge_check(check_id, profile.checks[check_id], document, observations, ctx)


def planned(doc: Mapping[str, Any], section: str, check_id: str) -> list[dict[str, Any]]:
    """The plan document's items of one endpoint check (tcp, udp, tls)."""
    return [dict(item) for item in doc[section] if item["check"] == check_id]


def codes(check: Check) -> tuple[str, ...]:
    return tuple(f.code for f in check.findings)


def owners(check: Check) -> tuple[Owner, ...]:
    return tuple(f.owner for f in check.findings)


def is_sentence(text: str) -> bool:
    """Capitalised, one line, ending with a period."""
    return bool(text) and text[0].isupper() and text.endswith(".") and "\n" not in text


def problems(check: Check, *, audited: bool = True) -> list[str]:
    """Everything wrong with ``check`` by the rules of auditor.model.Check; [] when sound.

    The verdict of each finding is the check's; pass and not_applicable
    checks have no findings, every other check of an audited host at least
    one; each finding's verdict and severity are its code's, and its owner is
    its code's (DNS content failures may name the ISP). Item evidence (tcp,
    udp, tls targets, dns queries, dns_system names) carries each item's
    outcome and verdict; the check's verdict is the worst item's and its
    findings are exactly the items of that verdict, by code and target.
    ``audited=False``: a check of a host whose audit stopped (its stage
    finding, on the host, says why; only a refused login's admin check
    carries it; its reason is tested on its own, see test_stage_findings).
    """
    found: list[str] = []
    # a not-applicable check's reason is the profile's own words (``reasons:``), used as given
    if audited and check.verdict is not NA and not is_sentence(check.reason):
        found.append(f"reason is not a sentence: {check.reason!r}")
    for f in check.findings:
        code = CODES.get(f.code)
        if code is None:
            found.append(f"unknown code {f.code}")
            continue
        if f.verdict is not check.verdict:
            found.append(f"{f.code} has verdict {f.verdict}, its check {check.verdict}")
        if f.verdict is not code.verdict:
            found.append(f"{f.code} has verdict {f.verdict}, its code {code.verdict}")
        if f.severity is not code.severity:
            found.append(f"{f.code} has severity {f.severity}, its code {code.severity}")
        allowed = {code.owner, ISP} if f.code in DNS_CONTENT else {code.owner}
        if f.owner not in allowed:
            found.append(f"{f.code} is owned by {f.owner}, not {allowed}")
        if any(v is None for v in f.params.values()):
            found.append(f"{f.code} has a None parameter: {dict(f.params)}")
        declared = getattr(code, "params", None)  # the parameters the code's words may name
        if declared is not None and not set(f.params) <= set(declared):
            found.append(f"{f.code} carries undeclared parameters {set(f.params) - set(declared)}")
    if check.verdict in (PASS, NA):
        if check.findings:
            found.append(f"a {check.verdict} check has findings {codes(check)}")
        return found
    if audited and not check.findings:
        found.append(f"a {check.verdict} check has no finding")
    if not audited and check.findings and not codes(check)[0].startswith("credentials."):
        found.append(f"an unaudited check carries {codes(check)}")
    return found + item_problems(check)


def item_problems(check: Check) -> list[str]:
    """The item evidence agrees with the verdict and the findings."""
    where = ITEMS.get(kind(check.id)) if check.id in PROFILE.checks else None
    items = check.evidence.get(where[0]) if where else None
    if not where or not isinstance(items, list) or not items:
        return []
    found = []
    for item in items:
        code = CODES.get(item.get("outcome"))
        if code is None or item.get("verdict") != code.verdict.value:
            found.append(f"item {item} has no outcome, or not its code's verdict")
    if found:
        return found
    worst = max((Verdict(i["verdict"]) for i in items), key=VERDICT_RANK.__getitem__)
    if worst is not check.verdict:
        return [f"worst item is {worst}, the check {check.verdict}"]
    if worst is PASS:
        return []
    bad = [i for i in items if i["verdict"] == worst.value]
    if {f.code for f in check.findings} != {i["outcome"] for i in bad}:
        found.append(f"findings {codes(check)} are not the {worst} items {bad}")
    targets = {t for f in check.findings for t in f.targets}
    if targets != {str(i[where[1]]) for i in bad}:
        found.append(f"finding targets {targets} are not those of the {worst} items")
    return found


def all_of(*groups: Iterable[Check]) -> list[Check]:
    return [check for group in groups for check in group]


def assert_codes(
    check: Check, verdict: Verdict, expected: Sequence[str], owners_: Sequence[Owner] | None = None
) -> None:
    """Verdict and exact finding codes (in order); owners too when given."""
    assert check.verdict is verdict, (check.verdict, check.reason)
    assert codes(check) == tuple(expected), (codes(check), check.reason)
    if owners_ is not None:
        assert owners(check) == tuple(owners_), owners(check)
    assert problems(check) == [], problems(check)
