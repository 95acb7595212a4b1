"""The words a person reads in the reports: one catalogue, German first.

Every text lives in ``words.yaml`` beside this module, one entry per key with
one text per language, so a translator edits one file and a test proves that
no language misses a key or a placeholder. Verdicts are shown as a symbol and
a word (never colour alone), and ``inconclusive`` never reads like a pass.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml

from auditor.model import Verdict

LANGUAGES: tuple[str, ...] = ("de", "en")
DEFAULT_LANG = "de"

# Symbols that survive mail clients and printers; always paired with a word.
SYMBOLS: Mapping[Verdict, str] = {
    Verdict.PASS: "✔",
    Verdict.FAIL: "✘",
    Verdict.INCONCLUSIVE: "?",
    Verdict.ERROR: "!",
    Verdict.NOT_APPLICABLE: "–",
}


@cache
def catalogue() -> Mapping[str, Mapping[str, Any]]:
    """The parsed ``words.yaml`` (package data, read once)."""
    text = resources.files("auditor.report").joinpath("words.yaml").read_text("utf-8")
    data: dict[str, Mapping[str, Any]] = yaml.safe_load(text)
    return data


def placeholders(text: str) -> frozenset[str]:
    """The ``{names}`` a text expects."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


class Words:
    """Texts in one language; ``Words("de").t("ui.device")``.

    A missing key raises ``KeyError`` at once (tests render every key), so a
    typo never ships as an empty cell.
    """

    __slots__ = ("lang",)

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"report language {lang!r} is not one of {', '.join(LANGUAGES)}")
        self.lang = lang

    def t(self, key: str, **params: object) -> str:
        """The text ``section.name`` filled with ``params`` (``str.format`` fields)."""
        section, _, name = key.partition(".")
        text: str = catalogue()[section][name][self.lang]
        return text.format(**params) if params else text

    def code(self, code: str, part: str = "outcome") -> str:
        """``outcome``, ``what`` or ``fix`` of a judge code, unfilled (``{port}`` stays)."""
        text: str = catalogue()["code"][code][part][self.lang]
        return text

    def has_code(self, code: str) -> bool:
        return code in catalogue()["code"]

    def verdict(self, verdict: Verdict) -> str:
        """Symbol and word, e.g. ``✘ nicht erfüllt``."""
        return f"{SYMBOLS[verdict]} {self.t('verdict.' + verdict.value)}"
