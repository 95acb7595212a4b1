"""The words a person reads for each verdict and stage, German first.

A verdict is always shown as a symbol and a word, never colour alone, and
``inconclusive`` never reads like a pass.
"""

from __future__ import annotations

from collections.abc import Mapping

from auditor.model import Stage, Verdict

VERDICT_WORDS: Mapping[str, Mapping[Verdict, str]] = {
    "de": {
        Verdict.PASS: "✔ erfüllt",
        Verdict.FAIL: "✘ nicht erfüllt",
        Verdict.INCONCLUSIVE: "? nicht bewiesen",
        Verdict.ERROR: "! nicht geprüft",
        Verdict.NOT_APPLICABLE: "– entfällt",
    },
    "en": {
        Verdict.PASS: "✔ pass",
        Verdict.FAIL: "✘ fail",
        Verdict.INCONCLUSIVE: "? not proven",
        Verdict.ERROR: "! not checked",
        Verdict.NOT_APPLICABLE: "– n/a",
    },
}

STAGE_WORDS: Mapping[str, Mapping[Stage, str]] = {
    "de": {
        Stage.INVENTORY: "Inventar fehlerhaft",
        Stage.RESOLVE: "Adresse nicht auflösbar",
        Stage.CONNECT: "nicht erreichbar",
        Stage.HOSTKEY: "Hostschlüssel nicht vertrauenswürdig",
        Stage.AUTH: "Anmeldung abgelehnt",
        Stage.ADMIN: "keine Adminrechte",
        Stage.PROBE: "Prüfung fehlgeschlagen",
        Stage.JUDGED: "vollständig geprüft",
    },
    "en": {
        Stage.INVENTORY: "inventory entry unusable",
        Stage.RESOLVE: "address does not resolve",
        Stage.CONNECT: "unreachable",
        Stage.HOSTKEY: "host key not trusted",
        Stage.AUTH: "login refused",
        Stage.ADMIN: "no admin rights",
        Stage.PROBE: "probe failed",
        Stage.JUDGED: "fully audited",
    },
}

_FALLBACK_TITLES = {
    "tcp_5938": "TeamViewer 5938/TCP",
    "udp_5938": "TeamViewer 5938/UDP",
    "tcp_80": "HTTP 80/TCP",
    "tcp_443": "HTTPS 443/TCP",
    "tls_443": "TLS 443",
    "dns_udp": "DNS 53/UDP",
    "dns_tcp": "DNS 53/TCP",
    "dns_system": "DNS (System)",
    "admin": "Admin",
    "teamviewer": "TeamViewer Host",
}


def check_title(titles: Mapping[str, Mapping[str, str]], check_id: str, lang: str) -> str:
    """The profile's title for a check in ``lang``, falling back to a neutral short name."""
    return titles.get(check_id, {}).get(lang) or _FALLBACK_TITLES.get(check_id, check_id)
