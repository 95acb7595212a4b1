"""The evidence behind a verdict, as facts a person reads: rows per observed item, or facts.

The judge wrote, beside the raw observation of every item, its ``outcome``
code and ``verdict``; this module words the outcome and keeps the raw values
(addresses, errno names, tool messages, certificate names) apart, to be shown
as code. Evidence comes from hosts and the network, so it is untrusted and of
any size: every value here is flattened to one bounded line of text
(escaping happens in the templates, with autoescape on). Which facts a kind
has (targets for tcp, udp and tls; queries for dns; the sudo answers for
admin) follows the judge's evidence shapes (docs/observations.md). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from auditor.model import Check
from auditor.report.when import local_time, parse
from auditor.report.words import Words

MAX_TEXT = 300  # characters per cell; longer values end in an ellipsis


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One observed item: what was tried, where, what came of it, the raw answer, how long."""

    target: str
    address: str
    result: str
    verdict: str
    raw: str
    duration: str


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact of a check as ``label: text`` plus its raw value (shown as code)."""

    label: str
    text: str
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    facts: tuple[Fact, ...]
    rows: tuple[EvidenceRow, ...]


def text(value: object, limit: int = MAX_TEXT) -> str:
    """One line of at most ``limit`` characters; lone surrogates and controls replaced."""
    flat = " ".join(str(value).split())
    clean = replace_unprintable(flat)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


# C0 and C1 controls and lone surrogates; the second keeps newline and tab
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_UNPRINTABLE_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def replace_unprintable(value: str, *, keep_lines: bool = False) -> str:
    """``value`` with each control character and lone surrogate replaced by U+FFFD.

    One regular expression, not a loop per character: a report of a
    thousand hosts passes millions of characters through here.
    """
    if value.isprintable():  # the common case, answered in C: nothing to replace
        return value
    pattern = _UNPRINTABLE_BUT_LINES if keep_lines else _UNPRINTABLE
    return pattern.sub("\ufffd", value)


def duration(seconds: object, lang: str = "en") -> str:
    """``3.4 ms`` below a second, ``1.25 s`` above; empty when unknown."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return ""
    shown = f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
    return shown.replace(".", ",") if lang == "de" else shown


def evidence_of(check: Check, kind: str, words: Words, tz: tzinfo) -> Evidence:
    """The facts and rows of one check's evidence; both empty when nothing was observed."""
    build = _KINDS.get(kind, _generic)
    found = build(check.evidence, words, tz)
    if not found.facts and not found.rows and check.findings:
        outcomes = "; ".join(_outcome(words, f.code) for f in check.findings)
        return Evidence((Fact(words.t("fact.outcome"), outcomes),), ())
    return found


def _outcome(words: Words, code: object) -> str:
    return words.code(str(code)) if isinstance(code, str) and words.has_code(code) else ""


def _row(item: Mapping[str, Any], words: Words, target: str, address: str, raw: str) -> EvidenceRow:
    result = _outcome(words, item.get("outcome"))
    if not result:  # an older results file: no outcome code, only the raw status
        raw = "; ".join(p for p in (text(item.get("status", "?")), raw) if p)
    return EvidenceRow(
        target=target,
        address=address,
        result=result,
        verdict=str(item.get("verdict") or ""),
        raw=text(raw),
        duration=duration(item.get("duration_s"), words.lang),
    )


def _endpoints(evidence: Mapping[str, Any], words: Words, tz: tzinfo) -> Evidence:
    rows = []
    for item in _mappings(evidence.get("targets")):
        keys = ("errno_name", "verify_message", "error", "reason")
        parts = [text(item.get(k)) for k in keys if item.get(k)]
        presented = item.get("presented")
        issuer = presented.get("issuer") if isinstance(presented, Mapping) else item.get("issuer")
        if isinstance(issuer, Mapping) and issuer:
            parts.append("issuer: " + ", ".join(text(v) for v in issuer.values()))
        if item.get("status") == "echoed" and item.get("nonce"):
            parts.append(f"nonce {text(item.get('nonce'))}")
        if item.get("reply_hex"):
            parts.append(f"reply {text(item.get('reply_hex'), 80)}")
        target = f"{text(item.get('host'))}:{text(item.get('port'))}"
        rows.append(_row(item, words, target, text(item.get("address") or ""), "; ".join(parts)))
    return Evidence((), tuple(rows))


def _dns(evidence: Mapping[str, Any], words: Words, tz: tzinfo) -> Evidence:
    conf = text(evidence.get("resolv_conf") or "/etc/resolv.conf")
    if evidence.get("resolvers_from") == "adapters":  # Windows: per network adapter
        conf = words.t("ui.adapter_dns")
    resolvers = ", ".join(text(r) for r in _list(evidence.get("resolvers")))
    facts = [
        Fact(
            words.t("fact.resolvers", resolv_conf=conf),
            "" if resolvers else words.t("fact.none"),
            resolvers,
        )
    ]
    problems = "; ".join(text(p) for p in _list(evidence.get("problems")))
    if problems:
        facts.append(Fact(words.t("fact.resolver_problems", resolv_conf=conf), "", problems))
    rows = []
    for query in _mappings(evidence.get("queries")):
        rows.append(_row(query, words, text(query.get("name")), text(query.get("resolver")),
                         _dns_raw(query)))  # fmt: skip
    return Evidence(tuple(facts), tuple(rows))


def _dns_system(evidence: Mapping[str, Any], words: Words, tz: tzinfo) -> Evidence:
    rows = []
    for item in _mappings(evidence.get("names")):
        method = text(item.get("method") or "getaddrinfo")
        rows.append(_row(item, words, text(item.get("name")), "", f"{method}: {_dns_raw(item)}"))
    return Evidence((), tuple(rows))


def _dns_raw(item: Mapping[str, Any]) -> str:
    parts = [text(item["rcode"])] if item.get("rcode") else []
    addresses = [a.get("address") or a.get("target") for a in _mappings(item.get("answers"))]
    addresses += _list(item.get("addresses"))
    if addresses:
        parts.append(", ".join(text(a) for a in addresses if a))
    keys = ("gai_name", "errno_name", "error", "reason", "tool")
    parts += [text(item[k]) for k in keys if item.get(k)]
    if item.get("id_ok") is False:
        parts.append("wrong query id")
    return "; ".join(parts)


def _admin(evidence: Mapping[str, Any], words: Words, tz: tzinfo) -> Evidence:
    facts = [Fact(words.t("fact.outcome"), _outcome(words, evidence.get("outcome")))]
    state = evidence.get("state")
    if isinstance(state, str) and state in ("admin", "not_admin", "auth_failed",
                                            "credentials_missing", "unknown"):  # fmt: skip
        facts.append(Fact(words.t("fact.state"), words.t(f"state.{state}")))
    user, uid = evidence.get("user"), evidence.get("uid")
    account = " ".join(
        p
        for p in (text(user) if user else "", f"(uid {text(uid)})" if uid is not None else "")
        if p
    )
    if account:
        facts.append(Fact(words.t("fact.account"), "", account))
    for key in ("sudo_nopasswd", "sudo_password"):
        answer = evidence.get(key)
        if isinstance(answer, Mapping):
            status = str(answer.get("status"))
            said = words.t(f"sudo.{status}") if status in _SUDO else ""
            facts.append(
                Fact(
                    words.t(f"fact.{key}"),
                    said,
                    text(answer.get("message") or (status if not said else "")),
                )
            )
    facts += _token_facts(evidence, words)
    facts += _device_facts(evidence, words)
    if evidence.get("groups"):
        facts.append(
            Fact(
                words.t("fact.groups"),
                "",
                ", ".join(text(g) for g in _list(evidence.get("groups"))),
            )
        )
    if evidence.get("observed_at"):
        try:
            when = local_time(parse(str(evidence["observed_at"])), tz, words.lang)
        except ValueError:
            when = text(evidence["observed_at"])
        facts.append(Fact(words.t("fact.observed_at"), when))
    return Evidence(tuple(f for f in facts if f.text or f.raw), ())


_SUDO = ("ok", "needs_password", "wrong_password", "denied", "absent", "timeout", "error")
_ENABLE = ("ok", "not_needed", "not_requested", "wrong_secret", "no_secret", "refused")


def _device_facts(evidence: Mapping[str, Any], words: Words) -> list[Fact]:
    """A network device: what it is, the privilege it states, enable, and its own words."""
    device = evidence.get("device")
    if not isinstance(device, Mapping):
        return []
    named = [device.get(k) for k in ("label", "model") if device.get(k)]
    if device.get("version"):
        named.append(f"{words.t('fact.version')} {device['version']}")
    facts = [Fact(words.t("fact.device"), "", text(", ".join(str(n) for n in named)))]
    level, highest = evidence.get("level"), evidence.get("highest_level")
    if isinstance(level, int) and isinstance(highest, int):
        said = words.t("fact.level_of").format(level=level, highest=highest)
        facts.append(Fact(words.t("fact.privilege_level"), said))
    if evidence.get("role"):
        facts.append(Fact(words.t("fact.role"), "", text(evidence["role"])))
    if evidence.get("permissions"):
        granted = ", ".join(text(p) for p in _list(evidence["permissions"]))
        facts.append(Fact(words.t("fact.permissions"), "", text(granted)))
    enable = evidence.get("enable")
    status = enable.get("status") if isinstance(enable, Mapping) else None
    if status in _ENABLE:
        message = enable.get("message") if isinstance(enable, Mapping) else None
        facts.append(Fact(words.t("fact.enable"), words.t(f"enable.{status}"),
                          text(message) if message else ""))  # fmt: skip
    for said in _list(evidence.get("commands")):
        if isinstance(said, Mapping) and said.get("command"):
            lines = " / ".join(text(line) for line in _list(said.get("lines")))
            answer = f"{said['command']} → {lines or '—'}"
            facts.append(Fact(words.t("fact.device_answer"), "", text(answer)))
    return facts


_ACCOUNTS = ("local", "domain", "builtin_administrator")
_TOKEN = ("enabled", "deny_only", "absent")


def _token_facts(evidence: Mapping[str, Any], words: Words) -> list[Fact]:
    """Windows: account kind, the Administrators group in the token, UAC's policy values."""
    facts: list[Fact] = []
    kind = evidence.get("account")
    if kind in _ACCOUNTS:
        facts.append(Fact(words.t("fact.account_kind"), words.t(f"account.{kind}")))
    group = evidence.get("admin_group")
    if group in _TOKEN:
        elevated = evidence.get("elevated")
        said = words.t(f"token.{group}")
        if isinstance(elevated, bool):
            said += ", " + words.t("token.elevated" if elevated else "token.not_elevated")
        if evidence.get("domain_admins"):
            said += ", " + words.t("token.domain_admins")
        facts.append(Fact(words.t("fact.token"), said, text(evidence.get("integrity") or "")))
    uac = evidence.get("uac")
    if isinstance(uac, Mapping):
        names = (("enable_lua", "EnableLUA"),
                 ("local_account_token_filter_policy", "LocalAccountTokenFilterPolicy"),
                 ("filter_administrator_token", "FilterAdministratorToken"))  # fmt: skip
        unset = words.t("fact.not_set")
        shown = ", ".join(f"{name} = {text(uac.get(key)) if uac.get(key) is not None else unset}"
                          for key, name in names)  # fmt: skip
        facts.append(Fact(words.t("fact.uac"), "", shown))
    return facts


def _teamviewer(evidence: Mapping[str, Any], words: Words, tz: tzinfo) -> Evidence:
    if not evidence:
        return Evidence((), ())
    facts = [Fact(words.t("fact.outcome"), _outcome(words, evidence.get("outcome")))]
    package, version = evidence.get("package"), evidence.get("version")
    windows = evidence.get("service_method") == "scm"
    product = evidence.get("product")  # Windows: the product's own name is the evidence
    if windows:
        shown = " ".join(text(p) for p in (product, version) if p) if product else ""
        facts.append(Fact(words.t("fact.product"), "" if product else words.t("fact.no_product"),
                          shown))  # fmt: skip
    elif package:
        facts.append(
            Fact(words.t("fact.package"), "", " ".join(text(p) for p in (package, version) if p))
        )
    else:
        facts.append(Fact(words.t("fact.package"), words.t("fact.no_package")))
    running = evidence.get("running")
    state = "fact.running_unknown"
    if isinstance(running, bool):
        state = "fact.running" if running else "fact.not_running"
    label = words.t("fact.service_windows" if windows else "fact.service")
    facts.append(Fact(label, words.t(state), text(evidence.get("start_mode") or "")))
    if evidence.get("custom_config_id"):
        facts.append(Fact(words.t("fact.custom_module"), "", text(evidence["custom_config_id"])))
    client_id = evidence.get("client_id")
    facts.append(Fact(words.t("fact.client_id"), "" if client_id else words.t("fact.not_read"),
                      text(client_id) if client_id else ""))  # fmt: skip
    facts += _enrollment_facts(evidence, words)
    if evidence.get("binaries"):
        facts.append(
            Fact(
                words.t("fact.programs"),
                "",
                ", ".join(text(b) for b in _list(evidence.get("binaries"))),
            )
        )
    if evidence.get("config_via"):
        facts.append(Fact(words.t("fact.config_via"), "", text(evidence.get("config_via"))))
    return Evidence(tuple(f for f in facts if f.text or f.raw), ())


def _enrollment_facts(evidence: Mapping[str, Any], words: Words) -> list[Fact]:
    """The host's own device-management record, and what the MSP's device list said of it."""
    facts = []
    management = evidence.get("management")
    if isinstance(management, Mapping):
        ident = management.get("management_id")
        if management.get("unmanaged"):
            facts.append(
                Fact(words.t("fact.management"), words.t("fact.unmanaged"), text(ident or ""))
            )
        elif ident:
            facts.append(Fact(words.t("fact.management"), words.t("fact.managed"), text(ident)))
        else:
            facts.append(Fact(words.t("fact.management"), words.t("fact.unassigned")))
    assignment = evidence.get("assignment")
    if isinstance(assignment, Mapping):
        state, label = assignment.get("state"), words.t("fact.assignment")
        if state == "msp":
            device = assignment.get("device") or {}
            said = words.t("fact.assignment_msp", name=text(device.get("name") or "", 100))
            policy = device.get("policy_id")
            facts.append(Fact(label, said, f"policy {text(policy)}" if policy else ""))
        elif state == "other_company":
            said = words.t("fact.assignment_other", devices=assignment.get("msp_devices") or 0)
            facts.append(Fact(label, said))
        elif state == "not_checked":
            facts.append(Fact(label, words.t("fact.assignment_not_checked"),
                              text(assignment.get("why") or "")))  # fmt: skip
    return facts


def _generic(evidence: Mapping[str, Any], words: Words, tz: tzinfo) -> Evidence:
    """A kind this version has no words for: every key as raw data."""
    return Evidence(tuple(Fact(text(k), "", text(v)) for k, v in evidence.items()), ())


_KINDS: Mapping[str, Callable[[Mapping[str, Any], Words, tzinfo], Evidence]] = {
    "tcp": _endpoints,
    "udp": _endpoints,
    "tls": _endpoints,
    "dns": _dns,
    "dns_system": _dns_system,
    "admin": _admin,
    "teamviewer": _teamviewer,
}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _mappings(value: object) -> list[Mapping[str, Any]]:
    return [v for v in _list(value) if isinstance(v, Mapping)]


def endpoint(address: str, port: object) -> str:
    """``address:port`` as SSH and URLs write it (an IPv6 address in brackets)."""
    if port in (None, ""):
        return address
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def access_facts(access: Mapping[str, Any], words: Words) -> tuple[Fact, ...]:
    """How the auditor reached the host, as facts (raw values shown as code); first,
    for a scheduled run, from which site and worker."""
    return (*_vantage(access, words), *_reached(access, words))


def _vantage(access: Mapping[str, Any], words: Words) -> tuple[Fact, ...]:
    vantage = access.get("vantage")
    if not isinstance(vantage, Mapping) or not vantage.get("site"):
        return ()
    raw = f"{text(vantage.get('worker') or '')}, auditor {text(vantage.get('auditor_version'))}"
    said = words.t("fact.vantage_site", site=text(vantage["site"]))
    return (Fact(words.t("fact.access_vantage"), said, raw),)


def _reached(access: Mapping[str, Any], words: Words) -> tuple[Fact, ...]:
    if not access.get("address"):
        return ()
    if access.get("transport") == "winrm":
        return _winrm_access(access, words)
    shown = endpoint(str(access["address"]), access.get("port"))
    facts = [Fact(words.t("fact.access_endpoint"), "", text(shown))]
    if access.get("user"):
        facts.append(Fact(words.t("fact.access_user"), "", text(access["user"])))
    auth = access.get("auth")
    if isinstance(auth, str) and auth in ("agent", "file", "inventory", "password"):
        said = words.t(f"auth.{auth}")
        if access.get("certificate"):
            said += " " + words.t("auth.certificate")
        raw = " ".join(text(access[k]) for k in ("key", "fingerprint") if access.get(k))
        facts.append(Fact(words.t("fact.access_auth"), said, raw))
    for key in ("via", "server", "host_key"):
        if access.get(key):
            facts.append(Fact(words.t(f"fact.access_{key}"), "", text(access[key])))
    algorithms = [text(access[k]) for k in ("kex", "cipher", "mac") if access.get(k)]
    if algorithms:
        facts.append(
            Fact(words.t("fact.access_algorithms"), "", ", ".join(dict.fromkeys(algorithms)))
        )
    if access.get("unusable_keys"):
        unusable = "; ".join(text(k) for k in _list(access["unusable_keys"]))
        facts.append(Fact(words.t("fact.access_unusable"), "", unusable))
    return tuple(facts)


def _winrm_access(access: Mapping[str, Any], words: Words) -> tuple[Fact, ...]:
    """WinRM: the endpoint, the account and how it logged in, what protected the traffic."""
    facts = [Fact(words.t("fact.access_endpoint"), "", text(access.get("endpoint") or ""))]
    if access.get("user"):
        facts.append(Fact(words.t("fact.access_user"), "", text(access["user"])))
    if access.get("auth_used"):
        facts.append(Fact(words.t("fact.access_auth"), words.t("auth.winrm"),
                          text(access["auth_used"])))  # fmt: skip
    if access.get("encrypted") in ("tls", "message", "none"):
        facts.append(Fact(words.t("fact.access_encryption"),
                          words.t(f"encryption.{access['encrypted']}"), ""))  # fmt: skip
    cert = access.get("certificate")
    if isinstance(cert, Mapping):
        shown = "; ".join(text(cert.get(k)) for k in ("subject", "issuer", "sha256") if cert.get(k))
        facts.append(Fact(words.t("fact.access_certificate"), "", shown))
    return tuple(facts)
