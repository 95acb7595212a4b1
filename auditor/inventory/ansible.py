"""Load users' Ansible inventories, unchanged, with ansible-core's own loaders.

Users bring the inventories they already run playbooks with, so the auditor
does not re-implement Ansible's rules (INI/YAML, ``children``, ranges like
``web[01:20]``, ``group_vars/``/``host_vars/``, precedence, Jinja2
templating, ansible-vault): ``DataLoader``, ``InventoryManager`` and
``VariableManager`` apply them, and ``ansible-inventory --list`` is the
oracle the tests compare with. What the auditor adds is error handling at
host granularity: bad input becomes :class:`InventoryProblem` values (one
line, file, line where known, host), never an exception, and never costs the
other hosts.

ansible-core is imported on the first call only (it costs ~0.5 s), after
:func:`auditor.inventory.isolation.isolate_ansible` has shut out the user's
``ansible.cfg``. ansible-core keeps vault secrets in a process-wide context,
so loads are serialised by a lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditor.inventory.isolation import isolate_ansible
from auditor.inventory.targets import to_target
from auditor.model import InventoryProblem, Target

_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class InventoryLoad:
    """Every host the inventory selects, and everything that was wrong with it.

    ``targets`` is sorted by (customer, name). A problem with ``host`` set
    belongs to a target that IS in ``targets`` (with best-effort fields): the
    engine reports that host at stage ``inventory`` and must not connect to
    it. Problems without ``host`` concern a whole source (missing file,
    syntax error: that file contributes no host) or the ``--limit``.
    """

    targets: tuple[Target, ...]
    problems: tuple[InventoryProblem, ...]

    def problems_for(self, host: str) -> tuple[InventoryProblem, ...]:
        """The problems that keep ``host`` from being audited (empty: go ahead)."""
        return tuple(p for p in self.problems if p.host == host)


def load_inventory(
    sources: Sequence[str],
    *,
    vault_password_file: str | None = None,
    limit: str | None = None,
) -> InventoryLoad:
    """Load ``sources`` (files, directories, or ``h1,h2,`` lists) like ``ansible -i``.

    ``vault_password_file`` is read like ``--vault-password-file`` (an
    executable file is run and its output used, as Ansible does).
    ``limit`` is an Ansible host pattern like ``--limit`` (``web*:!web03``,
    group names, ``&`` intersections). Never raises for bad input.
    """
    isolate_ansible()
    given = [sources] if isinstance(sources, str) else [str(s) for s in sources]
    with _LOCK:
        return _load(given, vault_password_file, limit)


def _load(sources: list[str], password_file: str | None, limit: str | None) -> InventoryLoad:
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader

    from auditor.inventory.hostvars import resolve_hosts
    from auditor.inventory.origin import one_line
    from auditor.inventory.sources import check_sources

    loader = DataLoader()
    has_password, problems = _install_vault_secrets(loader, password_file)
    checked = check_sources(sources, loader)
    problems += checked.problems
    try:
        inventory = InventoryManager(loader=loader, sources=list(checked.usable))
    except AnsibleError as exc:  # sources parsed alone; together they should too
        problems.append(InventoryProblem(", ".join(checked.usable), one_line(exc)))
        return InventoryLoad((), tuple(problems))
    if limit and not _apply_limit(inventory, limit, problems):
        return InventoryLoad((), tuple(problems))
    mapped = [to_target(h) for h in resolve_hosts(inventory, loader, checked.usable, has_password)]
    mapped.sort(key=lambda pair: (pair[0].customer, pair[0].name))
    problems += [p for _, host_problems in mapped for p in host_problems]
    return InventoryLoad(tuple(t for t, _ in mapped), tuple(problems))


def _apply_limit(inventory: Any, limit: str, problems: list[InventoryProblem]) -> bool:
    """Restrict ``inventory`` like ``--limit``; False (and a problem) when nothing is left.

    A limit that cannot be applied selects nothing rather than everything:
    auditing the whole fleet when a subset was asked for would surprise.
    """
    from ansible.errors import AnsibleError

    from auditor.inventory.origin import one_line

    try:
        inventory.subset(limit)
        selected = [h for h in inventory.get_hosts() if not h.implicit]
    except AnsibleError as exc:
        problems.append(InventoryProblem("--limit", f"{limit!r}: {one_line(exc)}"))
        return False
    if not selected:
        problems.append(InventoryProblem("--limit", f"{limit!r} matches no host"))
        return False
    return True


def _install_vault_secrets(
    loader: Any, password_file: str | None
) -> tuple[bool, list[InventoryProblem]]:
    """Give ``loader`` and ansible's process-wide vault context this run's password.

    Always replaces the previous run's secrets (or clears them), so a second
    load in the same process never decrypts with an old password. A password
    file that cannot be read is a problem; the hosts needing vault data then
    get their own problems, the others still load.
    """
    from ansible.errors import AnsibleError
    from ansible.parsing.vault import VaultSecretsContext, get_file_vault_secret

    from auditor.inventory.origin import one_line

    secrets: list[tuple[str, Any]] = []
    problems: list[InventoryProblem] = []
    if password_file is not None and not os.path.isfile(password_file):
        problems.append(InventoryProblem(password_file, "vault password file not found"))
    elif password_file is not None:
        try:
            secret = get_file_vault_secret(
                filename=password_file, vault_id="default", loader=loader
            )
            secret.load()
            secrets.append(("default", secret))
        except AnsibleError as exc:
            problems.append(
                InventoryProblem(password_file, f"vault password file: {one_line(exc)}")
            )
    loader.set_vault_secrets(secrets)
    context = VaultSecretsContext.current(optional=True)
    if context is None:
        VaultSecretsContext.initialize(VaultSecretsContext(secrets))
    else:
        context.secrets = secrets
    return bool(secrets), problems
