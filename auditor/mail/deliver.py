"""Each customer of a run gets its report: one at a time, one failure never stopping the rest.

Per customer: no recipients is a failure naming the customer; a report
already sent for this run is skipped unless ``resend``; ``dry_run`` writes
``<customer page>.eml`` instead of sending; otherwise the message goes out
and the outcome (sent or failed, when, to whom, the Message-ID or the error)
is recorded in the history store. The reports on disk are untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.atomic import write_atomic
from auditor.mail.message import build_message
from auditor.mail.recipients import Recipients
from auditor.mail.send import MailError, send
from auditor.mail.settings import SmtpSettings
from auditor.model import RunResult
from auditor.report.overview import customer_pages
from auditor.report.view import ReportOptions

if TYPE_CHECKING:
    from auditor.history.store import HistoryStore

DRY_RUN_SENDER = "auditor@localhost"  # a dry run needs no settings: this stands in


@dataclass(frozen=True, slots=True)
class MailOutcome:
    customer: str
    status: str  # sent | failed | skipped | written
    recipients: tuple[str, ...] = ()
    message_id: str | None = None
    detail: str = ""  # the error, the .eml path, or when it was sent before

    def line(self) -> str:
        """One line for the terminal, naming the customer."""
        said = {"sent": f"sent to {', '.join(self.recipients)} ({self.message_id})",
                "written": f"written to {self.detail}", "skipped": self.detail,
                "failed": f"not sent: {self.detail}"}[self.status]  # fmt: skip
        return f"mail {_visible(self.customer)}: {said}"


def deliver(
    run: RunResult,
    recipients: Mapping[str, Recipients],
    options: ReportOptions,
    *,
    settings: SmtpSettings | None,
    store: HistoryStore | None = None,
    dry_run: Path | None = None,
    resend: bool = False,
    dry_run_sender: str | None = None,
) -> list[MailOutcome]:
    """Mail every customer of ``run`` its report (see the module docstring).

    Without ``settings`` (a dry run), the sender is ``dry_run_sender`` when given.
    """
    outcomes = []
    sender = settings.sender if settings is not None else dry_run_sender or DRY_RUN_SENDER
    for page in customer_pages(run):
        found = recipients.get(page.customer, Recipients())
        if not found.to:
            why = "no recipients (auditor_report_to in the inventory, or --to)"
            outcomes.append(
                _record(store, run, MailOutcome(page.customer, "failed", (), None, why), dry_run)
            )
            continue
        before = store.mail_sent(run.run_id, page.customer) if store and not resend else None
        if before is not None:
            when = before.at.isoformat(timespec="seconds") if before.at else "?"
            said = f"already sent for this run at {when} ({before.message_id}); --resend sends it again"
            outcomes.append(MailOutcome(page.customer, "skipped", tuple(before.recipients),
                                        before.message_id, said))  # fmt: skip
            continue
        message = build_message(run, page, options, sender=sender, to=found.to, cc=found.cc,
                                now=datetime.now(UTC))  # fmt: skip
        everyone = (*found.to, *found.cc)
        message_id = str(message["Message-ID"])
        if dry_run is not None:
            path = dry_run / (Path(page.filename).stem + ".eml")
            write_atomic(path, message.as_string(), errors="strict")
            outcomes.append(MailOutcome(page.customer, "written", everyone, message_id, str(path)))
            continue
        assert settings is not None
        try:
            send(message, settings)
        except MailError as exc:
            outcome = MailOutcome(page.customer, "failed", everyone, None, str(exc))
        else:
            outcome = MailOutcome(page.customer, "sent", everyone, message_id)
        outcomes.append(_record(store, run, outcome, dry_run))
    return outcomes


def _record(
    store: HistoryStore | None, run: RunResult, outcome: MailOutcome, dry_run: Path | None
) -> MailOutcome:
    if store is not None and dry_run is None:
        store.record_mail(run.run_id, outcome.customer, outcome.status, list(outcome.recipients),
                          outcome.message_id, outcome.detail or None)  # fmt: skip
    return outcome


def _visible(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
