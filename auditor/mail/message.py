"""One customer's report as a mail: subject with the verdict, text, inlined HTML, the page attached.

Everything it says comes from the same view as the customer's HTML page
(``report/view.py``), rendered for the customer's eyes (``audience="customer"``:
no access details, no MSP notes, no inventory details, no other customer, no
overview). The HTML part has its CSS inlined (css-inline), because Outlook
and Gmail drop ``<style>`` blocks; the attachment is the page as it is on
disk. Headers are built by the ``email`` package (``EmailMessage``), which
encodes umlauts and ``&`` in names; ``Auto-Submitted: auto-generated`` keeps
vacation replies away. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import css_inline

from auditor.model import RunResult
from auditor.report.finding import Described
from auditor.report.overview import CustomerPage
from auditor.report.render import render_customer
from auditor.report.view import CustomerView, ReportOptions, customer_view
from auditor.report.words import Words


def build_message(
    run: RunResult,
    page: CustomerPage,
    options: ReportOptions,
    *,
    sender: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    now: datetime,
) -> EmailMessage:
    """The mail for ``page``'s customer; ``options.audience`` is forced to ``customer``."""
    options = ReportOptions(lang=options.lang, tz=options.tz, changes=options.changes,
                            audience="customer")  # fmt: skip
    view = customer_view(run, page.customer, page.filename, page.hosts, options)
    words = Words(options.lang)
    html = render_customer(run, page, options)
    message = EmailMessage()
    message["Subject"] = words.t("ui.mail_subject", compliant=view.compliant, total=view.total,
                                 customer=page.customer)  # fmt: skip
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Date"] = format_datetime(now)
    domain = sender.rsplit("@", 1)[-1].strip(">").strip() or None
    message["Message-ID"] = make_msgid(idstring=f"auditor.{run.run_id[:8]}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auditor-Run"] = run.run_id
    message.set_content(plain_text(view, words))
    message.add_alternative(css_inline.inline(html), subtype="html")
    message.add_attachment(html.encode("utf-8"), maintype="text", subtype="html",
                           filename=page.filename)  # fmt: skip
    return message


def plain_text(view: CustomerView, words: Words) -> str:
    """The summary and what the customer's IT has to do, one task a line."""
    lines = [
        words.t("ui.mail_greeting"),
        "",
        words.t("ui.mail_intro", customer=view.customer, when=view.audited_at),
        "",
        f"{'✔' if view.compliant == view.total else '✘'} {view.headline}",
        *view.role_lines,
        "",
    ]
    tasks = [
        (host.name, finding)
        for host in view.hosts
        for finding in host.findings
        if finding.owner == "customer_it"
    ]
    if tasks:
        lines.append(words.t("ui.mail_tasks"))
        for name, finding in tasks:
            what = Described.plain(finding.what)
            fix = Described.plain(finding.fix)
            lines.append(f"- {name}: {what}")
            lines.append(f"  {words.t('ui.fix')}: {fix}")
    else:
        lines.append(words.t("ui.mail_no_tasks"))
    others = sum(f.owner != "customer_it" for h in view.hosts for f in h.findings)
    if others:
        lines += ["", words.t("ui.mail_others", count=others)]
    lines += ["", words.t("ui.mail_attachment"), "", "-- ", words.t("ui.mail_footer")]
    return "\n".join(lines) + "\n"
