"""Times as a person reads them: local wall-clock time with its zone.

Results carry ISO 8601 times with an offset (usually UTC). Reports show them
in the auditor machine's zone (or ``--timezone``), e.g. ``25.11.2026, 04:03
MEZ`` in German and ``2026-11-25 04:03 CET`` in English, so a customer in
Germany reads German wall-clock time. :func:`local_zone` is the only part
that looks at the machine (``TZ``, ``/etc/localtime``); formatting is pure.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from auditor.errors import ConfigError

# German names of the zones German readers meet; others keep their abbreviation.
_GERMAN_ZONE_NAMES = {"CET": "MEZ", "CEST": "MESZ"}


def zone(name: str | None) -> tzinfo:
    """The named IANA zone (``Europe/Berlin``), or the machine's own when ``name`` is None."""
    if name is None:
        return local_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"--timezone: unknown time zone {name!r} (e.g. Europe/Berlin)") from None


def local_zone() -> tzinfo:
    """The machine's zone: ``$TZ``, else the ``/etc/localtime`` link, else its fixed offset."""
    for candidate in (os.environ.get("TZ", "").lstrip(":"), _localtime_key()):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return datetime.now().astimezone().tzinfo or ZoneInfo("UTC")


def _localtime_key() -> str:
    link = Path("/etc/localtime")
    try:
        target = str(link.resolve()) if link.is_symlink() else ""
    except OSError:
        return ""
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else ""


def parse(iso: str) -> datetime:
    """An ISO 8601 time; one without offset is taken as UTC (the results schema forbids it)."""
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def local_time(moment: datetime, tz: tzinfo, lang: str) -> str:
    """``25.11.2026, 04:03 MEZ`` (de) or ``2026-11-25 04:03 CET`` (en)."""
    here = moment.astimezone(tz)
    name = here.tzname() or here.strftime("%z")
    if lang == "de":
        return f"{here:%d.%m.%Y, %H:%M} {_GERMAN_ZONE_NAMES.get(name, name)}"
    return f"{here:%Y-%m-%d %H:%M} {name}"


def local_date(moment: datetime, tz: tzinfo, lang: str) -> str:
    """``20.11.2026`` (de) or ``2026-11-20`` (en): the day ``moment`` falls on in ``tz``."""
    here = moment.astimezone(tz)
    return f"{here:%d.%m.%Y}" if lang == "de" else f"{here:%Y-%m-%d}"
