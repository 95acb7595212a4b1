"""Each host's variables as ansible-core resolves them, reduced to plain values.

``VariableManager.get_vars(host=...)`` applies Ansible's precedence (all ->
parent groups -> child groups -> host; inventory file vars below
``group_vars/``/``host_vars/`` files) and adds the magic variables
(``inventory_hostname``, ``inventory_dir``, ``groups``, ``hostvars``).
In ansible-core 2.19 the values come back *untemplated* and vault values
stay encrypted until used, so each variable the auditor reads
(:data:`READ_VARS`) is rendered with a ``Templar`` over the host's own
variables, exactly like a task would see it.

Failures stay with their host: a broken ``host_vars`` file, a vault file or
value without (or with the wrong) password, an undefined template variable
each become an :class:`InventoryProblem` naming the file and, where known,
the line; the other hosts load normally.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from ansible.errors import AnsibleError
from ansible.template import Templar
from ansible.vars.manager import VariableManager

from auditor.inventory.origin import error_location, is_vault_error, one_line, value_origin
from auditor.inventory.targets import READ_VARS, SECRET_VARS, HostVar, ResolvedHost
from auditor.model import InventoryProblem, Secret

_NO_PASSWORD = "no vault password was given (--vault-password-file)"
_WRONG_PASSWORD = "the given vault password does not decrypt it"


@dataclass(frozen=True, slots=True)
class _Context:
    loader: Any
    variables: Any
    var_dirs: tuple[str, ...]
    top_groups: tuple[str, ...]
    has_vault_password: bool
    templar: Any  # one for all hosts: a new Templar per host costs a Jinja environment


def resolve_hosts(
    inventory: Any, loader: Any, sources: tuple[str, ...], has_vault_password: bool
) -> list[ResolvedHost]:
    """Resolve every explicit host the inventory (already ``subset``) selects.

    ``sources`` are the sources given to ``inventory``; ``host_vars/`` and
    ``group_vars/`` beside them are where a failing variables file is sought.
    Ansible's implicit ``localhost`` is never returned: the auditor only audits
    hosts someone wrote down.
    """
    ctx = _Context(
        loader=loader,
        variables=VariableManager(loader=loader, inventory=inventory),
        var_dirs=tuple(_var_dir(s) for s in sources if os.path.exists(s)),
        top_groups=tuple(g.name for g in inventory.groups["all"].child_groups),
        has_vault_password=has_vault_password,
        templar=Templar(loader=loader),
    )
    return [_resolve(h, ctx) for h in inventory.get_hosts() if not h.implicit]


def _var_dir(source: str) -> str:
    return source if os.path.isdir(source) else os.path.dirname(source)


def _resolve(host: Any, ctx: _Context) -> ResolvedHost:
    source = str(host.vars.get("inventory_file") or "")
    groups = tuple(g.name for g in host.get_groups() if g.name != "all")
    base = ResolvedHost(
        name=str(host.name),
        source=source,
        groups=groups,
        top_groups=tuple(g for g in ctx.top_groups if g in groups),
    )
    try:
        variables = ctx.variables.get_vars(host=host, include_hostvars=True)
    except AnsibleError as exc:
        return replace(base, problems=(_diagnose(host, source, exc, ctx),))
    templar = ctx.templar
    templar.available_variables = variables
    found: dict[str, HostVar] = {}
    problems: list[InventoryProblem] = []
    for key in sorted(k for k in READ_VARS if k in variables):
        path, line = value_origin(variables, key)
        try:
            value = _plain(key, templar.template(variables[key]))
        except (AnsibleError, TypeError) as exc:
            message = _value_message(key, exc, ctx.has_vault_password)
            problems.append(InventoryProblem(path or source, message, base.name, line))
            continue
        found[key] = HostVar(value, path, line)
    return replace(base, vars=found, problems=tuple(problems))


def _plain(key: str, value: object) -> object:
    """Drop ansible's data tags; wrap secrets. Raises TypeError for a non-scalar secret."""
    if isinstance(value, bool) or value is None:
        plain: object = value
    elif isinstance(value, str):
        plain = str(value)
    elif isinstance(value, int):
        plain = int(value)
    elif isinstance(value, float):
        plain = float(value)
    else:
        plain = value
    if key in SECRET_VARS and plain is not None:
        if not isinstance(plain, str | int | float) or isinstance(plain, bool):
            raise TypeError(f"must be a string, not {type(plain).__name__}")
        return Secret(str(plain))
    return plain


def _value_message(key: str, exc: BaseException, has_password: bool) -> str:
    if is_vault_error(exc):
        reason = _WRONG_PASSWORD if has_password else _NO_PASSWORD
        return f"{key} is vault-encrypted but {reason}"
    return f"{key}: {one_line(exc)}"


def _diagnose(host: Any, source: str, exc: AnsibleError, ctx: _Context) -> InventoryProblem:
    """Find the variables file that made ``get_vars`` fail; ansible's error does not name it."""
    for path in _vars_files(host, ctx):
        try:
            ctx.loader.load_from_file(path, cache="none", unsafe=True)
        except AnsibleError as err:
            _, line = error_location(err)
            if is_vault_error(err):
                reason = _WRONG_PASSWORD if ctx.has_vault_password else _NO_PASSWORD
                message = f"variables file is vault-encrypted but {reason}"
            else:
                message = f"unparsable variables file: {one_line(err)}"
            return InventoryProblem(path, message, str(host.name), line)
    where, line = error_location(exc)
    return InventoryProblem(where or source, f"variables: {one_line(exc)}", str(host.name), line)


def _vars_files(host: Any, ctx: _Context) -> list[str]:
    """The host_vars/group_vars files ansible's host_group_vars plugin reads for ``host``."""
    files: list[str] = []
    for base in ctx.var_dirs:
        files += ctx.loader.find_vars_files(os.path.join(base, "host_vars"), str(host.name))
        for group in host.get_groups():
            files += ctx.loader.find_vars_files(os.path.join(base, "group_vars"), group.name)
    return files
