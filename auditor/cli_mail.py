"""``auditor mail`` and ``auditor run --mail``: each customer its report by mail.

A run comes from ``--results FILE`` or from the history store (``--db``,
``--run``; default the latest complete run); recipients from the inventory
(``-i``) or ``--to``; SMTP settings from ``--mail-config`` and the
environment (mail/settings.py). Exit code 7 when any customer's mail failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.errors import ConfigError
from auditor.run import ExitCode

if TYPE_CHECKING:
    from auditor.history.changes import RunChanges
    from auditor.history.store import HistoryStore
    from auditor.mail.deliver import MailOutcome
    from auditor.mail.settings import SmtpSettings
    from auditor.model import RunResult, Target

MAIL_FAILED = 7


def add_mail_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", action="append", default=[], metavar="CUSTOMER=ADDR",
                        help="send CUSTOMER's report to ADDR instead of its auditor_report_to "
                        "(repeatable)")  # fmt: skip
    parser.add_argument("--mail-config", type=Path, metavar="FILE",
                        help="SMTP settings as AUDITOR_SMTP_*=... lines (the environment "
                        "overrides them)")  # fmt: skip


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    mail = sub.add_parser("mail", help="send each customer its report (or write .eml files)")
    mail.add_argument("--results", type=Path, metavar="FILE",
                      help="a results.json (default: the latest run of the history store)")  # fmt: skip
    mail.add_argument("--run", metavar="ID", help="a run of the history store")
    mail.add_argument("-i", "--inventory", action="append", default=[], metavar="PATH",
                      help="the inventory naming the recipients (auditor_report_to)")  # fmt: skip
    mail.add_argument("--vault-password-file", metavar="FILE", help="ansible-vault password file")
    add_mail_args(mail)
    mail.add_argument("--dry-run", action="store_true",
                      help="write one .eml per customer into --out instead of sending")  # fmt: skip
    mail.add_argument("--out", type=Path, metavar="DIR", help="with --dry-run: where the .eml go")
    mail.add_argument("--resend", action="store_true",
                      help="send again what was already sent for this run")  # fmt: skip
    mail.add_argument("--lang", choices=("de", "en"), default="de", help="report language")
    mail.add_argument("--timezone", metavar="ZONE", help="IANA zone for times in the report")
    mail.add_argument("--db", metavar="URL", help="the history store (as for run)")


def settings_for(args: argparse.Namespace, dry_run: bool = False) -> SmtpSettings | None:
    """The SMTP settings, checked before anything else happens; None for a dry run without any."""
    from auditor.mail.settings import MailConfigError, load_settings

    try:
        return load_settings(args.mail_config)
    except MailConfigError:
        if dry_run:
            return None
        raise


def dispatch(args: argparse.Namespace) -> int:
    """``auditor mail``."""
    from auditor.history.store import HistoryStore
    from auditor.report.when import zone
    from auditor.results import ResultsError, read_results

    zone(args.timezone)
    if args.dry_run and args.out is None:
        raise ConfigError("--dry-run needs --out DIR for the .eml files")
    settings = settings_for(args, dry_run=args.dry_run)
    store = HistoryStore.open(args.db)
    changes: RunChanges | None = None
    if args.results is not None:
        if args.run:
            raise ConfigError("--run names a run of the history store, not of --results")
        try:
            run = read_results(args.results)
        except ResultsError as exc:
            raise ConfigError(str(exc)) from None
    else:
        run = store.load_run(args.run)
        changes = store.changes(run.run_id)
    targets = _targets(args) if args.inventory else []
    outcomes = send_all(run, targets, args, settings, store, changes)
    return MAIL_FAILED if any(o.status == "failed" for o in outcomes) else 0


def send_all(
    run: RunResult,
    targets: list[Target],
    args: argparse.Namespace,
    settings: SmtpSettings | None,
    store: HistoryStore | None,
    changes: RunChanges | None,
) -> list[MailOutcome]:
    """Mail every customer of ``run``; prints one line per customer (failures on stderr)."""
    from auditor.mail.deliver import deliver
    from auditor.mail.recipients import from_inventory, with_overrides
    from auditor.report.view import ReportOptions
    from auditor.report.when import zone

    customers = {h.customer for h in run.hosts}
    recipients = with_overrides(from_inventory(targets), args.to, customers)
    options = ReportOptions(lang=args.lang, tz=zone(args.timezone), changes=changes)
    dry_run: Path | None = getattr(args, "out", None) if getattr(args, "dry_run", False) else None
    if dry_run is not None:
        from auditor.atomic import private_dir

        private_dir(dry_run)
    from auditor.mail.settings import configured_sender

    sender = configured_sender(getattr(args, "mail_config", None)) if settings is None else None
    outcomes = deliver(run, recipients, options, settings=settings, store=store, dry_run=dry_run,
                       resend=getattr(args, "resend", False), dry_run_sender=sender)  # fmt: skip
    quiet = getattr(args, "quiet", False)
    for outcome in outcomes:
        if outcome.status == "failed":
            print(f"auditor: {outcome.line()}", file=sys.stderr)
        elif not quiet:
            print(outcome.line())
    return outcomes


def exit_code_after_mail(code: ExitCode, outcomes: list[MailOutcome]) -> ExitCode:
    """A run's exit code once its mails are sent: 7 if any failed, unless a changed host
    key (3) says more."""
    if any(o.status == "failed" for o in outcomes) and code != ExitCode.SECURITY:
        return ExitCode.MAIL
    return code


def _targets(args: argparse.Namespace) -> list[Target]:
    from auditor.inventory import load_inventory

    load = load_inventory(args.inventory, vault_password_file=args.vault_password_file)
    for problem in load.problems:
        print(f"inventory: {problem.one_line()}", file=sys.stderr)
    return list(load.targets)
