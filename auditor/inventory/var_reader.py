"""Typed reading of one host's connection variables, collecting problems instead of raising.

Shared by the connection plugins' readers (``winrm_vars.py``,
``device_vars.py``): a value Ansible would refuse becomes a :class:`Problem`
naming the variable, so the host is reported and not contacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_TRUE = frozenset(("y", "yes", "on", "1", "true", "t"))
_FALSE = frozenset(("n", "no", "off", "0", "false", "f"))


@dataclass(frozen=True, slots=True)
class Problem:
    """A variable the plugin would not accept; ``var`` names it (None: the host as a whole)."""

    var: str | None
    message: str


@dataclass(frozen=True, slots=True)
class VarReader:
    """Typed access to one host's variables, collecting problems as it goes."""

    values: Mapping[str, object]
    problems: list[Problem]

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problems.append(Problem(name, f"{name} must be a string"))
            return None
        return str(value).strip()

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        text = self.text(name)
        if text is None:
            return default
        if text.lower() not in allowed:
            self.problems.append(
                Problem(name, f"{name} {text!r} is not one of {', '.join(allowed)}")
            )
            return default
        return text.lower()

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None:
            return None
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
            self.problems.append(
                Problem(name, f"{name} {value!r} is not a whole number of seconds")
            )
            return None
        return int(text)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.problems.append(Problem(name, f"{name} {value!r} is not a boolean"))
        return default
