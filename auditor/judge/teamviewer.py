"""teamviewer: the TeamViewer Host module is installed and its service runs (Linux, Windows).

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

Windows (the section has ``products``): the module is the installed
product's DisplayName under Uninstall (``TeamViewer Host`` or the full
client ``TeamViewer``), the version and ClientID come from
``HKLM\\SOFTWARE\\[WOW6432Node\\]TeamViewer``, and the service ``TeamViewer``
says whether it runs; installed but stopped is ``teamviewer.service_stopped``
(with its start type), an unreadable service ``teamviewer.service_unknown``,
registry values alone ``teamviewer.registry_only``.

A running Host module must be assigned to a company (``DeviceManagementV2``:
a management id, not marked unmanaged; else ``teamviewer.not_enrolled``,
unreadable ``teamviewer.enrollment_unknown``), and to *ours*: with the MSP's
managed-device list (``ctx.msp``, the TeamViewer Web API) a host whose
management id or ClientID is on it passes with the device's name, one that is
not is ``teamviewer.other_company``. Without the list (no token, or the fetch
failed) the host's own record decides and the reason says it was not
cross-checked, unless the check's ``cross_check: required`` makes that
``teamviewer.assignment_not_checked`` (inconclusive).

Evidence: ``installed``, ``running``, ``package``, ``version``,
``client_id`` (when read), ``service_method``, ``config_via``, ``binaries``
``management`` (the host's record), ``assignment`` (what the MSP's list said)
and ``outcome`` (the code); the fixes are the report's words for the code.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.judge.evidence import Context, Item, Obs, single
from auditor.model import Check
from auditor.profile.schema import CheckSpec, TeamviewerSpec
from auditor.teamviewer.directory import ManagedDevice, MspDevices, management_id_key

HOST_PACKAGE = "teamviewer-host"
CLIENT_PACKAGE = "teamviewer"
# Windows: the DisplayName of the installed product under ...\Uninstall
_HOST_PRODUCT = re.compile(r"^TeamViewer Host\b", re.IGNORECASE)
_CLIENT_PRODUCT = re.compile(r"^TeamViewer(?: \d+)?$", re.IGNORECASE)


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
    windows: bool = False
    start_mode: str | None = None  # Windows: Auto, Manual, Disabled
    product: str | None = None  # Windows: the DisplayName that says which module
    custom_config_id: str | None = None  # Windows: the MSP's custom module
    management: Mapping[str, Any] | None = None  # Linux: DeviceManagementV2, as observed

    @property
    def installed(self) -> bool:
        return self.package is not None or bool(self.binaries)


def judge(check_id: str, spec: CheckSpec, plan: Obs, observations: Obs, ctx: Context) -> Check:
    """The teamviewer Check from one payload document."""
    section = observations.get("teamviewer")
    if not isinstance(section, Mapping):
        return single(
            check_id, Item("teamviewer.not_observed", "TeamViewer was not observed by this payload")
        )
    if section.get("status") in ("timeout", "error"):
        why = section.get("error") or section.get("status")
        return single(
            check_id, Item("teamviewer.not_observed", f"TeamViewer could not be observed: {why}")
        )
    try:
        facts = _windows_facts(section) if "products" in section else _facts(section)
    except (AttributeError, TypeError, ValueError) as exc:
        text = f"the TeamViewer observation could not be read ({type(exc).__name__}: {exc})"
        return single(check_id, Item("teamviewer.not_observed", text))
    item, assignment = _decide(facts, spec, ctx.msp)
    return single(check_id, item, {**_evidence(facts), **assignment, "outcome": item.code})


def _decide(f: Facts, spec: CheckSpec, msp: MspDevices) -> tuple[Item, dict[str, Any]]:
    """The installation's outcome; a running Host module must also be assigned, to us.

    Also the ``assignment`` evidence: what the MSP's managed-device list said of this host.
    """
    item = _installation(f)
    if item.code != "teamviewer.host_running":
        return item, {}
    cross_check = spec.cross_check if isinstance(spec, TeamviewerSpec) else "optional"
    return _enrollment(f, item, cross_check, msp)


def _enrollment(
    f: Facts, running: Item, cross_check: str, msp: MspDevices
) -> tuple[Item, dict[str, Any]]:
    """Enrolled: a management id, not marked unmanaged (``DeviceManagementV2``, as TeamViewer's
    ``Get-TeamViewerManagementId`` reads it). Without the record there is no pass, unless the
    MSP's own device list names the host's ClientID."""
    m = f.management
    where = "the registry" if f.windows else "global.conf"
    if m is None:
        device = msp.find(None, f.client_id) if msp.state == "checked" else None
        if device is not None:
            text = (f"{running.text}, managed by the MSP's TeamViewer company as "
                    f"{device.name!r} (found by its ClientID; its own record was not readable)")  # fmt: skip
            return Item(running.code, text), _found(device, "client_id")
        why = f"its device management in {where} could not be read"
        if not f.windows:
            why += " (the file is root-only: give the audit account root or sudo)"
        return Item("teamviewer.enrollment_unknown", f"{running.text}, but {why}"), {}
    if m.get("unmanaged") or not m.get("management_id"):
        state = "marked unmanaged" if m.get("unmanaged") else "assigned to no company"
        item = Item("teamviewer.not_enrolled", f"{running.text}, but it is {state} ({where})")
        return item, {}
    return _assignment(f, running, str(m["management_id"]), cross_check, msp)


def _assignment(
    f: Facts, running: Item, management_id: str, cross_check: str, msp: MspDevices
) -> tuple[Item, dict[str, Any]]:
    """Assigned to a company: to ours? Only the MSP's managed-device list can say."""
    assigned = f"{running.text}, assigned (management id {management_id})"
    if msp.state == "checked":
        device = msp.find(management_id, f.client_id)
        if device is not None:
            by = "management_id" if device.id == management_id_key(management_id) else "client_id"
            policy = f", policy {device.policy_id}" if device.policy_id else ""
            text = f"{assigned}, managed by the MSP's TeamViewer company as {device.name!r}{policy}"
            if by == "client_id":  # the list knows the ClientID under another management id
                text += " (matched by its ClientID)"
            return Item(running.code, text), _found(device, by)
        text = (f"{running.text}, but it is assigned to another company: management id "
                f"{management_id} is not among the {len(msp.devices)} devices the MSP's "
                "TeamViewer company manages")  # fmt: skip
        record = {"state": "other_company", "msp_devices": len(msp.devices)}
        return Item("teamviewer.other_company", text), {"assignment": record}
    why = (
        f"the MSP's managed devices could not be fetched ({msp.error})"
        if msp.state == "failed"
        else "no TeamViewer API token was given (--teamviewer-api-token-file)"
    )
    record = {"state": "not_checked", "required": cross_check == "required", "why": why}
    if cross_check == "required":
        text = (f"{assigned}, but the profile requires the assignment to the MSP's company "
                f"to be cross-checked, and {why}")  # fmt: skip
        return Item("teamviewer.assignment_not_checked", text), {"assignment": record}
    text = f"{assigned}; whether to the MSP's company was not cross-checked: {why}"
    return Item(running.code, text), {"assignment": record}


def _found(device: ManagedDevice, matched_by: str) -> dict[str, Any]:
    return {"assignment": {"state": "msp", "matched_by": matched_by, "device": {
        "name": device.name, "management_id": device.id, "teamviewer_id": device.teamviewer_id,
        "policy_id": device.policy_id, "online": device.is_online}}}  # fmt: skip


def _installation(f: Facts) -> Item:
    ident = f" (ID {f.client_id})" if f.client_id else ""
    what = f"TeamViewer {f.version}" if f.version else "TeamViewer"
    if f.windows:
        windows = _decide_windows(f, ident, what)
        if windows is not None:
            return windows
    if f.running is None and (f.installed or f.config_found):
        why = "the process table is hidden (hidepid) and sudo was not available"
        if f.method == "systemd":
            why = "systemctl gave no usable answer"
        return Item(
            "teamviewer.running_unknown", f"whether teamviewerd runs could not be observed: {why}"
        )
    if not f.installed and not f.config_found:
        return Item("teamviewer.not_installed", "TeamViewer Host is not installed")
    if f.running and f.package == HOST_PACKAGE:
        runs = "the TeamViewer service runs" if f.windows else "teamviewerd runs"
        return Item("teamviewer.host_running", f"{what} Host is installed and {runs}{ident}")
    if f.running and f.package == CLIENT_PACKAGE:
        text = f"the full TeamViewer client runs{ident}, not the TeamViewer Host module the contract names"
        return Item("teamviewer.full_client", text)
    if f.running:
        text = (
            f"teamviewerd runs{ident}, but no {f.package_query} package record shows that it is "
            "the TeamViewer Host module"
        )
        return Item("teamviewer.module_unknown", text)
    if f.installed:
        text = f"{what} is installed{ident} but teamviewerd is not running"
        return Item("teamviewer.not_running", text)
    text = (
        "only a TeamViewer configuration was found (no package, no program) and teamviewerd "
        "is not running: installation not proven"
    )
    return Item("teamviewer.config_only", text)


def _decide_windows(f: Facts, ident: str, what: str) -> Item | None:
    """The Windows-worded outcomes; the rest are the same as on Linux."""
    if f.running is None and (f.installed or f.config_found):
        return Item(
            "teamviewer.service_unknown", "the state of the TeamViewer service could not be read"
        )
    if f.installed and not f.running:
        text = f"{what} is installed{ident} but the TeamViewer service is not running"
        return Item(
            "teamviewer.service_stopped",
            f"{text} (start type {f.start_mode or 'unknown'})",
            (),
            {"start_mode": f.start_mode},
        )
    if not f.installed and f.config_found and not f.running:
        text = "only TeamViewer registry settings were found (no product, no program): not proven"
        return Item("teamviewer.registry_only", text)
    if f.running and f.package is None:
        text = (
            f"the TeamViewer service runs{ident}, but no entry under Windows' uninstall "
            "programs shows that it is the TeamViewer Host module"
        )
        return Item("teamviewer.module_unknown", text)
    return None


def _windows_facts(section: Mapping[str, Any]) -> Facts:
    """Uninstall entries, the two registry keys and the service (docs/observations.md)."""
    products = [p for p in section.get("products") or () if isinstance(p, Mapping)]
    names = [str(p.get("display_name") or "") for p in products]
    host = next((p for p, n in zip(products, names, strict=True) if _HOST_PRODUCT.match(n)), None)
    client = next(
        (p for p, n in zip(products, names, strict=True) if _CLIENT_PRODUCT.match(n)), None
    )
    chosen = host or client
    keys = [r for r in section.get("registry") or () if isinstance(r, Mapping) and r.get("exists")]
    key = next(
        (r for r in keys if r.get("client_id") or r.get("version")), keys[0] if keys else None
    )
    service = section.get("service") or {}
    running = service.get("running")
    return Facts(
        package=HOST_PACKAGE if host else CLIENT_PACKAGE if client else None,
        package_query="Windows uninstall",
        version=_first(_get(chosen, "version"), _get(key, "version")),
        client_id=_get(key, "client_id"),
        binaries=tuple(str(b) for b in section.get("binaries") or ()),
        config_found=bool(keys),
        config_via=None,
        running=running if isinstance(running, bool) else None,
        method=str(service.get("method") or "scm"),
        windows=True,
        start_mode=_get(service, "start_mode"),
        product=_get(chosen, "display_name"),
        custom_config_id=next(
            (str(r["custom_config_id"]) for r in keys if r.get("custom_config_id")), None
        ),
        management=next((m for r in keys if (m := _management(r)) is not None), None),
    )


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
        management=_management(read),
    )


def _management(read: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Device management from a read config or registry key, when the payload recorded it."""
    if read is None or "unmanaged" not in read:
        return None
    ident, unmanaged = read.get("management_id"), read.get("unmanaged")
    return {"management_id": ident if isinstance(ident, str) else None,
            "unmanaged": unmanaged if isinstance(unmanaged, bool) else None}  # fmt: skip


def _get(item: Mapping[str, Any] | None, key: str) -> str | None:
    return None if item is None or item.get(key) in (None, "") else str(item[key])


def _first(*values: object) -> str | None:
    return next((str(v) for v in values if v not in (None, "")), None)


def _evidence(f: Facts) -> dict[str, Any]:
    return {
        "installed": f.installed,
        "running": f.running,
        "package": f.package,
        "version": f.version,
        "client_id": f.client_id,
        "service_method": f.method,
        "config_via": f.config_via,
        "binaries": list(f.binaries),
        **({"management": dict(f.management)} if f.management is not None else {}),
        **(
            {"start_mode": f.start_mode, "product": f.product,
             "custom_config_id": f.custom_config_id}
            if f.windows else {}
        ),
    }  # fmt: skip
