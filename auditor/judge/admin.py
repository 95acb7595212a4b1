"""Admin rights of the credentials we hold (requirements.md: uid 0, sudo, become password).

The contract excuses delays caused by missing or invalid credentials, so this
check is also *evidence*: every admin Check carries ``state`` (``admin``,
``not_admin``, ``auth_failed``, ``credentials_missing``; ``unknown`` when
nothing could be observed), ``observed_at`` (the controller's clock, ISO 8601
with offset: the host's clock may be wrong) and ``user``; an ``admin`` state
also carries ``method`` (``uid0``, ``sudo_nopasswd``, ``sudo_password``).

Rules, first match wins (observations from the payload's ``admin`` section,
docs/observations.md):

* effective uid 0 -> pass (``admin.uid0``)
* ``sudo -n true`` succeeded -> pass (``admin.sudo_nopasswd``)
* ``sudo -S`` with the become password succeeded -> pass (``admin.sudo_password``)
* sudo refused the become password -> fail, not_admin (``credentials.become_password_wrong``)
* sudo says the user may not use it -> fail, not_admin (``credentials.not_in_sudoers``)
* no sudo at all -> fail, not_admin (``credentials.no_sudo``)
* sudo asks for a password and the inventory holds none -> fail, not_admin
  (``credentials.become_password_missing``)
* a sudo answer we cannot classify -> inconclusive (``admin.unproven``);
  nothing observed -> error (``admin.not_observed``)

Windows (the section has a ``token``): Administrators enabled in the token ->
pass (``admin.token_admin``); deny-only -> fail (``credentials.uac_filtered``,
or ``credentials.uac_filtered_builtin`` for the RID-500 account); not a member
-> fail (``credentials.not_administrator``). A login WinRM refuses to a
non-administrator (stage ``auth``) is ``credentials.winrm_denied``.

Network devices (the section has ``device``; ``devices/dialog.py``): the
privilege as the device states it, never the prompt. Level platforms (IOS,
EOS): the highest level -> pass (``admin.device_level``); enable refused the
secret -> ``credentials.enable_secret_wrong``; it asked for one the inventory
does not hold -> ``credentials.enable_secret_missing``; enable refused for
another reason -> ``credentials.enable_refused``; otherwise a lower level ->
``credentials.device_level_low``. Role platforms (NX-OS, Junos, FortiOS,
RouterOS, PAN-OS): the platform's highest role -> pass
(``admin.device_role``); a role that may not change the configuration ->
``credentials.device_read_only``; any other -> ``credentials.device_role_limited``.
An answer that states no privilege -> ``admin.unproven``; a session that
ended or hung first -> ``admin.not_observed``.

A refused login (stage ``auth``) is ``credentials.refused`` or, when the
inventory held no usable secret, ``credentials.missing``; both fail.

Pure: no I/O, the time is an input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.judge.evidence import Context, Item, Obs, single
from auditor.model import Check, Finding, ParamValue
from auditor.profile.schema import CheckSpec

# The finding code of each way credentials fall short, and the contract state it proves.
_STATE_OF = {
    "credentials.refused": "auth_failed",
    "credentials.missing": "credentials_missing",
    "credentials.winrm_denied": "not_admin",
    "admin.uid0": "admin",
    "admin.sudo_nopasswd": "admin",
    "admin.sudo_password": "admin",
    "admin.token_admin": "admin",
    "admin.device_level": "admin",
    "admin.device_role": "admin",
    "credentials.enable_secret_wrong": "auth_failed",
    "credentials.enable_secret_missing": "credentials_missing",
}
# What enable said, in the words of the finding it leads to.
_ENABLE_FINDING = {
    "wrong_secret": "credentials.enable_secret_wrong",
    "no_secret": "credentials.enable_secret_missing",
    "refused": "credentials.enable_refused",
}
_ADMINISTRATORS = "S-1-5-32-544"


def judge(check_id: str, spec: CheckSpec, plan: Obs, observations: Obs, ctx: Context) -> Check:
    """The admin Check from one payload document; ``ctx.user`` is the login name we used."""
    section = observations.get("admin")
    if not isinstance(section, Mapping):
        return _uid_only(check_id, observations, ctx)
    who = section.get("user") or ctx.user
    evidence: dict[str, Any] = {
        "observed_at": ctx.observed_at,
        "user": who,
        "uid": section.get("euid"),
    }
    if section.get("status") in ("timeout", "error"):
        text = f"admin rights could not be observed: {section.get('error')}"
        return _decided(check_id, Item("admin.not_observed", text), evidence)
    if section.get("device") is True:
        evidence.update(_device_evidence(section, observations.get("device")))
        return _decided(check_id, _device_rule(section, who, ctx), evidence)
    if "token" in section:
        evidence.update(_windows_evidence(section))
        return _decided(check_id, _windows_rule(section, who, ctx), evidence)
    if "groups" in section:
        evidence["groups"] = section["groups"]
    for key in ("sudo_nopasswd", "sudo_password"):
        if isinstance(section.get(key), Mapping):
            evidence[key] = {k: section[key].get(k) for k in ("status", "message")}
    return _decided(check_id, _rule(section, who, ctx), evidence)


def _rule(section: Mapping[str, Any], who: object, ctx: Context) -> Item:
    """First match wins (module docstring)."""
    nopasswd, password = _status(section, "sudo_nopasswd"), _status(section, "sudo_password")
    params = {"user": str(who) if who else None, "observed_at": ctx.observed_at or None}
    if _is_root(section.get("euid")):
        return Item("admin.uid0", f"logged in as {who or 'root'} (uid 0)")
    if nopasswd == "ok":
        return Item("admin.sudo_nopasswd", f"user {who} may use sudo without a password")
    if password == "ok":
        return Item("admin.sudo_password", f"user {who} may use sudo with the become password")
    if password == "wrong_password":
        text = "sudo refused the become password (wrong become password)"
        return Item("credentials.become_password_wrong", text, (), params)
    if "denied" in (nopasswd, password):
        text = f"user {who} is not allowed to use sudo (not in sudoers)"
        return Item("credentials.not_in_sudoers", text, (), params)
    if nopasswd == "absent":
        text = f"user {who} is not root and sudo is not installed"
        return Item("credentials.no_sudo", text, (), params)
    if nopasswd == "needs_password" and not section.get("become_password_given"):
        text = (
            "sudo asks for a password we do not hold (no ansible_become_password in the inventory)"
        )
        return Item("credentials.become_password_missing", text, (), params)
    detail = _detail(section)
    if "timeout" in (nopasswd, password) or nopasswd is None:
        return Item("admin.not_observed", f"sudo could not be observed: {detail}")
    return Item("admin.unproven", f"sudo gave an answer we cannot judge: {detail}")


def _windows_rule(section: Mapping[str, Any], who: object, ctx: Context) -> Item:
    """Windows: what the session token says of BUILTIN\\Administrators (S-1-5-32-544).

    Over a network logon, UAC gives a local account (other than the built-in
    RID-500 Administrator) a filtered token: Administrators is present only
    as *deny-only* unless ``LocalAccountTokenFilterPolicy`` is 1; RID 500 is
    filtered too when ``FilterAdministratorToken`` is 1. Domain accounts (Domain
    Admins included) get the full token, so their group is simply enabled.
    """
    token = section.get("token")
    state = token.get("admin_group") if isinstance(token, Mapping) else None
    params = {"user": str(who) if who else None, "observed_at": ctx.observed_at or None}
    if state == "enabled":
        how = "as a Domain Admin" if section.get("domain_admins") else "in the Administrators group"
        return Item(
            "admin.token_admin", f"{who} logs in {how}, with the group enabled in the token"
        )
    if state == "deny_only" and _rid(section) == 500:
        text = (
            f"{who} is the built-in Administrator, but UAC filters its network token "
            "(FilterAdministratorToken = 1): Administrators is deny-only"
        )
        return Item("credentials.uac_filtered_builtin", text, (), params)
    if state == "deny_only":
        text = (
            f"{who} is a member of Administrators, but UAC filters the token of a local account "
            "over the network (LocalAccountTokenFilterPolicy is not 1): the group is deny-only"
        )
        return Item("credentials.uac_filtered", text, (), params)
    if state == "absent":
        return Item(
            "credentials.not_administrator", f"{who} is not a member of Administrators", (), params
        )
    return Item("admin.not_observed", f"the token's groups could not be read ({state!r})")


def _device_rule(section: Mapping[str, Any], who: object, ctx: Context) -> Item:
    """A network device: its stated level or role (module docstring)."""
    params: dict[str, ParamValue | None] = {
        "user": str(who) if who else None,
        "observed_at": ctx.observed_at or None,
    }
    if section.get("status") != "ok":
        return Item("admin.unproven", f"the device did not state the privilege of {who}")
    if section.get("scheme") == "level":
        level, highest = _int(section.get("level")), _int(section.get("highest_level"))
        if level is None or highest is None:
            return Item("admin.unproven", "the device did not state a privilege level")
        if level >= highest:
            return Item("admin.device_level", f"{who} has privilege level {level} of {highest}")
        enable = section.get("enable")
        status = enable.get("status") if isinstance(enable, Mapping) else None
        if status in _ENABLE_FINDING:
            message = enable.get("message") if isinstance(enable, Mapping) else None
            if status == "refused":
                params["message"] = str(message or "")[:200] or None
            text = f"enable did not raise the privilege ({status}); level {level} of {highest}"
            return Item(_ENABLE_FINDING[str(status)], text, (), params)
        params.update(level=level, highest=highest)
        text = f"{who} has privilege level {level}, below the highest level {highest}"
        return Item("credentials.device_level_low", text, (), params)
    role = section.get("role")
    if not isinstance(role, str) or not role:
        return Item("admin.unproven", "the device did not state the account's role")
    params["role"] = role[:80]
    if isinstance(section.get("highest_role"), str):
        params["wanted"] = section["highest_role"][:80]
    if section.get("full") is True:
        return Item("admin.device_role", f"{who} has the role {role}, the platform's highest")
    if section.get("configure") is False:
        text = f"{who} has the read-only role {role}"
        return Item("credentials.device_read_only", text, (), params)
    text = f"{who} has the role {role}, not the platform's highest"
    return Item("credentials.device_role_limited", text, (), params)


def _device_evidence(section: Mapping[str, Any], device: object) -> dict[str, Any]:
    """Platform, version and model as the device reports them; the privilege as it states it."""
    facts = device if isinstance(device, Mapping) else {}
    keys = ("platform", "label", "os", "version", "model", "hostname")
    found: dict[str, Any] = {
        "uid": None,
        "device": {k: facts.get(k) for k in keys if facts.get(k) is not None},
        "scheme": section.get("scheme"),
    }
    for key in ("level", "highest_level", "level_before_enable", "role", "highest_role", "full",
                "configure", "permissions"):  # fmt: skip
        if section.get(key) is not None:
            found[key] = section[key]
    enable = section.get("enable")
    if isinstance(enable, Mapping):
        found["enable"] = {k: enable.get(k) for k in ("status", "message") if enable.get(k)}
    commands = section.get("commands")
    if isinstance(commands, list):
        found["commands"] = [
            {"command": c.get("command"), "lines": c.get("lines")}
            for c in commands
            if isinstance(c, Mapping)
        ]
    return found


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rid(section: Mapping[str, Any]) -> int | None:
    rid = section.get("rid")
    return rid if isinstance(rid, int) and not isinstance(rid, bool) else None


def _windows_evidence(section: Mapping[str, Any]) -> dict[str, Any]:
    """The facts the contract's evidence needs: account kind, token, UAC policy values."""
    found = section.get("token")
    token: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    kind = section.get("account")
    if _rid(section) == 500 and kind == "local":
        kind = "builtin_administrator"
    return {
        "uid": None,
        "account": kind,
        "sid": section.get("sid"),
        "admin_group": token.get("admin_group"),
        "elevated": token.get("elevated"),
        "integrity": token.get("integrity"),
        "domain_admins": section.get("domain_admins"),
        "uac": section.get("uac") if isinstance(section.get("uac"), Mapping) else None,
        "member_of_administrators": _ADMINISTRATORS
        in (*(section.get("groups") or ()), *(section.get("deny_only_groups") or ())),
    }


def login_refused(check_id: str, found: Finding, reason: str) -> Check:
    """The admin Check of a host whose login failed (stage ``auth``): always ``fail``.

    ``found`` is the stage's credential finding, so the report names it once.
    """
    state = _STATE_OF.get(found.code, "auth_failed")
    evidence = {
        "observed_at": found.params.get("observed_at", ""),
        "user": found.params.get("user"),
        "stage": "auth",
        "state": state,
        "outcome": found.code,
    }
    if state == "credentials_missing":
        text = f"The inventory holds no usable credentials for this host: {reason}."
    else:
        text = f"The credentials we hold were refused: {reason}."
    return Check(check_id, found.verdict, text, evidence, (found,))


def _uid_only(check_id: str, observations: Obs, ctx: Context) -> Check:
    """A payload without an ``admin`` section (older or minimal flavours): uid 0 or not proven."""
    uid = observations.get("uid")
    evidence: dict[str, Any] = {"observed_at": ctx.observed_at, "user": ctx.user, "uid": uid}
    if not isinstance(uid, int) or isinstance(uid, bool):
        item = Item("admin.not_observed", "the payload did not report the user id")
    elif uid == 0:
        item = Item("admin.uid0", "logged in as root (uid 0)")
    else:
        item = Item("admin.unproven", f"logged in as uid {uid}; this payload did not observe sudo")
    return _decided(check_id, item, evidence)


def _is_root(uid: object) -> bool:
    """uid 0, as an integer: JSON's ``false`` equals 0 in Python, and proves nothing."""
    return isinstance(uid, int) and not isinstance(uid, bool) and uid == 0


def _status(section: Mapping[str, Any], key: str) -> str | None:
    value = section.get(key)
    return str(value.get("status")) if isinstance(value, Mapping) else None


def _detail(section: Mapping[str, Any]) -> str:
    for key in ("sudo_password", "sudo_nopasswd"):
        value = section.get(key)
        if isinstance(value, Mapping):
            return f"{value.get('status')}: {value.get('message') or 'no message'}"
    return "no sudo result in the observation"


def _decided(check_id: str, item: Item, evidence: dict[str, Any]) -> Check:
    """The Check with the contract's ``state`` (and ``method`` for admin) in its evidence."""
    state = _STATE_OF.get(item.code)
    if state is None:
        state = "not_admin" if item.code.startswith("credentials.") else "unknown"
    extra = {"state": state, "outcome": item.code}
    if state == "admin":
        extra["method"] = item.code.removeprefix("admin.")
    return single(check_id, item, {**evidence, **extra})
