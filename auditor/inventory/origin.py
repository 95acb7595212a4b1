"""Where an ansible-core value or error came from, as file and line, in one line.

ansible-core 2.19 tags every value it loads with an ``Origin`` (path, line)
and attaches one to most errors, somewhere along the exception chain; its own
display prints multi-line excerpts. The auditor wants ``file:line: message``
on one line, so these helpers walk the chain and flatten the message.

``Origin`` lives in ``ansible._internal``: there is no public accessor in
2.19 (pinned in pyproject), so the import is confined to this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ansible._internal._datatag._tags import Origin  # type: ignore[import-not-found,unused-ignore]
from ansible.errors import AnsibleError

_MAX_CHAIN = 20  # exception chains are short; the bound only guards against cycles


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < _MAX_CHAIN:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def value_origin(variables: Mapping[str, Any], key: str) -> tuple[str | None, int | None]:
    """File and line where ``variables[key]`` was set, from the value's or the key's tag."""
    found = _origin(variables.get(key))
    if found is None:
        # INI inventories tag the variable names, not the values.
        found = next((_origin(k) for k in variables if k == key and _origin(k)), None)
    return _path_line(found)


def error_location(exc: BaseException) -> tuple[str | None, int | None]:
    """The most precise (path, line) any exception in the chain carries."""
    best: tuple[str | None, int | None] = (None, None)
    for link in causes(exc):
        path, line = _path_line(_origin(getattr(link, "obj", None)))
        mark = getattr(link, "problem_mark", None)  # PyYAML's MarkedYAMLError, 0-based
        if line is None and mark is not None:
            line = int(mark.line) + 1
        if line is not None:
            return (path or best[0], line)
        if path is not None and best[0] is None:
            best = (path, None)
    return best


def is_vault_error(exc: BaseException) -> bool:
    """True when decrypting a vault value or file failed somewhere in the chain."""
    return any("Vault" in type(link).__name__ for link in causes(exc))


def one_line(exc: BaseException) -> str:
    """The error's message without ansible's excerpts, help text or line breaks."""
    text = exc.message if isinstance(exc, AnsibleError) else str(exc)
    return " ".join(text.split()) or type(exc).__name__


def _origin(value: object) -> Any:
    if value is None:
        return None
    if isinstance(value, Origin):
        return value
    return Origin.get_tag(value)


def _path_line(origin: Any) -> tuple[str | None, int | None]:
    if origin is None:
        return None, None
    path = origin.path if isinstance(origin.path, str) and origin.path.startswith("/") else None
    return path, origin.line_num
