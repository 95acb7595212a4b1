"""What the templates show, already decided and worded: a pure view of one run.

The templates only lay out; every choice (sort order, words, who acts) is
made here, in plain typed code that tests can read without a browser. What
is wrong with a host is never decided here: the judge's findings are
grouped and worded (report/finding.py), its outcomes worded
(report/evidence.py). Columns, titles and labels come from the run's own
list of checks (the profile it was judged by). Hosts are sorted so problems
come first: hosts that could not be audited (earliest stage first), then by
number of failed checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from auditor.history.changes import RunChanges
from auditor.model import (
    STAGE_ORDER,
    Check,
    CheckInfo,
    HostResult,
    Owner,
    Role,
    RunResult,
    Stage,
    Verdict,
)
from auditor.report.changes import ChangesView, changes_view
from auditor.report.endpoints import DiagnosticView, diagnostic_views
from auditor.report.evidence import EvidenceRow, Fact, access_facts, endpoint, evidence_of, text
from auditor.report.finding import Described, HostFinding, Segment, describe, host_findings
from auditor.report.survey import SurveyNote, SurveyView, survey_view
from auditor.report.when import local_date, local_time, parse
from auditor.report.words import Words


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How to render (not what): language, zone, and what history says changed.

    ``changes`` (from the history store, ``history/changes.py``) gives the
    "since the last run" section and the date credential problems began;
    without it (no history, ``auditor report --results``) each problem is
    said to be first seen in this run, never implying a streak.
    """

    lang: str = "de"
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    changes: RunChanges | None = None
    # "customer": the page mailed to the customer, without what is the MSP's own business:
    # how hosts were reached (accounts, keys, jump hosts), the MSP's notes, inventory details
    audience: str = "msp"
    # A site survey or check-here, not the nightly audit (report/survey.py); None: an audit.
    survey: SurveyNote | None = None


@dataclass(frozen=True, slots=True)
class Column:
    check_id: str
    label: str
    title: str


@dataclass(frozen=True, slots=True)
class Cell:
    check_id: str
    verdict: str
    text: str
    why: str = ""  # for a not-applicable check: why it does not apply here


@dataclass(frozen=True, slots=True)
class FindingView:
    code: str
    verdict: str
    verdict_text: str
    severity: str
    owner: str
    owner_text: str
    what: tuple[Segment, ...]
    fix: tuple[Segment, ...]
    checks: str
    check_ids: str  # space-separated, for data-check
    detail: str  # raw technical detail (a stage's message), English


@dataclass(frozen=True, slots=True)
class EvidenceView:
    check_id: str
    title: str
    verdict: str
    verdict_text: str
    facts: tuple[Fact, ...]
    rows: tuple[EvidenceRow, ...]


@dataclass(frozen=True, slots=True)
class HostView:
    anchor: str
    name: str
    short_name: str
    address: str
    role_text: str
    stage: str
    stage_text: str
    stage_reason: str
    compliant: bool
    duration: str
    cells: tuple[Cell, ...]
    findings: tuple[FindingView, ...]
    notes: tuple[FindingView, ...]
    access: tuple[Fact, ...]
    evidence: tuple[EvidenceView, ...]
    # Checks that do not apply to this host, grouped by why: (labels, the reason in words).
    not_applicable: tuple[tuple[str, str], ...] = ()
    diagnostics: tuple[DiagnosticView, ...] = ()  # decide nothing: the TeamViewer endpoints


def problems_first(host: HostResult) -> tuple[bool, int, int, int, str]:
    """Sort key: non-compliant first, unaudited (earliest stage) first, most failures first."""
    fails = sum(c.verdict is Verdict.FAIL for c in host.checks)
    open_ = sum(c.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE) for c in host.checks)
    return (host.compliant, STAGE_ORDER.index(host.stage), -fails, -open_, host.name)


def columns(run: RunResult, lang: str) -> tuple[Column, ...]:
    return tuple(Column(c.id, c.label[lang], c.title[lang]) for c in run.checks)


# The port an SSH-like transport uses unless told otherwise: any other is shown.
_USUAL_PORT = {"ssh": 22, "network_cli": 22}


def _reached_at(host: HostResult) -> str:
    """The host's address, with the port when it is not the transport's usual one
    (a port forward on a site's gateway: several hosts share the address)."""
    port = host.access.get("port")
    usual = _USUAL_PORT.get(str(host.access.get("transport")))
    if not host.address or usual is None or not isinstance(port, int) or port == usual:
        return host.address
    return endpoint(host.address, port)


def host_view(run: RunResult, host: HostResult, index: int, options: ReportOptions) -> HostView:
    """One host's row, findings and evidence, in ``options.lang``."""
    words = Words(options.lang)
    infos = {c.id: c for c in run.checks}
    checks = {c.id: c for c in host.checks}
    labels = {c.id: c.label[options.lang] for c in run.checks}
    why = {c.id: _why_not(checks[c.id], host, words) for c in run.checks if c.id in checks}
    cells = tuple(
        Cell(c.id, checks[c.id].verdict.value, words.verdict(checks[c.id].verdict), why[c.id])
        for c in run.checks
        if c.id in checks
    )
    grouped: dict[str, list[str]] = {}
    for check_id, reason in why.items():
        if reason:
            grouped.setdefault(reason, []).append(labels.get(check_id, check_id))
    since = credential_since(host, parse(run.started_at), options)
    found = host_findings(host, [c.id for c in run.checks])
    findings = tuple(_finding_view(f, host, words, labels, since) for f in found)
    customer = options.audience == "customer"
    shown_notes = [n for n in host.notes if not (customer and n.owner is Owner.MSP)]
    notes = tuple(
        _finding_view(HostFinding(n, ()), host, words, labels, since) for n in shown_notes
    )
    if customer and host.stage is Stage.INVENTORY:  # the MSP's inventory file and variables
        findings = tuple(dataclasses.replace(f, detail="") for f in findings)
    evidence = tuple(
        _evidence_view(infos[c.id], checks[c.id], words, options)
        for c in run.checks
        if c.id in checks and checks[c.id].verdict is not Verdict.NOT_APPLICABLE
    )
    return HostView(
        anchor=f"host-{index}",
        name=text(host.name, 500),
        short_name=text(host.name, 60),
        address=text(_reached_at(host)) or "\u2013",
        role_text=words.t("role." + host.role.value),
        stage=host.stage.value,
        stage_text=words.t("stage." + host.stage.value),
        stage_reason=text(host.stage_reason, 1000),
        compliant=host.compliant,
        duration=f"{host.duration_s:.1f} s".replace(".", "," if options.lang == "de" else "."),
        cells=cells,
        findings=findings,
        notes=notes,
        access=() if customer else access_facts(host.access, words),
        evidence=evidence,
        not_applicable=tuple((", ".join(names), reason) for reason, names in grouped.items()),
        diagnostics=diagnostic_views(host.diagnostics, words),
    )


def _why_not(check: Check, host: HostResult, words: Words) -> str:
    """Why a not-applicable check does not apply, worded from the judge's code; else ""."""
    if check.verdict is not Verdict.NOT_APPLICABLE:
        return ""
    code = check.evidence.get("not_applicable")
    if code not in ("role", "unattended", "no_probe"):
        code = "role"
    return words.t(f"na.{code}", role=words.t(f"roles.{host.role.value}"))


def credential_since(host: HostResult, audit_time: datetime, options: ReportOptions) -> str:
    """ "seit <date>" when history proves a streak, else "erstmals festgestellt am <date>"."""
    words = Words(options.lang)
    known = options.changes.of(host.customer, host.name) if options.changes else None
    if known is not None and known.credentials_since and not known.credentials_first:
        date = local_date(known.credentials_since, options.tz, options.lang)
        return words.t("ui.since", date=date)
    return words.t("ui.first_seen", date=local_date(_observed(host, audit_time), options.tz,
                                                     options.lang))  # fmt: skip


def _observed(host: HostResult, audit_time: datetime) -> datetime:
    """When the judge saw the credential problem (its ``observed_at``), else the audit's start."""
    found = (host.stage_finding, *(f for c in host.checks for f in c.findings))
    for item in found:
        if item is not None and item.code.startswith("credentials."):
            try:
                return parse(str(item.params.get("observed_at") or ""))
            except ValueError:
                break
    return audit_time


def _finding_view(
    item: HostFinding, host: HostResult, words: Words, labels: Mapping[str, str], since: str
) -> FindingView:
    said: Described = describe(item, words, labels, since)
    stage = item.finding is host.stage_finding and not item.check_ids
    return FindingView(
        code=item.code,
        verdict=item.finding.verdict.value,
        verdict_text=words.verdict(item.finding.verdict),
        severity=item.finding.severity.value,
        owner=item.finding.owner.value,
        owner_text=words.t("owner." + item.finding.owner.value),
        what=_bounded(said.what),
        fix=_bounded(said.fix),
        checks=", ".join(labels.get(c, c) for c in item.check_ids),
        check_ids=" ".join(item.check_ids),
        detail=text(host.stage_reason, 1000) if stage else "",
    )


def _bounded(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    return tuple(Segment(text(s.text, 500) if s.raw else s.text, s.raw) for s in segments)


def _evidence_view(
    info: CheckInfo, check: Check, words: Words, options: ReportOptions
) -> EvidenceView:
    found = evidence_of(check, info.kind, words, options.tz)
    return EvidenceView(
        check_id=check.id,
        title=info.title[options.lang],
        verdict=check.verdict.value,
        verdict_text=words.verdict(check.verdict),
        facts=found.facts,
        rows=found.rows,
    )


@dataclass(frozen=True, slots=True)
class CustomerView:
    customer: str
    filename: str
    headline: str
    compliant: int
    total: int
    role_lines: tuple[str, ...]
    tasks: tuple[str, ...]
    audited_at: str
    columns: tuple[Column, ...]
    legend: tuple[tuple[str, str, str], ...]
    hosts: tuple[HostView, ...]
    changes: ChangesView | None = None  # "Seit dem letzten Lauf", from history
    survey: SurveyView | None = None  # "Bestandsaufnahme vor Vertragsbeginn"
    not_audited: tuple[str, ...] = ()  # hosts a site's worker did not audit in this run
    teamviewer_api: str | None = None  # was "assigned" proven to be "assigned to us"?

    @property
    def good(self) -> bool:
        """Every device of the customer audited in this run, and every one compliant."""
        return self.compliant == self.total and not self.not_audited


def customer_view(
    run: RunResult,
    customer: str,
    filename: str,
    hosts: tuple[HostResult, ...],
    options: ReportOptions,
) -> CustomerView:
    """The whole page of one customer: verdict first, then devices, findings, evidence."""
    words = Words(options.lang)
    audit_time = parse(run.started_at)
    ordered = sorted(hosts, key=problems_first)
    views = tuple(host_view(run, h, n, options) for n, h in enumerate(ordered, 1))
    compliant = sum(h.compliant for h in hosts)
    role_lines = tuple(
        words.t("ui.role_line", role=words.t("roles." + role.value),
                compliant=sum(h.compliant for h in hosts if h.role is role),
                total=sum(h.role is role for h in hosts))
        for role in Role
        if any(h.role is role for h in hosts)
    )  # fmt: skip
    owners = [f.owner for v in views for f in v.findings]
    tasks = tuple(
        words.t("ui.task_count", owner=words.t("owner." + o), count=owners.count(o))
        for o in dict.fromkeys(sorted(owners, key=["customer_it", "msp", "isp"].index))
    )
    legend = tuple(
        (v.value, words.verdict(v), words.t("verdict_meaning." + v.value)) for v in Verdict
    )
    return CustomerView(
        customer=text(customer, 500),
        filename=filename,
        headline=words.t("ui.headline", compliant=compliant, total=len(hosts)),
        compliant=compliant,
        total=len(hosts),
        role_lines=role_lines,
        tasks=tasks,
        audited_at=local_time(audit_time, options.tz, options.lang),
        columns=columns(run, options.lang),
        legend=legend,
        hosts=views,
        changes=changes_view(run, [(h, f"#{v.anchor}") for h, v in zip(ordered, views, strict=True)],
                             options.changes, options.lang, options.tz),
        survey=survey_view(options.survey, words),
        not_audited=tuple(text(p.message, 1000) for p in run.problems
                          if p.not_audited and p.customer == customer),
        teamviewer_api=teamviewer_api_line(run, words),
    )  # fmt: skip


def teamviewer_api_line(run: RunResult, words: Words) -> str | None:
    """Whether the run proved the TeamViewer Hosts' assignment to *us* (the MSP's device list),
    in words; None when the run has no teamviewer check or does not say (older results)."""
    record = run.teamviewer_api
    if not record or not any(info.kind == "teamviewer" for info in run.checks):
        return None
    state = record.get("state")
    if state == "checked":
        return words.t("ui.teamviewer_api_checked", devices=record.get("devices") or 0)
    if state == "failed":
        return words.t("ui.teamviewer_api_failed", error=text(record.get("error") or "", 300))
    return words.t("ui.teamviewer_api_not_checked")
