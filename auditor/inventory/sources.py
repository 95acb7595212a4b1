"""Which ``-i`` sources can be handed to ansible-core, and why the others cannot.

ansible-core's ``InventoryManager`` turns a source it cannot parse into a
multi-line warning on the terminal, keeps whatever hosts it had added before
the bad line, and goes on. The auditor wants each broken file as one
:class:`InventoryProblem` with its line, and no half-parsed file (a host
whose group section was cut off would be audited as the wrong customer). So
each file is first parsed on its own, into a throw-away inventory, by the
same plugins ansible would use (``yaml`` then ``ini``); only files that
parse are handed to the real ``InventoryManager``.

A directory source stays one source when every file in it parses (so Ansible
finds ``host_vars/``/``group_vars/`` exactly as usual); otherwise its good
files are passed one by one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import IGNORED
from ansible.plugins.loader import inventory_loader

from auditor.inventory.origin import error_location, one_line
from auditor.model import InventoryProblem

_YAML_SUFFIXES = (".yml", ".yaml", ".json")
_MAX_FILES = 10_000  # a source directory with more files is a mistake, not an inventory


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """Sources ready for ``InventoryManager`` (absolute), plus what was wrong with the rest."""

    usable: tuple[str, ...]
    problems: tuple[InventoryProblem, ...]


def check_sources(sources: list[str], loader: Any) -> SourceCheck:
    """Check every source; never raises for bad input, returns problems instead."""
    usable: list[str] = []
    problems: list[InventoryProblem] = []
    if not sources:
        problems.append(InventoryProblem("-i", "no inventory source given"))
    for source in sources:
        path = os.path.abspath(os.path.expanduser(source))
        if not os.path.exists(path):
            if "," in source:  # Ansible's "host1,host2," list
                usable.append(source)
            else:
                problems.append(InventoryProblem(source, "inventory source not found"))
            continue
        files = _inventory_files(path) if os.path.isdir(path) else [path]
        bad = [p for p in (_parse_problem(f, loader) for f in files) if p is not None]
        problems.extend(bad)
        if not files:
            problems.append(InventoryProblem(source, "directory holds no inventory file"))
        elif not bad:
            usable.append(path)
        else:
            failed = {p.source for p in bad}
            usable.extend(f for f in files if f not in failed)
    return SourceCheck(tuple(usable), tuple(problems))


def _inventory_files(directory: str) -> list[str]:
    """Files ansible would try in ``directory``: sorted, recursive, minus its IGNORED names."""
    found: list[str] = []
    pending = [directory]
    while pending and len(found) < _MAX_FILES:
        current = pending.pop(0)
        for name in sorted(os.listdir(current)):
            if IGNORED.search(os.fsencode(name)):
                continue
            full = os.path.join(current, name)
            (pending if os.path.isdir(full) else found).append(full)
    return found


def _parse_problem(path: str, loader: Any) -> InventoryProblem | None:
    """None when some plugin parses ``path``; else the most relevant plugin's error."""
    if not os.access(path, os.R_OK):
        return InventoryProblem(path, "inventory file is not readable")
    failures: dict[str, AnsibleError] = {}
    ini_line: list[int | None] = [None]
    for name in ("yaml", "ini"):
        plugin = inventory_loader.get(name)
        if name == "ini":
            _keep_ini_line(plugin, ini_line)
        if not plugin.verify_file(path):
            continue
        try:
            plugin.parse(InventoryData(), loader, path, cache=False)
        except AnsibleError as exc:
            failures[name] = exc
            continue
        return None
    if not failures:
        return InventoryProblem(path, "not an INI or YAML inventory")
    with open(path, "rb") as head:
        if head.read(3) == b"\xef\xbb\xbf":  # the INI plugin reads it as "\ufeff[group]"
            return InventoryProblem(path, "starts with a byte order mark (BOM), which Ansible "
                                    "reads as part of the first line: save it as UTF-8 without "
                                    "BOM", line=1)  # fmt: skip
    name = _likely_format(path) if len(failures) > 1 else next(iter(failures))
    error = failures[name]
    line = ini_line[0] if name == "ini" else error_location(error)[1]
    reason = one_line(error).removeprefix("Failed to parse inventory: ")
    return InventoryProblem(path, f"not a valid {name.upper()} inventory: {reason}", line=line)


def _keep_ini_line(plugin: Any, sink: list[int | None]) -> None:
    """Record the line the ini plugin was on when it failed.

    The plugin counts lines in ``_origin`` but clears the count before it
    re-raises (ansible-core 2.19), so its errors carry no line; wrapping its
    ``_parse`` step reads the count while it is still there.
    """
    parse_lines = plugin._parse

    def parse_keeping_line(lines: list[str]) -> None:
        try:
            parse_lines(lines)
        except Exception:
            origin = getattr(plugin, "_origin", None)
            sink[0] = getattr(origin, "line_num", None) or None
            raise

    plugin._parse = parse_keeping_line


def _likely_format(path: str) -> str:
    """For a file both plugins reject: which error to show the user.

    By suffix; an extension-less file (Ansible's usual ``hosts``) is YAML when
    its first meaningful line looks like a YAML key or document start.
    """
    if path.endswith(_YAML_SUFFIXES):
        return "yaml"
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                line = raw.strip()
                if line and not line.startswith(("#", ";")):
                    return "yaml" if line.startswith("---") or line.endswith(":") else "ini"
    except OSError:
        pass
    return "ini"
