"""A run split into customer pages, and the MSP's overview across them (``index.html``).

Per customer the overview shows compliant / total, the hosts that need action
(linked to their place in the customer's report) and the hosts that could
not be audited, grouped by cause (credentials, network, host, inventory),
because each cause has a different owner and a different fix. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from auditor.judge.codes import is_security
from auditor.model import Finding, HostResult, RunResult, Stage, Verdict
from auditor.names import ascii_slug
from auditor.report.changes import counts_text
from auditor.report.evidence import text
from auditor.report.finding import HostFinding, Segment, describe
from auditor.report.view import ReportOptions, credential_since, problems_first, teamviewer_api_line
from auditor.report.when import local_time, parse
from auditor.report.words import Words

CAUSES: Mapping[Stage, str] = {
    Stage.AUTH: "credentials",
    Stage.ADMIN: "credentials",
    Stage.RESOLVE: "network",
    Stage.CONNECT: "network",
    Stage.HOSTKEY: "host",
    Stage.PROBE: "host",
    Stage.INVENTORY: "inventory",
}


@dataclass(frozen=True, slots=True)
class CustomerPage:
    """One customer's hosts, in report order (problems first), and its file name."""

    customer: str
    filename: str
    hosts: tuple[HostResult, ...]

    @property
    def compliant(self) -> int:
        return sum(h.compliant for h in self.hosts)


def customer_pages(run: RunResult) -> tuple[CustomerPage, ...]:
    """One page per customer; file names unique even when two names slug alike."""
    by_customer: dict[str, list[HostResult]] = {}
    for host in run.hosts:
        by_customer.setdefault(host.customer, []).append(host)
    for gap in run.problems:  # a customer none of whose hosts a site audited still has a page
        if gap.not_audited and gap.customer is not None:
            by_customer.setdefault(gap.customer, [])
    pages, used = [], {"index", "results"}  # never overwrite the overview or the JSON
    for customer in sorted(by_customer):
        base = ascii_slug(customer)[:60].strip("-") or "customer"
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        hosts = tuple(sorted(by_customer[customer], key=problems_first))
        pages.append(CustomerPage(customer, f"{name}.html", hosts))
    return tuple(pages)


@dataclass(frozen=True, slots=True)
class HostLink:
    customer: str
    name: str
    href: str
    stage_text: str
    what: tuple[Segment, ...]  # why it was not audited, in words (unaudited hosts only)
    detail: str  # the transport's own message, raw (English)


@dataclass(frozen=True, slots=True)
class CustomerLine:
    customer: str
    filename: str
    compliant: int
    total: int
    needs_action: tuple[HostLink, ...]
    changes: str = ""  # "2 neu · 1 behoben" (history), else ""
    incomplete: bool = False  # hosts of this customer were not audited in this run (sites)


@dataclass(frozen=True, slots=True)
class SecurityLine:
    """One security finding of one host, for the overview's first section."""

    customer: str
    name: str
    href: str
    what: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class CauseGroup:
    cause: str
    title: str
    hosts: tuple[HostLink, ...]


@dataclass(frozen=True, slots=True)
class OverviewView:
    audited_at: str
    compliant: int
    total: int
    customers: tuple[CustomerLine, ...]
    causes: tuple[CauseGroup, ...]
    problems: tuple[str, ...]
    not_audited: tuple[str, ...]  # a scheduled run's gaps, one line per site and customer
    security: tuple[SecurityLine, ...] = ()  # changed host keys, interception, hijacked DNS...
    history: bool = False  # the run was compared with history: show the changes column
    teamviewer_api: str | None = None  # was "assigned" proven to be "assigned to us"?


def _open_text(words: Words, count: int) -> str:
    return words.t("ui.open_check") if count == 1 else words.t("ui.open_checks", count=count)


def _open_checks(host: HostResult) -> int:
    return sum(c.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE) for c in host.checks)


def _stage_what(host: HostResult, run: RunResult, options: ReportOptions) -> tuple[Segment, ...]:
    """Why the host was not audited, in words (the stage finding's ``what``)."""
    if host.stage_finding is None:
        return ()
    since = credential_since(host, parse(run.started_at), options)
    return describe(HostFinding(host.stage_finding, ()), Words(options.lang), {}, since).what


def _security_lines(
    pages: tuple[CustomerPage, ...], words: Words, options: ReportOptions
) -> tuple[SecurityLine, ...]:
    """Every security finding, once per host and code (several checks may share one)."""
    lines = []
    for page in pages:
        for n, host in enumerate(page.hosts, 1):
            found: list[Finding] = [host.stage_finding] if host.stage_finding else []
            found += [f for check in host.checks for f in check.findings]
            found += list(host.notes)
            seen: set[str] = set()
            for finding in found:
                if not is_security(finding.code) or finding.code in seen:
                    continue
                seen.add(finding.code)
                what = describe(HostFinding(finding, ()), words, {}, "").what
                lines.append(SecurityLine(text(page.customer, 500), text(host.name, 500),
                                          f"{page.filename}#host-{n}", what))  # fmt: skip
    return tuple(lines)


def overview_view(
    run: RunResult, pages: tuple[CustomerPage, ...], options: ReportOptions
) -> OverviewView:
    """The overview; host links point at ``#host-N`` anchors of the customer pages."""
    words = Words(options.lang)
    lines, unaudited = [], []
    for page in pages:
        links = []
        for n, host in enumerate(page.hosts, 1):
            if host.compliant:
                continue
            link = HostLink(
                customer=text(page.customer, 500),
                name=text(host.name, 500),
                href=f"{page.filename}#host-{n}",
                stage_text=words.t("stage." + host.stage.value)
                if host.stage is not Stage.JUDGED
                else _open_text(words, _open_checks(host)),
                what=_stage_what(host, run, options),
                detail=text(host.stage_reason, 500) if host.stage is not Stage.JUDGED else "",
            )
            links.append(link)
            if host.stage is not Stage.JUDGED:
                unaudited.append((CAUSES[host.stage], link))
        incomplete = any(p.not_audited and p.customer == page.customer for p in run.problems)
        lines.append(
            CustomerLine(text(page.customer, 500), page.filename, page.compliant,
                         len(page.hosts), tuple(links),
                         counts_text(page.hosts, options.changes, words), incomplete)
        )  # fmt: skip
    causes = tuple(
        CauseGroup(
            cause, words.t("cause." + cause), tuple(link for c, link in unaudited if c == cause)
        )
        for cause in dict.fromkeys(CAUSES.values())
        if any(c == cause for c, _ in unaudited)
    )
    return OverviewView(
        security=_security_lines(pages, words, options),
        audited_at=local_time(parse(run.started_at), options.tz, options.lang),
        compliant=sum(h.compliant for h in run.hosts),
        total=len(run.hosts),
        customers=tuple(lines),
        causes=causes,
        problems=tuple(text(p.one_line(), 1000) for p in run.problems if not p.not_audited),
        not_audited=tuple(text(p.message, 1000) for p in run.problems if p.not_audited),
        history=options.changes is not None,
        teamviewer_api=teamviewer_api_line(run, words),
    )
