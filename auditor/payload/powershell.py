"""The PowerShell payload for Windows hosts: the script, its plan, and how it is started.

Delivery (as Ansible's winrm plugin does it): the command line is a short
bootstrap, ``powershell.exe ... -EncodedCommand <base64 of UTF-16LE>``, that
reads the real script from stdin (``$input | Out-String``) and runs it as a
script block. So the script never meets cmd.exe's 8 KiB command-line limit,
never shows in the process list, and is never written to the host's disk.

The script is ``host_probe.ps1`` with its slot line ``$Plan = $null  #
AUDITOR-PLAN-SLOT ...`` replaced by the plan as a PowerShell literal
(:func:`render_plan`): hashtables ``@{'key' = value}``, arrays ``@(...)``,
single-quoted strings, invariant numbers, ``$true``/``$false``/``$null``.
PowerShell 2.0 has no JSON parser, and a literal needs none. Only printable
ASCII reaches a string (a single quote is doubled), so nothing from a
profile can become code; anything else raises ``ValueError`` here, before it
could reach a host. :func:`read_program` is the inverse: it proves that a
program is exactly the shipped script plus one plan, and returns the plan
(the lab's WinRM host uses it to check what it was sent).
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

__all__ = [
    "BOOTSTRAP",
    "LAUNCH_COMMAND",
    "build_ps_program",
    "ps_source",
    "read_program",
    "render_plan",
]

_SLOT = re.compile(rb"^\$Plan = \$null  # AUDITOR-PLAN-SLOT.*$", re.MULTILINE)
_PLAN_LINE = re.compile(rb"^\$Plan = (@\{.*\})  # AUDITOR-PLAN$", re.MULTILINE)
_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")

# Read the script from stdin and run it; the script ends the process itself.
BOOTSTRAP = (
    "$ErrorActionPreference = 'Stop'; $s = $input | Out-String; & ([scriptblock]::Create($s))"
)
_SHELL = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand"
LAUNCH_COMMAND = f"{_SHELL} {base64.b64encode(BOOTSTRAP.encode('utf-16-le')).decode('ascii')}"


def ps_source() -> bytes:
    """``host_probe.ps1`` exactly as shipped (ASCII, PowerShell 2.0 compatible)."""
    return resources.files("auditor.payload").joinpath("host_probe.ps1").read_bytes()


def render_plan(plan: Mapping[str, Any]) -> str:
    """The plan document as one PowerShell hashtable literal."""
    return _literal(plan, "plan")


def build_ps_program(plan: Mapping[str, Any]) -> bytes:
    """``host_probe.ps1`` with ``plan`` in its slot: the stdin of :data:`LAUNCH_COMMAND`.

    Windows hosts get no become password: the WinRM login itself is the
    account whose rights are audited.
    """
    line = f"$Plan = {render_plan(plan)}  # AUDITOR-PLAN".encode("ascii")
    program, count = _SLOT.subn(lambda _m: line, ps_source(), count=1)
    if count != 1:
        raise RuntimeError("host_probe.ps1 lost its $Plan slot line")
    return program


def read_program(program: bytes) -> dict[str, Any]:
    """The plan inside ``program``; ValueError unless it is the shipped script plus one plan."""
    text = program.replace(b"\r\n", b"\n")
    lines = _PLAN_LINE.findall(text)
    if len(lines) != 1:
        raise ValueError(f"expected one plan line in the program, found {len(lines)}")
    plan = _Reader(lines[0].decode("ascii")).document()
    if build_ps_program(plan).rstrip(b"\n") != text.rstrip(b"\n"):
        raise ValueError("the program is not the shipped host_probe.ps1 with its plan")
    return plan


def _literal(value: object, where: str) -> str:
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"plan {where}: {value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        if not _PRINTABLE.match(value) or len(value) > 1024:
            raise ValueError(f"plan {where}: {value[:60]!r} is not printable ASCII")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, Mapping):
        folded = [str(k).lower() for k in value]
        if len(set(folded)) != len(folded):  # PowerShell hashtable keys ignore case
            raise ValueError(f"plan {where}: keys differ only in case: {sorted(map(str, value))}")
        pairs = "; ".join(
            f"{_literal(str(k), where)} = {_literal(v, f'{where}.{k}')}" for k, v in value.items()
        )
        return "@{" + pairs + "}"
    if isinstance(value, list | tuple):
        return "@(" + ", ".join(_literal(v, f"{where}[]") for v in value) + ")"
    raise ValueError(f"plan {where}: a {type(value).__name__} cannot be sent to PowerShell")


class _Reader:
    """Parses exactly what :func:`_literal` writes, nothing more."""

    _TOKEN = re.compile(r"\$true|\$false|\$null|-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|'(?:[^']|'')*'")

    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def document(self) -> dict[str, Any]:
        value = self._value()
        if self.at != len(self.text) or not isinstance(value, dict):
            raise ValueError(f"plan literal: unexpected text at {self.at}")
        return value

    def _expect(self, token: str) -> None:
        if not self.text.startswith(token, self.at):
            raise ValueError(f"plan literal: expected {token!r} at {self.at}")
        self.at += len(token)

    def _value(self) -> Any:
        if self.text.startswith("@{", self.at):
            return self._table()
        if self.text.startswith("@(", self.at):
            return self._array()
        match = self._TOKEN.match(self.text, self.at)
        if match is None:
            raise ValueError(f"plan literal: unexpected text at {self.at}")
        self.at = match.end()
        token = match.group()
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        constants: dict[str, Any] = {"$true": True, "$false": False, "$null": None}
        if token in constants:
            return constants[token]
        return float(token) if any(c in token for c in ".e") else int(token)

    def _table(self) -> dict[str, Any]:
        self._expect("@{")
        out: dict[str, Any] = {}
        while not self.text.startswith("}", self.at):
            if out:
                self._expect("; ")
            key = self._value()
            self._expect(" = ")
            out[str(key)] = self._value()
        self._expect("}")
        return out

    def _array(self) -> list[Any]:
        self._expect("@(")
        out: list[Any] = []
        while not self.text.startswith(")", self.at):
            if out:
                self._expect(", ")
            out.append(self._value())
        self._expect(")")
        return out
