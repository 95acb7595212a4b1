"""What the templates show, already decided and worded: a pure view of one run.

The templates only lay out; every choice (sort order, words, which problems
exist, who acts) is made here, in plain typed code that tests can read
without a browser. Hosts are sorted so problems come first: hosts that could
not be audited (earliest stage first), then by number of failed checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from ipaddress import IPv4Network, IPv6Network
from zoneinfo import ZoneInfo

from auditor.model import CHECK_IDS, STAGE_ORDER, HostResult, Role, RunResult, Verdict
from auditor.report.evidence import EvidenceRow, evidence_rows, text
from auditor.report.finding import Finding, Owner, describe
from auditor.report.findings import host_findings
from auditor.report.when import local_time, parse
from auditor.report.words import Words

# Column order follows the contract page: TeamViewer, its ports, web, DNS, admin.
COLUMNS: tuple[str, ...] = (
    "teamviewer", "tcp_5938", "udp_5938", "tcp_80", "tcp_443", "tls_443",
    "dns_udp", "dns_tcp", "dns_system", "admin",
)  # fmt: skip
assert sorted(COLUMNS) == sorted(CHECK_IDS), "every check id needs exactly one column"


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How to render (not what): language, zone, titles, and the judge's allowed networks.

    ``first_seen`` maps host name -> when its credential problem was first
    seen (from history, later); missing hosts use the audit's time.
    """

    lang: str = "de"
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    titles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    expected_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    first_seen: Mapping[str, datetime] | None = None


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
    reason: str


@dataclass(frozen=True, slots=True)
class FindingView:
    severity: str
    severity_text: str
    owner: str
    owner_text: str
    what: str
    fix: str
    checks: str
    details: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EvidenceView:
    check_id: str
    title: str
    verdict: str
    verdict_text: str
    reason: str
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
    evidence: tuple[EvidenceView, ...]


def problems_first(host: HostResult) -> tuple[bool, int, int, int, str]:
    """Sort key: non-compliant first, unaudited (earliest stage) first, most failures first."""
    fails = sum(c.verdict is Verdict.FAIL for c in host.checks)
    open_ = sum(c.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE) for c in host.checks)
    return (host.compliant, STAGE_ORDER.index(host.stage), -fails, -open_, host.name)


def columns(options: ReportOptions) -> tuple[Column, ...]:
    words = Words(options.lang)
    return tuple(
        Column(c, words.t("column." + c), options.titles.get(c, {}).get(options.lang, ""))
        for c in COLUMNS
    )


def host_view(
    host: HostResult, index: int, audit_time: datetime, options: ReportOptions
) -> HostView:
    """One host's row, findings and evidence, in ``options.lang``."""
    words = Words(options.lang)
    checks = {c.id: c for c in host.checks}
    cells = tuple(
        Cell(
            cid,
            checks[cid].verdict.value,
            words.verdict(checks[cid].verdict),
            text(checks[cid].reason),
        )
        for cid in COLUMNS
        if cid in checks
    )
    found = host_findings(
        host,
        audit_time=audit_time.astimezone(options.tz),
        first_seen=options.first_seen,
        expected_networks=options.expected_networks,
    )
    findings = tuple(_finding_view(f, words) for f in found)
    evidence = tuple(
        EvidenceView(
            cid, _title(cid, options), checks[cid].verdict.value,
            words.verdict(checks[cid].verdict), text(checks[cid].reason, 1000),
            evidence_rows(checks[cid]),
        )
        for cid in COLUMNS
        if cid in checks and checks[cid].verdict is not Verdict.NOT_APPLICABLE
    )  # fmt: skip
    return HostView(
        anchor=f"host-{index}",
        name=text(host.name, 500),
        short_name=text(host.name, 60),
        address=text(host.address) or "\u2013",
        role_text=words.t("role." + host.role.value),
        stage=host.stage.value,
        stage_text=words.t("stage." + host.stage.value),
        stage_reason=text(host.stage_reason, 1000),
        compliant=host.compliant,
        duration=f"{host.duration_s:.1f} s",
        cells=cells,
        findings=findings,
        evidence=evidence,
    )


def _title(check_id: str, options: ReportOptions) -> str:
    full = options.titles.get(check_id, {}).get(options.lang)
    return full or Words(options.lang).t("column." + check_id)


def _finding_view(item: Finding, words: Words) -> FindingView:
    what, fix = describe(item, words)
    return FindingView(
        severity=item.severity.value,
        severity_text=words.verdict(item.severity),
        owner=item.owner.value,
        owner_text=words.t("owner." + item.owner.value),
        what=text(what, 2000),
        fix=text(fix, 2000),
        checks=", ".join(words.t("column." + c) for c in item.check_ids if c in COLUMNS),
        details=tuple(text(d, 1000) for d in item.detail),
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
    views = tuple(host_view(h, n, audit_time, options) for n, h in enumerate(ordered, 1))
    compliant = sum(h.compliant for h in hosts)
    role_lines = tuple(
        words.t("ui.role_line", role=words.t("roles." + role.value),
                compliant=sum(h.compliant for h in hosts if h.role is role),
                total=sum(h.role is role for h in hosts))
        for role in Role
        if any(h.role is role for h in hosts)
    )  # fmt: skip
    counts = {o: sum(f.owner == o.value for v in views for f in v.findings) for o in Owner}
    tasks = tuple(
        words.t("ui.task_count", owner=words.t("owner." + o.value), count=n)
        for o, n in counts.items()
        if n
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
        columns=columns(options),
        legend=legend,
        hosts=views,
    )
