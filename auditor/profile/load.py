"""Load a contract profile from YAML, validating every value, with file:line errors.

The YAML loader keeps line numbers (mappings and lists remember where each
key, value and item started), and the decoder walks the field declarations
in ``profile/schema.py``: unknown keys, missing keys, wrong types and bad
values all fail here, at load time, as one :class:`~auditor.errors.ProfileError`
line ``file:line: path: what`` -- never later, in the middle of a run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import ProfileError
from auditor.profile.schema import SINGLE_KINDS, CheckSpec, DnsSpec, Profile
from auditor.profile.values import (
    parse_check_id,
    parse_network,
    parse_reflector,
    parse_schema_version,
)

BUNDLED = "contract-v5.yaml"

# Profiles of schema_version 1 named no kinds: each of their fixed check ids
# had one (and the DNS transport came from the id). Later versions say it.
V1_CHECKS: Mapping[str, tuple[str, dict[str, str]]] = {
    "tcp_5938": ("tcp", {}),
    "udp_5938": ("udp", {}),
    "tcp_80": ("tcp", {}),
    "tcp_443": ("tcp", {}),
    "tls_443": ("tls", {}),
    "dns_udp": ("dns", {"transport": "udp"}),
    "dns_tcp": ("dns", {"transport": "tcp"}),
    "dns_system": ("dns_system", {}),
    "admin": ("admin", {}),
    "teamviewer": ("teamviewer", {}),
}


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers its own line and each key's and value's line."""

    line: int
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]


class _Seq(list[Any]):
    """A YAML sequence that remembers its own line and each item's line."""

    line: int
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry 1-based line numbers."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)  # resolves ``<<`` merge keys
    result = _Map()
    result.line, result.key_lines, result.value_lines = node.start_mark.line + 1, {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise _Located(line, f"key {key!r} is not a string")
        if key in result:
            raise _Located(line, f"{key}: duplicate key")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
        result.value_lines[key] = value_node.start_mark.line + 1
    return result


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> _Seq:
    result = _Seq(loader.construct_object(item, deep=True) for item in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [item.start_mark.line + 1 for item in node.value]
    return result


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


class _Located(Exception):
    """A problem at a line; ``load_profile`` adds the file name."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _check_keys(data: _Map, cls: type, path: str) -> None:
    """Unknown keys are errors: a typo must never silently fall back to a default."""
    known = [f.name for f in dataclasses.fields(cls) if not f.metadata.get("internal")]
    for key in data:
        if key not in known:
            where = f"{path}.{key}" if path else key
            raise _Located(data.key_lines[key], f"{where}: unknown key (known: {', '.join(known)})")


def _decode(cls: type, data: object, path: str, line: int, version: int = 2) -> Any:
    """Build the frozen dataclass ``cls`` from a YAML mapping, field by field."""
    if not isinstance(data, _Map):
        raise _Located(line, f"{path or 'profile'}: expected a mapping, got {_kind(data)}")
    _check_keys(data, cls, path)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        where = f"{path}.{f.name}" if path else f.name
        if f.metadata.get("internal"):
            continue
        if f.name not in data:
            no_default = dataclasses.MISSING
            if f.default is no_default and f.default_factory is no_default:
                raise _Located(data.line, f"{where}: required key missing")
            continue
        values[f.name] = _field(f.metadata, data[f.name], where, data.value_lines[f.name], version)
    try:
        return cls(**values)
    except ValueError as exc:  # cross-field rules in __post_init__
        raise _Located(data.line, f"{path or 'profile'}: {exc}") from None


def _field(meta: Mapping[str, Any], value: object, where: str, line: int, version: int) -> Any:
    if "spec" in meta:
        return _decode(meta["spec"], value, where, line, version)
    if "checks" in meta:
        return _checks(meta["checks"], value, where, line, version)
    if "each" in meta:
        return _each(meta["each"], value, where, line)
    parse: Callable[[object], Any] = meta["parse"]
    try:
        return parse(value)
    except ValueError as exc:
        raise _Located(line, f"{where}: {exc}") from None


def _each(parse: Callable[[object], Any], value: object, where: str, line: int) -> tuple[Any, ...]:
    if not isinstance(value, _Seq):
        raise _Located(line, f"{where}: expected a list, got {_kind(value)}")
    items = []
    for index, (item, item_line) in enumerate(zip(value, value.item_lines, strict=True)):
        try:
            items.append(parse(item))
        except ValueError as exc:
            raise _Located(item_line, f"{where}[{index}]: {exc}") from None
    return tuple(items)


def _checks(
    kinds: Mapping[str, type[CheckSpec]], value: object, where: str, line: int, version: int
) -> Mapping[str, CheckSpec]:
    """Each check: an id, a ``kind`` that picks its spec, then the spec's own keys.

    Schema 1 profiles carry the fixed check ids of contract v5 and no kinds
    (:data:`V1_CHECKS`); all ten ids are required there.
    """
    if not isinstance(value, _Map):
        raise _Located(line, f"{where}: expected a mapping, got {_kind(value)}")
    specs: dict[str, CheckSpec] = {}
    for check_id, section in value.items():
        id_line = value.key_lines[check_id]
        try:
            parse_check_id(check_id)
        except ValueError as exc:
            raise _Located(id_line, f"{where}.{check_id}: {exc}") from None
        path = f"{where}.{check_id}"
        kind, section = _kind_of(section, check_id, path, value.value_lines[check_id], version)
        if kind not in kinds:
            known = ", ".join(kinds)
            line = value[check_id].value_lines.get("kind", id_line)
            raise _Located(line, f"{path}.kind: unknown kind {kind!r} (known: {known})")
        specs[check_id] = _decode(kinds[kind], section, path, value.value_lines[check_id], version)
    if version == 1:
        missing = [check_id for check_id in V1_CHECKS if check_id not in specs]
        if missing:
            raise _Located(value.line, f"{where}: missing check ids {', '.join(missing)}")
    _across_checks(specs, value, where)
    return specs


def _across_checks(specs: Mapping[str, CheckSpec], value: _Map, where: str) -> None:
    """Rules between checks, reported at the check that breaks them (Profile re-checks them)."""
    if not specs:
        raise _Located(value.line, f"{where}: a profile needs at least one check")
    first_of: dict[str, str] = {}
    resolv_conf: str | None = None
    for check_id, spec in specs.items():
        section = value[check_id]
        if spec.kind in SINGLE_KINDS and spec.kind in first_of:
            raise _Located(
                value.key_lines[check_id],
                f"{where}.{check_id}: at most one check of kind {spec.kind} "
                f"(already: {first_of[spec.kind]})",
            )
        first_of.setdefault(spec.kind, check_id)
        if isinstance(spec, DnsSpec):
            if resolv_conf is not None and spec.resolv_conf != resolv_conf:
                line = section.value_lines.get("resolv_conf", section.line)
                raise _Located(
                    line,
                    f"{where}.{check_id}.resolv_conf: every dns check must share resolv_conf "
                    "(one resolver list per host)",
                )
            resolv_conf = spec.resolv_conf


def _kind_of(
    section: object, check_id: str, path: str, line: int, version: int
) -> tuple[str, _Map]:
    """(kind, the section without its ``kind`` key), from the section or, for schema 1, the id."""
    if not isinstance(section, _Map):
        raise _Located(line, f"{path}: expected a mapping, got {_kind(section)}")
    rest = _Map((k, v) for k, v in section.items() if k != "kind")
    rest.line = section.line
    rest.key_lines = {k: n for k, n in section.key_lines.items() if k != "kind"}
    rest.value_lines = {k: n for k, n in section.value_lines.items() if k != "kind"}
    if version == 1:
        if "kind" in section:
            raise _Located(section.key_lines["kind"], f"{path}.kind: needs schema_version 2")
        if check_id not in V1_CHECKS:
            raise _Located(line, f"{path}: unknown check id (schema_version 1 knows only the "
                           "contract v5 ids; use schema_version 2 and give a kind)")  # fmt: skip
        kind, implied = V1_CHECKS[check_id]
        for key, implied_value in implied.items():
            if key in section:
                raise _Located(section.key_lines[key], f"{path}.{key}: needs schema_version 2")
            rest[key] = implied_value
            rest.value_lines[key] = rest.key_lines[key] = line
        return kind, rest
    if "kind" not in section:
        raise _Located(section.line, f"{path}.kind: required key missing")
    kind = section["kind"]
    if not isinstance(kind, str):
        raise _Located(section.value_lines["kind"], f"{path}.kind: {kind!r} is not a kind")
    return kind, rest


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, _Map):
        return "a mapping"
    return "a list" if isinstance(value, _Seq) else repr(value)


def read_source(path: str | None) -> tuple[str, str]:
    """(text, name used in messages) of the given file or of the bundled profile."""
    if path is None:
        bundled = resources.files("auditor.profile").joinpath(BUNDLED)
        return bundled.read_text(encoding="utf-8"), "bundled"
    try:
        return Path(path).read_text(encoding="utf-8"), path
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc}") from None


def _schema_version(data: object) -> int:
    """The file's schema_version, read first: it decides how ``checks`` are read."""
    if isinstance(data, _Map) and "schema_version" in data:
        try:
            return parse_schema_version(data["schema_version"])
        except ValueError as exc:
            raise _Located(data.value_lines["schema_version"], f"schema_version: {exc}") from None
    return 2  # the decoder reports the missing key


def parse_profile(text: str, source: str) -> Profile:
    """Parse profile text; ``source`` names it in errors and in ``Profile.source``."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
        profile: Profile = _decode(Profile, data, "", 1, _schema_version(data))
    except _Located as exc:
        raise ProfileError(f"{source}:{exc.line}: {exc.message}") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise ProfileError(f"{source}:{line}: YAML syntax: {problem}") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"{source}: YAML: {' '.join(str(exc).split())}") from None
    return dataclasses.replace(profile, source=source)


def load_profile(
    path: str | None = None, *, reflector: str | None = None, expected_networks: Sequence[str] = ()
) -> Profile:
    """Load and validate a profile (``None``: the bundled contract v5), then apply CLI overrides.

    ``reflector`` (``--reflector HOST[:PORT]``) replaces the profile's;
    ``expected_networks`` (``--expected-network CIDR``, repeatable) are added
    to the profile's. Any problem raises ``ProfileError`` with a one-line message.
    """
    text, source = read_source(path)
    return profile_from_text(text, source, reflector=reflector, expected_networks=expected_networks)


def profile_from_text(
    text: str, source: str, *, reflector: str | None = None, expected_networks: Sequence[str] = ()
) -> Profile:
    """:func:`load_profile` of a profile's text (a scheduled run carries it to its workers)."""
    profile = parse_profile(text, source)
    changes: dict[str, Any] = {}
    if reflector is not None:
        try:
            changes["reflector"] = parse_reflector(reflector)
        except ValueError as exc:
            raise ProfileError(f"--reflector: {exc}") from None
    extra = []
    for cidr in expected_networks:
        try:
            extra.append(parse_network(cidr))
        except ValueError as exc:
            raise ProfileError(f"--expected-network: {exc}") from None
    if extra:
        changes["expected_networks"] = tuple(dict.fromkeys((*profile.expected_networks, *extra)))
    return dataclasses.replace(profile, **changes) if changes else profile
