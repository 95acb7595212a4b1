"""What a lab Windows host answers to the auditor's PowerShell payload.

No PowerShell runs here, so the answer is assembled from two honest halves:

* **the network** is measured for real: the plan's network part runs as the
  Python payload in the host's own namespace, so its resolvers, egress
  faults and TLS interception are the lab's real ones. The result is put
  into the PowerShell payload's shape: ``payload: "powershell"``, Windows
  socket error names (``WSAECONNREFUSED``), resolver errors as
  ``EAI_*`` with Windows' codes, and resolvers listed per network adapter
  (``source: "adapters"``) instead of a resolv.conf;
* **the Windows facts** (the logon token, UAC policy, TeamViewer's service,
  registry and uninstall entry) are the recorded documents in
  ``recorded_windows/``, as the payload prints them (docs/observations.md).

:func:`answer` first proves that what arrived is the auditor's payload: the
command line must be the bootstrap, and stdin the shipped ``host_probe.ps1``
with one plan (``payload.powershell.read_program``); anything else gets the
error cmd.exe or PowerShell would give, and no observations.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from auditor.payload import BEGIN, END, build_program, parse_output
from auditor.payload.powershell import LAUNCH_COMMAND, read_program

POWERSHELL_VERSION = "5.1.17763.6414"
PLATFORM = "Windows Server 2019 Standard 10.0.17763.0"
_WSA = {
    "ECONNREFUSED": (10061, "WSAECONNREFUSED"),
    "ETIMEDOUT": (10060, "WSAETIMEDOUT"),
    "EHOSTUNREACH": (10065, "WSAEHOSTUNREACH"),
    "ENETUNREACH": (10051, "WSAENETUNREACH"),
    "EHOSTDOWN": (10064, "WSAEHOSTDOWN"),
    "ENETDOWN": (10050, "WSAENETDOWN"),
    "EPERM": (10013, "WSAEACCES"),
    "EACCES": (10013, "WSAEACCES"),
    "ECONNRESET": (10054, "WSAECONNRESET"),
}
_GAI = {"EAI_NONAME": 11001, "EAI_AGAIN": 11002, "EAI_FAIL": 11003, "EAI_NODATA": 11004}
_HOST_SECTIONS = ("admin", "teamviewer")


@dataclass(frozen=True, slots=True)
class Reply:
    """What the command printed and how it ended, as WinRS reports it."""

    stdout: bytes
    stderr: bytes
    exit_code: int
    verified: bool  # the command and the script were exactly the auditor's


def computer_name(host: str) -> str:
    """A Windows computer name for a lab host: upper case, at most 15 characters."""
    return host.upper()[:15]


def client_id(host: str) -> str:
    return str(1_000_000_000 + zlib.crc32(host.encode()) % 1_000_000_000)


def recorded(section: str, state: str, host: str) -> dict[str, Any]:
    """``recorded_windows/<section>.<state>.json`` for ``host``, its placeholders filled."""
    raw = (
        resources.files("auditor.lab")
        .joinpath("recorded_windows", f"{section}.{state}.json")
        .read_text(encoding="utf-8")
    )
    filled = raw.replace("{computer}", computer_name(host)).replace("{client_id}", client_id(host))
    doc: dict[str, Any] = json.loads(filled)
    return doc


def answer(
    command: str,
    stdin: bytes,
    *,
    host: str,
    admin: str,
    teamviewer: str,
    management: tuple[str | None, bool | None] = (None, None),
    timeout_s: float = 60.0,
) -> Reply:
    """The reply of a Windows host to one WinRS command (see the module docstring)."""
    if command != LAUNCH_COMMAND:
        name = command.split(" ", 1)[0][:60]
        text = f"'{name}' is not recognized as an internal or external command,\r\n"
        return Reply(b"", text.encode("ascii", "replace"), 1, False)
    try:
        plan = read_program(stdin)
    except ValueError as exc:
        return Reply(b"", f"not the auditor's payload: {exc}\r\n".encode(), 1, False)
    doc = observe(plan, host=host, admin=admin, teamviewer=teamviewer, management=management,
                  timeout_s=timeout_s)  # fmt: skip
    text = json.dumps(doc, sort_keys=True, ensure_ascii=True)
    return Reply(BEGIN + b"\n" + text.encode("ascii") + b"\n" + END + b"\n", b"", 0, True)


def observe(
    plan: Mapping[str, Any],
    *,
    host: str,
    admin: str,
    teamviewer: str,
    management: tuple[str | None, bool | None] = (None, None),
    timeout_s: float = 60.0,
) -> dict[str, Any]:
    """The observation document for ``plan``: measured network, recorded Windows facts."""
    network = {k: v for k, v in plan.items() if k not in _HOST_SECTIONS}
    done = subprocess.run(
        [sys.executable, "-"], input=build_program(network), capture_output=True,
        timeout=timeout_s, check=False,
    )  # fmt: skip
    doc = as_windows(parse_output(done.stdout, stderr=done.stderr), host)
    if "admin" in plan:
        doc["admin"] = recorded("admin", admin, host)
    if "teamviewer" in plan:
        doc["teamviewer"] = recorded("teamviewer", teamviewer, host)
        for key in doc["teamviewer"].get("registry") or ():  # the host's DeviceManagementV2
            if key.get("exists"):
                key["management_id"], key["unmanaged"] = management
    return doc


def as_windows(doc: dict[str, Any], host: str) -> dict[str, Any]:
    """A Python payload document in the PowerShell payload's shape."""
    out = {k: v for k, v in doc.items() if k not in ("python", "platform", "hostname")}
    out.update(payload="powershell", powershell=POWERSHELL_VERSION, clr="4.0.30319.42000",
               hostname=computer_name(host), platform=PLATFORM, uid=None,
               user=f"{computer_name(host)}\\audit")  # fmt: skip
    for section in ("tcp", "udp", "tls"):
        for item in out.get(section) or ():
            _windows_errors(item)
            for attempt in item.get("attempts") or ():
                _windows_errors(attempt)
    dns = out.get("dns")
    if isinstance(dns, dict):
        dns.pop("resolv_conf", None)
        dns["source"] = "adapters"
        dns["adapters"] = [{"index": 12, "description": "Intel(R) 82574L Gigabit Network Connection",
                            "servers": list(dns.get("resolvers") or ())}]  # fmt: skip
        dns["problems"] = [
            "no DNS server configured on any adapter" if p == "no nameserver configured" else p
            for p in dns.get("problems") or ()
        ]
        for query in dns.get("queries") or ():
            _windows_errors(query)
    system = out.get("dns_system")
    if isinstance(system, dict):
        system["hosts_file"] = "C:\\Windows\\System32\\drivers\\etc\\hosts"
        for result in system.get("results") or ():
            _windows_errors(result)
    return out


def _windows_errors(item: dict[str, Any]) -> None:
    """Linux errno and EAI codes -> what .NET's SocketException says on Windows."""
    name = item.get("errno_name")
    if name in _WSA:
        item["errno"], item["errno_name"] = _WSA[name]
    gai = item.get("gai_name")
    if gai in _GAI:
        item["gai_code"] = _GAI[gai]
