"""What a report says when it is not the nightly audit: a site survey, or ``check-here``.

A survey's report is "Bestandsaufnahme vor Vertragsbeginn": the networks that
were searched, and the devices found there that the audit could not log into
because nothing the auditor speaks answered (a web-managed appliance). Devices
that refused the credentials are hosts of the run and say so themselves.
Plain data, handed to the report by the command that made the run.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.report.evidence import text
from auditor.report.words import Words


@dataclass(frozen=True, slots=True)
class Unaudited:
    """A device that answered but offers nothing the auditor can log into."""

    address: str
    name: str
    ports: tuple[int, ...]
    what: str
    kind: str = "web"  # web (only HTTPS answers) or unknown (port 22, but no SSH)


@dataclass(frozen=True, slots=True)
class SurveyNote:
    """``kind``: ``survey`` (``auditor survey``) or ``check_here`` (``auditor check-here``)."""

    kind: str
    networks: tuple[str, ...] = ()
    unaudited: tuple[Unaudited, ...] = ()
    found: int = 0  # devices that answered on a management port


@dataclass(frozen=True, slots=True)
class SurveyView:
    title: str
    detail: str
    unaudited: tuple[tuple[str, str, str, str], ...]  # address, name, ports, why


def survey_view(note: SurveyNote | None, words: Words) -> SurveyView | None:
    """The note in the report's language; None for the nightly audit."""
    if note is None:
        return None
    if note.kind == "check_here":
        return SurveyView(words.t("ui.check_here_title"), words.t("ui.check_here_detail"), ())
    networks = ", ".join(note.networks)
    detail = words.t("ui.survey_detail", networks=networks, found=note.found)
    rows = tuple(
        (text(u.address), text(u.name), ", ".join(str(p) for p in u.ports),
         words.t("ui.survey_unknown" if u.kind == "unknown" else "ui.survey_web_only"))
        for u in note.unaudited
    )  # fmt: skip
    return SurveyView(words.t("ui.survey_title"), detail, rows)
