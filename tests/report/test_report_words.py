"""The word catalogue and local times: complete in every language, German first."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from auditor.errors import ConfigError
from auditor.judge.codes import CODES
from auditor.model import Role, Stage, Verdict
from auditor.report.finding import RAW_PARAMS
from auditor.report.when import local_date, local_time, parse, zone
from auditor.report.words import LANGUAGES, Words, catalogue, placeholders

# What report/finding.py fills into every finding's words besides its own parameters.
COMMON = {"targets", "names", "patterns", "checks", "transport", "since"}


def _entries() -> list[tuple[str, dict[str, str]]]:
    out = []
    for section, entries in catalogue().items():
        for name, value in entries.items():
            if section == "code":
                out += [(f"code.{name}.{part}", texts) for part, texts in value.items()]
            else:
                out.append((f"{section}.{name}", value))
    return out


@pytest.mark.parametrize(("key", "texts"), _entries(), ids=[k for k, _ in _entries()])
def test_every_text_has_every_language_and_the_same_placeholders(
    key: str, texts: dict[str, str]
) -> None:
    assert list(texts) == list(LANGUAGES), f"{key}: German first, then English, nothing else"
    assert all(isinstance(t, str) and t.strip() for t in texts.values())
    assert placeholders(texts["de"]) == placeholders(texts["en"]), key
    assert "<" not in texts["de"] + texts["en"], "texts are plain, never HTML"


def test_every_judge_code_has_words_and_nothing_else_does() -> None:
    """Outcome words for every code; what and fix exactly for the codes that can be findings."""
    words = catalogue()["code"]
    assert set(words) == set(CODES)
    for code, entry in CODES.items():
        parts = {"outcome"} if entry.owner is None else {"outcome", "what", "fix"}
        assert set(words[code]) == parts, code


def test_outcome_words_have_no_placeholders() -> None:
    """An outcome is shown unfilled beside the raw facts: a ``{field}`` there would print as is."""
    for lang in LANGUAGES:
        for code in CODES:
            assert not placeholders(Words(lang).code(code, "outcome")), (lang, code)


@pytest.mark.parametrize("code", sorted(c for c, e in CODES.items() if e.owner is not None))
def test_finding_words_name_only_what_the_code_carries(code: str) -> None:
    """A placeholder the judge never fills would print an ellipsis in a customer's report."""
    allowed = COMMON | set(CODES[code].params)
    for part in ("what", "fix"):
        used = placeholders(Words("de").code(code, part))
        assert used <= allowed, f"{code}.{part} names {sorted(used - allowed)}"


def test_raw_parameters_are_facts_not_words() -> None:
    declared = {p for entry in CODES.values() for p in entry.params}
    assert declared >= RAW_PARAMS - {"error"} and "port" not in RAW_PARAMS


def test_every_verdict_stage_role_and_state_has_words() -> None:
    for lang in LANGUAGES:
        words = Words(lang)
        for verdict in Verdict:
            assert words.verdict(verdict).split(" ", 1)[1] == words.t("verdict." + verdict.value)
        for stage in Stage:
            assert words.t("stage." + stage.value)
        for role in Role:
            assert words.t("role." + role.value) and words.t("roles." + role.value)
        for state in ("admin", "not_admin", "auth_failed", "credentials_missing", "unknown"):
            assert words.t("state." + state)


def test_inconclusive_never_reads_like_a_pass() -> None:
    de, en = Words("de"), Words("en")
    assert de.verdict(Verdict.INCONCLUSIVE) == "? nicht bewiesen"
    assert "offen oder gefiltert, nicht bewiesen" in de.t("verdict_meaning.inconclusive")
    assert "erfüllt" not in de.verdict(Verdict.INCONCLUSIVE)
    assert "pass" not in en.verdict(Verdict.INCONCLUSIVE)
    for code, entry in CODES.items():
        if entry.verdict is Verdict.INCONCLUSIVE:
            assert "nicht bewiesen" in de.code(code, "what") + de.code(code, "outcome") or (
                "keine Antwort" in de.code(code, "what")
            ), f"{code}: an unproven finding must say so"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="fr"):
        Words("fr")


@pytest.mark.parametrize(
    ("iso", "zone_name", "lang", "expected"),
    [
        ("2026-11-25T02:05:00+00:00", "Europe/Berlin", "de", "25.11.2026, 03:05 MEZ"),
        ("2026-07-01T10:00:00+00:00", "Europe/Berlin", "de", "01.07.2026, 12:00 MESZ"),
        ("2026-11-25T02:05:00+00:00", "Europe/Berlin", "en", "2026-11-25 03:05 CET"),
        ("2026-11-25T02:05:00+00:00", "UTC", "de", "25.11.2026, 02:05 UTC"),
        ("2026-11-25T02:05:00+00:00", "America/New_York", "en", "2026-11-24 21:05 EST"),
    ],
)
def test_local_time_with_zone(iso: str, zone_name: str, lang: str, expected: str) -> None:
    assert local_time(parse(iso), ZoneInfo(zone_name), lang) == expected


def test_local_date_is_the_day_in_the_zone() -> None:
    late = parse("2026-11-19T23:30:00+00:00")  # already the 20th in Berlin
    assert local_date(late, ZoneInfo("Europe/Berlin"), "de") == "20.11.2026"
    assert local_date(late, ZoneInfo("UTC"), "en") == "2026-11-19"


def test_zone_names_and_the_machine_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    assert zone("Europe/Vienna") == ZoneInfo("Europe/Vienna")
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")
    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert zone(None) == ZoneInfo("Europe/Berlin")
    monkeypatch.setenv("TZ", "Not/AZone")
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert moment.astimezone(zone(None)).utcoffset() is not None  # falls back, never crashes
