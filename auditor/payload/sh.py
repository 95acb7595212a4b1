"""The POSIX sh payload for hosts without Python, and the launcher that picks a flavour.

One round trip per host stays true without knowing in advance whether the
host has Python: the engine runs :data:`auditor.payload.launch.LAUNCH_COMMAND`
(``sh -s``) and sends :func:`build_launcher`'s script on stdin. The script
tries the Pythons in Ansible's discovery order and ``exec``\\ s the first one
on the python payload, which rides in a quoted here-document; when none is
found, the same script goes on into ``host_probe.sh``. Both print the same
observation document (``"payload": "python"`` or ``"sh"``).

The plan reaches the sh payload as ``PLAN_*`` shell assignments that replace
its slot line: no JSON parser is needed in sh. Every value is a check id, a
host name or address, a port, a path or an integer, and must match
:data:`_TOKEN`, so a hostile or broken profile can never inject shell code;
anything else raises ``ValueError`` here, before it could reach a host.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from auditor.model import Secret
from auditor.payload import build_program

__all__ = ["build_launcher", "build_sh_program", "render_plan", "sh_source"]

_TOKEN = re.compile(r"^[A-Za-z0-9._:%/-]{1,255}$")
_SLOT = re.compile(rb'^PLAN_VERSION=""  # AUDITOR-PLAN-SLOT.*$', re.MULTILINE)
_BECOME_SLOT = re.compile(rb"^BECOME=''  # AUDITOR-BECOME-SLOT.*$", re.MULTILINE)
PYTHONS = ("python3", "python", "/usr/libexec/platform-python", "/usr/bin/python3")
_HEREDOC_END = b"AUDITOR-PYTHON-PAYLOAD-END"


def sh_source() -> bytes:
    """``host_probe.sh`` exactly as shipped (ASCII, POSIX sh)."""
    return resources.files("auditor.payload").joinpath("host_probe.sh").read_bytes()


def _token(value: object, what: str) -> str:
    text = str(value)
    if isinstance(value, bool) or not _TOKEN.match(text):
        raise ValueError(f"plan {what} {text[:60]!r} is not safe for the sh payload")
    return text


def _lines(items: Iterable[Mapping[str, Any]], what: str) -> str:
    rows = []
    for item in items:
        port = item.get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise ValueError(f"plan {what} port {port!r} is not a port number")
        rows.append(
            f"{_token(item.get('check'), what + ' check')} {_token(item.get('host'), what)} {port}"
        )
    return "\n".join(rows)


def _words(values: Iterable[object], what: str) -> str:
    return " ".join(_token(v, what) for v in values)


def render_plan(plan: Mapping[str, Any]) -> str:
    """The plan document as ``PLAN_*=`` lines (see docs/observations.md, "The sh payload").

    Times: ``PLAN_DEADLINE_CS`` is the payload deadline in centiseconds,
    ``PLAN_TIMEOUT_S`` the per-operation timeout rounded up to whole seconds
    (at least 1), because ``nc -w`` and ``timeout`` take integers.
    """
    version = plan.get("plan_version")
    if version != 1:
        return f"PLAN_VERSION={_token(version, 'version') if isinstance(version, int) else 0}\n"
    deadline = float(plan["deadline_s"])
    timeout = float(plan.get("probe_timeout_s", 4.0))
    if not (math.isfinite(deadline) and math.isfinite(timeout)) or deadline <= 0 or timeout <= 0:
        raise ValueError("plan deadline_s and probe_timeout_s must be positive numbers")
    out = {
        "PLAN_VERSION": "1",
        "PLAN_DEADLINE_CS": str(round(deadline * 100)),
        "PLAN_TIMEOUT_S": str(max(1, math.ceil(timeout))),
    }
    for section, key in (("tcp", "TCP"), ("udp", "UDP"), ("tls", "TLS")):
        if isinstance(plan.get(section), list):
            out[f"PLAN_HAS_{key}"] = "1"
            out[f"PLAN_{key}"] = _lines(plan[section], section)
    dns = plan.get("dns")
    if isinstance(dns, Mapping):
        out["PLAN_DNS_CHECKS"] = _words(dns.get("checks") or (), "dns check")
        out["PLAN_DNS_NAMES"] = _words(dns.get("names") or (), "dns name")
        out["PLAN_RESOLV_CONF"] = _token(dns.get("resolv_conf") or "/etc/resolv.conf", "path")
    system = plan.get("dns_system")
    if isinstance(system, Mapping):
        out["PLAN_HAS_DNS_SYSTEM"] = "1"
        out["PLAN_DNS_SYSTEM_NAMES"] = _words(system.get("names") or (), "dns_system name")
    for simple in ("admin", "teamviewer"):
        if simple in plan:
            out[f"PLAN_{simple.upper()}"] = "1"
    return "".join(f"{key}='{value}'\n" for key, value in out.items())


def _quote(secret: str) -> str:
    """A single-quoted sh word; the only escape sh needs there is for ``'`` itself."""
    if "\n" in secret or "\0" in secret:
        raise ValueError("a become password with a newline or NUL cannot be sent to sudo -S")
    return "'" + secret.replace("'", "'\\''") + "'"


def build_sh_program(plan: Mapping[str, Any], become_password: Secret | None = None) -> bytes:
    """``host_probe.sh`` with the plan (and the become password, if any) in its slots.

    The returned bytes hold the secret when one is given: send them, never log them.
    """
    rendered = render_plan(plan).encode("ascii")
    program, count = _SLOT.subn(lambda _m: rendered.rstrip(b"\n"), sh_source(), count=1)
    if count != 1:
        raise RuntimeError("host_probe.sh lost its PLAN_VERSION slot line")
    if become_password:
        line = f"BECOME={_quote(become_password.reveal())}".encode()
        program, count = _BECOME_SLOT.subn(lambda _m: line, program, count=1)
        if count != 1:
            raise RuntimeError("host_probe.sh lost its BECOME slot line")
    return program


def build_launcher(plan: Mapping[str, Any], become_password: Secret | None = None) -> bytes:
    """The one script for ``sh -s``: the python payload if a Python exists, else the sh one."""
    python = build_program(plan, become_password)
    if any(line.strip() == _HEREDOC_END for line in python.splitlines()):
        raise RuntimeError("the python payload contains the here-document delimiter")
    pythons = " ".join(PYTHONS)
    head = (
        "# auditor launcher: the first Python found runs the python payload, else the sh one\n"
        f"for p in {pythons}; do\n"
        '\tq=$(command -v "$p" 2>/dev/null) || continue\n'
        '\tif [ -f "$q" ] && [ -x "$q" ]; then\n'
        f"\t\texec \"$q\" - <<'{_HEREDOC_END.decode()}'\n"
    ).encode()
    tail = b"\n" + _HEREDOC_END + b"\n\tfi\ndone\n"
    return head + python.rstrip(b"\n") + tail + build_sh_program(plan, become_password)
