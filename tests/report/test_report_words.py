"""The word catalogue and local times: complete in every language, German first."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from auditor.errors import ConfigError
from auditor.model import CHECK_IDS, Role, Stage, Verdict
from auditor.report.view import COLUMNS
from auditor.report.when import local_time, parse, zone
from auditor.report.words import LANGUAGES, Words, catalogue, placeholders


def _entries() -> list[tuple[str, dict[str, str]]]:
    out = []
    for section, entries in catalogue().items():
        for name, value in entries.items():
            if section == "finding":
                out += [(f"finding.{name}.{part}", value[part]) for part in ("what", "fix")]
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


def test_every_verdict_stage_role_and_check_has_words() -> None:
    for lang in LANGUAGES:
        words = Words(lang)
        for verdict in Verdict:
            assert words.verdict(verdict).split(" ", 1)[1] == words.t("verdict." + verdict.value)
        for stage in Stage:
            assert words.t("stage." + stage.value)
        for role in Role:
            assert words.t("role." + role.value) and words.t("roles." + role.value)
        for check_id in CHECK_IDS:
            assert words.t("column." + check_id)
    assert sorted(COLUMNS) == sorted(CHECK_IDS)


def test_inconclusive_never_reads_like_a_pass() -> None:
    de, en = Words("de"), Words("en")
    assert de.verdict(Verdict.INCONCLUSIVE) == "? nicht bewiesen"
    assert "offen oder gefiltert, nicht bewiesen" in de.t("verdict_meaning.inconclusive")
    assert "erfüllt" not in de.verdict(Verdict.INCONCLUSIVE)
    assert "pass" not in en.verdict(Verdict.INCONCLUSIVE)


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


def test_zone_names_and_the_machine_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    assert zone("Europe/Vienna") == ZoneInfo("Europe/Vienna")
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")
    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert zone(None) == ZoneInfo("Europe/Berlin")
    monkeypatch.setenv("TZ", "Not/AZone")
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert moment.astimezone(zone(None)).utcoffset() is not None  # falls back, never crashes
