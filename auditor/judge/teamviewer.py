"""teamviewer: the TeamViewer Host module is installed and its daemon runs (Linux).

Whether the check applies (servers yes, network devices no, workstations
only with ``auditor_unattended``) is the profile's business; this module
judges the payload's ``teamviewer`` section (docs/observations.md).

Rules, first match wins:

* whether teamviewerd runs could not be observed (hidepid /proc without
  sudo, systemctl failed), but something is installed -> inconclusive
* nothing installed (no dpkg/rpm record, no binary, no config) -> fail, fix: install
* teamviewerd runs and the package is ``teamviewer-host`` -> pass
* teamviewerd runs, only the full client ``teamviewer`` is installed -> fail:
  the contract names the Host module (unattended access for servers), and
  the full client is a different product (decision, docs/observations.md)
* teamviewerd runs, but no package record says which module -> inconclusive
* installed (package or binary) but not running -> fail, fix: start the service
* only a global.conf, no package, no binary, not running -> inconclusive

Evidence: ``installed``, ``running``, ``package``, ``version``,
``client_id`` (when read), ``service_method``, ``config_via``, ``fix``
(English) and ``fix_de`` (German, for the customer report). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.model import Check, Verdict

HOST_PACKAGE = "teamviewer-host"
CLIENT_PACKAGE = "teamviewer"
FIX_START = "start the teamviewerd service: systemctl enable --now teamviewerd"
FIX_START_DE = "Dienst teamviewerd starten: systemctl enable --now teamviewerd"
FIX_INSTALL = "install the TeamViewer Host module (teamviewer-host, get.teamviewer.com/bg-host)"
FIX_INSTALL_DE = "TeamViewer Host installieren (teamviewer-host, get.teamviewer.com/bg-host)"
FIX_REPLACE = "replace the full TeamViewer client with the Host module (teamviewer-host)"
FIX_REPLACE_DE = "Den TeamViewer-Vollclient durch das Host-Modul (teamviewer-host) ersetzen"


@dataclass(frozen=True, slots=True)
class Facts:
    """What the observation says, reduced to what the rules need."""

    package: str | None
    package_query: str
    version: str | None
    client_id: str | None
    binaries: tuple[str, ...]
    config_found: bool
    config_via: str | None
    running: bool | None
    method: str | None

    @property
    def installed(self) -> bool:
        return self.package is not None or bool(self.binaries)


def judge_teamviewer(observations: Mapping[str, Any]) -> Check:
    """The teamviewer Check from one payload document."""
    section = observations.get("teamviewer")
    if not isinstance(section, Mapping):
        return Check("teamviewer", Verdict.ERROR, "TeamViewer was not observed by this payload")
    if section.get("status") in ("timeout", "error"):
        why = section.get("error") or section.get("status")
        return Check("teamviewer", Verdict.ERROR, f"TeamViewer could not be observed: {why}")
    try:
        facts = _facts(section)
    except (AttributeError, TypeError, ValueError) as exc:
        reason = f"the TeamViewer observation could not be read ({type(exc).__name__}: {exc})"
        return Check("teamviewer", Verdict.ERROR, reason)
    return _decide(facts)


def _decide(f: Facts) -> Check:
    ident = f" (ID {f.client_id})" if f.client_id else ""
    what = f"TeamViewer {f.version}" if f.version else "TeamViewer"
    if f.running is None and (f.installed or f.config_found):
        why = "the process table is hidden (hidepid) and sudo was not available"
        if f.method == "systemd":
            why = "systemctl gave no usable answer"
        return _check(
            Verdict.INCONCLUSIVE, f"whether teamviewerd runs could not be observed: {why}", f
        )
    if not f.installed and not f.config_found:
        return _check(
            Verdict.FAIL,
            f"TeamViewer Host is not installed; {FIX_INSTALL}",
            f,
            FIX_INSTALL,
            FIX_INSTALL_DE,
        )
    if f.running and f.package == HOST_PACKAGE:
        return _check(Verdict.PASS, f"{what} Host is installed and teamviewerd runs{ident}", f)
    if f.running and f.package == CLIENT_PACKAGE:
        text = (
            f"the full TeamViewer client runs{ident}, not the TeamViewer Host module the "
            f"contract names; {FIX_REPLACE}"
        )
        return _check(Verdict.FAIL, text, f, FIX_REPLACE, FIX_REPLACE_DE)
    if f.running:
        text = (
            f"teamviewerd runs{ident}, but no {f.package_query} package record shows that it is "
            "the TeamViewer Host module"
        )
        return _check(Verdict.INCONCLUSIVE, text, f)
    if f.installed:
        text = f"{what} is installed{ident} but teamviewerd is not running; {FIX_START}"
        return _check(Verdict.FAIL, text, f, FIX_START, FIX_START_DE)
    text = (
        "only a TeamViewer configuration was found (no package, no program) and teamviewerd "
        "is not running: installation not proven"
    )
    return _check(Verdict.INCONCLUSIVE, text, f)


def _facts(section: Mapping[str, Any]) -> Facts:
    packages = section.get("packages") or {}
    installed = packages.get("installed") or {}
    package = HOST_PACKAGE if HOST_PACKAGE in installed else None
    if package is None and CLIENT_PACKAGE in installed:
        package = CLIENT_PACKAGE
    configs = [c for c in section.get("config") or () if isinstance(c, Mapping)]
    read = next((c for c in configs if c.get("readable")), None)
    info = section.get("info") or {}
    service = section.get("service") or {}
    running = service.get("running")
    return Facts(
        package=package,
        package_query=str(packages.get("manager") or "dpkg/rpm"),
        version=_first(
            installed.get(package) if package else None, _get(read, "version"), info.get("version")
        ),
        client_id=_first(_get(read, "client_id"), info.get("client_id")),
        binaries=tuple(str(b) for b in section.get("binaries") or ()),
        config_found=any(c.get("exists") for c in configs),
        config_via=_get(read, "via"),
        running=running if isinstance(running, bool) else None,
        method=service.get("method"),
    )


def _get(item: Mapping[str, Any] | None, key: str) -> str | None:
    return None if item is None or item.get(key) in (None, "") else str(item[key])


def _first(*values: object) -> str | None:
    return next((str(v) for v in values if v not in (None, "")), None)


def _check(
    verdict: Verdict, reason: str, f: Facts, fix: str | None = None, fix_de: str | None = None
) -> Check:
    evidence: dict[str, Any] = {
        "installed": f.installed,
        "running": f.running,
        "package": f.package,
        "version": f.version,
        "client_id": f.client_id,
        "service_method": f.method,
        "config_via": f.config_via,
        "binaries": list(f.binaries),
    }
    if fix:
        evidence.update(fix=fix, fix_de=fix_de)
    return Check("teamviewer", verdict, reason[:1].upper() + reason[1:] + ".", evidence)
