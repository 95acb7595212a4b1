"""Admin rights of the credentials we hold (requirements.md: uid 0, sudo, become password).

The contract excuses delays caused by missing or invalid credentials, so this
check is also *evidence*: every admin Check carries ``state`` (``admin``,
``not_admin``, ``auth_failed``, ``credentials_missing``; ``unknown`` when
nothing could be observed), ``observed_at`` (the controller's clock, ISO 8601
with offset: the host's clock may be wrong) and ``user``; an ``admin`` state
also carries ``method`` (``uid0``, ``sudo_nopasswd``, ``sudo_password``).

Rules, first match wins (observations from the payload's ``admin`` section,
docs/observations.md):

* effective uid 0 -> pass (uid0)
* ``sudo -n true`` succeeded -> pass (sudo_nopasswd)
* ``sudo -S`` with the become password succeeded -> pass (sudo_password)
* sudo refused the become password -> fail, not_admin ("wrong become password")
* sudo says the user may not use it -> fail, not_admin ("not in sudoers")
* no sudo at all -> fail, not_admin
* sudo asks for a password and the inventory holds none -> fail, not_admin
* a sudo answer we cannot classify -> inconclusive; nothing observed -> error

Pure: no I/O, the time is an input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.model import Check, Verdict

STATES = ("admin", "not_admin", "auth_failed", "credentials_missing")
_NO_PASSWORD = (
    "Sudo asks for a password we do not hold (no ansible_become_password in the inventory)."
)


def judge_admin(
    observations: Mapping[str, Any], *, observed_at: str = "", user: str | None = None
) -> Check:
    """The admin Check from one payload document; ``user`` is the login name we used."""
    section = observations.get("admin")
    if not isinstance(section, Mapping):
        return _uid_only(observations, observed_at, user)
    who = section.get("user") or user
    evidence: dict[str, Any] = {"observed_at": observed_at, "user": who, "uid": section.get("euid")}
    if section.get("status") in ("timeout", "error"):
        return _unknown(
            Verdict.ERROR, f"Admin rights could not be observed: {section.get('error')}.", evidence
        )
    if "groups" in section:
        evidence["groups"] = section["groups"]
    nopasswd, password = _status(section, "sudo_nopasswd"), _status(section, "sudo_password")
    for key in ("sudo_nopasswd", "sudo_password"):
        if isinstance(section.get(key), Mapping):
            evidence[key] = {k: section[key].get(k) for k in ("status", "message")}
    if section.get("euid") == 0:
        return _admin("uid0", f"Logged in as {who or 'root'} (uid 0).", evidence)
    if nopasswd == "ok":
        return _admin("sudo_nopasswd", f"User {who} may use sudo without a password.", evidence)
    if password == "ok":
        return _admin(
            "sudo_password", f"User {who} may use sudo with the become password.", evidence
        )
    if password == "wrong_password":
        return _not_admin("Sudo refused the become password (wrong become password).", evidence)
    if "denied" in (nopasswd, password):
        return _not_admin(f"User {who} is not allowed to use sudo (not in sudoers).", evidence)
    if nopasswd == "absent":
        return _not_admin(f"User {who} is not root and sudo is not installed.", evidence)
    if nopasswd == "needs_password" and not section.get("become_password_given"):
        return _not_admin(_NO_PASSWORD, evidence)
    detail = _detail(section)
    if "timeout" in (nopasswd, password) or nopasswd is None:
        return _unknown(Verdict.ERROR, f"Sudo could not be observed: {detail}.", evidence)
    return _unknown(
        Verdict.INCONCLUSIVE, f"Sudo gave an answer we cannot judge: {detail}.", evidence
    )


def login_refused(
    reason: str, *, credentials_missing: bool, observed_at: str = "", user: str | None = None
) -> Check:
    """The admin Check of a host whose login failed (stage ``auth``): always ``fail``."""
    evidence = {"observed_at": observed_at, "user": user, "stage": "auth"}
    if credentials_missing:
        text = f"The inventory holds no usable credentials for this host: {reason}."
        return Check("admin", Verdict.FAIL, text, {**evidence, "state": "credentials_missing"})
    text = f"The credentials we hold were refused: {reason}."
    return Check("admin", Verdict.FAIL, text, {**evidence, "state": "auth_failed"})


def _uid_only(observations: Mapping[str, Any], observed_at: str, user: str | None) -> Check:
    """A payload without an ``admin`` section (older or minimal flavours): uid 0 or not proven."""
    uid = observations.get("uid")
    evidence: dict[str, Any] = {"observed_at": observed_at, "user": user, "uid": uid}
    if not isinstance(uid, int) or isinstance(uid, bool):
        return _unknown(Verdict.ERROR, "The payload did not report the user id.", evidence)
    if uid == 0:
        return _admin("uid0", "Logged in as root (uid 0).", evidence)
    reason = f"Logged in as uid {uid}; this payload did not observe sudo."
    return _unknown(Verdict.INCONCLUSIVE, reason, evidence)


def _status(section: Mapping[str, Any], key: str) -> str | None:
    value = section.get(key)
    return str(value.get("status")) if isinstance(value, Mapping) else None


def _detail(section: Mapping[str, Any]) -> str:
    for key in ("sudo_password", "sudo_nopasswd"):
        value = section.get(key)
        if isinstance(value, Mapping):
            return f"{value.get('status')}: {value.get('message') or 'no message'}"
    return "no sudo result in the observation"


def _admin(method: str, reason: str, evidence: dict[str, Any]) -> Check:
    return Check("admin", Verdict.PASS, reason, {**evidence, "state": "admin", "method": method})


def _not_admin(reason: str, evidence: dict[str, Any]) -> Check:
    return Check("admin", Verdict.FAIL, reason, {**evidence, "state": "not_admin"})


def _unknown(verdict: Verdict, reason: str, evidence: dict[str, Any]) -> Check:
    return Check("admin", verdict, reason, {**evidence, "state": "unknown"})
