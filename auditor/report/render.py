"""Turns a run's results into HTML, per customer and one overview; pure, no I/O.

Every template is rendered with autoescape on: host names, device output and
certificate fields are untrusted and end up escaped. Nothing here reads
secrets; results carry none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from auditor.model import CHECK_IDS, HostResult, RunResult, Stage, Verdict
from auditor.names import ascii_slug
from auditor.report.words import STAGE_WORDS, VERDICT_WORDS, check_title

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True, slots=True)
class CustomerPage:
    customer: str
    filename: str
    hosts: tuple[HostResult, ...]

    @property
    def compliant(self) -> int:
        return sum(h.compliant for h in self.hosts)


def customer_pages(run: RunResult) -> tuple[CustomerPage, ...]:
    """One page per customer, file names unique even when two names slug alike."""
    by_customer: dict[str, list[HostResult]] = {}
    for host in run.hosts:
        by_customer.setdefault(host.customer, []).append(host)
    pages, used = [], {"index"}  # never overwrite the overview
    for customer in sorted(by_customer):
        base = ascii_slug(customer)
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        hosts = sorted(by_customer[customer], key=_problems_first)
        pages.append(CustomerPage(customer, f"{name}.html", tuple(hosts)))
    return tuple(pages)


def _problems_first(host: HostResult) -> tuple[int, int, str]:
    failing = sum(
        c.verdict is not Verdict.PASS and c.verdict is not Verdict.NOT_APPLICABLE
        for c in host.checks
    )
    return (host.compliant, -failing, host.name)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        CHECK_IDS=CHECK_IDS,
        verdict_word=lambda v, lang: VERDICT_WORDS[lang][Verdict(v)],
        stage_word=lambda s, lang: STAGE_WORDS[lang][Stage(s)],
        check_title=check_title,
    )
    return env


def render_customer(
    run: RunResult, page: CustomerPage, titles: Mapping[str, Mapping[str, str]], lang: str = "de"
) -> str:
    template = _environment().get_template("customer.html.j2")
    return template.render(run=run, page=page, titles=titles, lang=lang)


def render_index(run: RunResult, pages: tuple[CustomerPage, ...], lang: str = "de") -> str:
    template = _environment().get_template("index.html.j2")
    return template.render(run=run, pages=pages, lang=lang)
