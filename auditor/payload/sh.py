"""The POSIX sh payload for hosts without Python, and the launcher document.

One round trip per host stays true without knowing in advance whether the
host has Python: the engine runs :data:`auditor.payload.launch.LAUNCH_COMMAND`,
which execs the first Python found on stdin, else ``sh -s``. Stdin is one
*polyglot* document (:func:`build_launcher`)::

    \'\'\':\'                 sh: the no-op command ":"; Python: a string opens
    <host_probe.sh>       sh runs it and exits; Python: string content
    \'\'\'                   Python: the string closes
    <host_probe.py>       Python runs it; sh never reads this far

Both flavours print the same observation document (``"payload": "python"``
or ``"sh"``). The sh half must therefore be a valid Python string body: no
triple quote and no ``\\x``/``\\u``/``\\N`` escapes (checked once, see
:func:`_sh_half_is_a_python_string`); the become password is spelled in it
as ``printf`` octal escapes, which are both.

The plan reaches the sh payload as ``PLAN_*`` shell assignments that replace
its slot line: no JSON parser is needed in sh. Every value is a check id, a
host name or address, a port, a path or an integer, and must match
:data:`_TOKEN`, so a hostile or broken profile can never inject shell code;
anything else raises ``ValueError`` here, before it could reach a host.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from auditor.model import Secret
from auditor.payload import PLAN_VERSION, build_program

__all__ = ["build_launcher", "build_sh_program", "render_plan", "sh_source"]

_TOKEN = re.compile(r"^[A-Za-z0-9._:%/-]{1,255}$")
_SLOT = re.compile(rb'^PLAN_VERSION=""  # AUDITOR-PLAN-SLOT.*$', re.MULTILINE)
_BECOME_SLOT = re.compile(rb"^BECOME=''  # AUDITOR-BECOME-SLOT.*$", re.MULTILINE)
_OPEN = b"''':'\n"  # sh: the no-op ":"; Python: a string literal starts
_CLOSE = b"\nexit 0\n'''\n"


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
    if version != PLAN_VERSION:
        return f"PLAN_VERSION={_token(version, 'version') if isinstance(version, int) else 0}\n"
    deadline = float(plan["deadline_s"])
    timeout = float(plan.get("probe_timeout_s", 4.0))
    if not (math.isfinite(deadline) and math.isfinite(timeout)) or deadline <= 0 or timeout <= 0:
        raise ValueError("plan deadline_s and probe_timeout_s must be positive numbers")
    out = {
        "PLAN_VERSION": str(PLAN_VERSION),
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
        transports = dns.get("transport") or {}
        tcp = [c for c in dns.get("checks") or () if transports.get(c) == "tcp"]
        out["PLAN_DNS_TCP"] = _words(tcp, "dns check")
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


def _octal(secret: str) -> str:
    """``"$(printf '\\ooo...')"``: the secret as printf octal escapes.

    Only backslashes and digits reach the document, which keeps it a valid
    Python string body too; ``printf`` is a builtin, so no argv ever holds it.
    """
    if "\n" in secret or "\0" in secret:
        raise ValueError("a become password with a newline or NUL cannot be sent to sudo -S")
    escapes = "".join(f"\\{byte:03o}" for byte in secret.encode("utf-8"))
    return f"\"$(printf '{escapes}')\""


def build_sh_program(plan: Mapping[str, Any], become_password: Secret | None = None) -> bytes:
    """``host_probe.sh`` with the plan (and the become password, if any) in its slots.

    The returned bytes hold the secret when one is given: send them, never log them.
    """
    rendered = render_plan(plan).encode("ascii")
    program, count = _SLOT.subn(lambda _m: rendered.rstrip(b"\n"), sh_source(), count=1)
    if count != 1:
        raise RuntimeError("host_probe.sh lost its PLAN_VERSION slot line")
    if become_password:
        line = f"BECOME={_octal(become_password.reveal())}".encode()
        program, count = _BECOME_SLOT.subn(lambda _m: line, program, count=1)
        if count != 1:
            raise RuntimeError("host_probe.sh lost its BECOME slot line")
    return program


@functools.cache
def _sh_half_is_a_python_string() -> None:
    """Fail early (once per process) if host_probe.sh could break the Python half."""
    body = sh_source()
    if b"'''" in body:
        raise RuntimeError("host_probe.sh contains a triple quote")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an invalid escape is a warning today, an error tomorrow
        compile(_OPEN + body + _CLOSE, "<launcher>", "exec")


def build_launcher(plan: Mapping[str, Any], become_password: Secret | None = None) -> bytes:
    """The stdin document for ``LAUNCH_COMMAND``: sh payload and python payload in one.

    The returned bytes hold the secret when one is given: send them, never log them.
    """
    _sh_half_is_a_python_string()
    sh_half = build_sh_program(plan, become_password).rstrip(b"\n")
    return _OPEN + sh_half + _CLOSE + build_program(plan, become_password)
