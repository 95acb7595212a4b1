"""Keep ansible-core's global configuration out of the auditor's way.

ansible-core reads its configuration once, when ``ansible.constants`` is first
imported, from the first ``ansible.cfg`` it finds (``$ANSIBLE_CONFIG``, the
working directory, ``~/.ansible.cfg``, ``/etc/ansible``) and from ``ANSIBLE_*``
environment variables. An auditor whose inventory semantics depend on the
directory it was started from would be a surprise, so :func:`isolate_ansible`
points ``ANSIBLE_CONFIG`` at an empty, packaged ``ansible.cfg`` and forces the
few settings below into the environment (the environment wins over any file).

Contract: call :func:`isolate_ansible` before anything imports ``ansible``.
The auditor imports ansible-core only inside :mod:`auditor.inventory`, after
calling it. The settings are process-wide and are inherited by child
processes (``ansible-inventory`` run from tests sees the same view).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

EMPTY_CONFIG: Final = str(Path(__file__).with_name("ansible.cfg"))

# Each setting, and why the auditor needs it.
ANSIBLE_SETTINGS: Final[dict[str, str]] = {
    # No ansible.cfg from cwd, home or /etc: same inventory view everywhere.
    "ANSIBLE_CONFIG": EMPTY_CONFIG,
    # Static inventories only. "script" would execute files and "auto" would
    # load cloud plugins (network calls, collections). Dynamic inventories can
    # be frozen with `ansible-inventory -i SRC --list --yaml > static.yml`.
    "ANSIBLE_INVENTORY_ENABLED": "host_list,yaml,ini",
    # Only host_vars/ and group_vars/ beside the inventory; no collection plugins.
    "ANSIBLE_VARS_ENABLED": "host_group_vars",
    # Unparsable sources, empty --limit results and odd group names are
    # reported by the auditor as InventoryProblem values, not as warnings on
    # the terminal; the same for deprecations, which are not the user's concern.
    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "False",
    "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "False",
    "ANSIBLE_LOCALHOST_WARNING": "False",
    "ANSIBLE_HOST_PATTERN_MISMATCH": "ignore",
    # "ignore" keeps group names exactly like the default "never", silently.
    "ANSIBLE_TRANSFORM_INVALID_GROUP_CHARS": "ignore",
    "ANSIBLE_DEPRECATION_WARNINGS": "False",
    "ANSIBLE_SYSTEM_WARNINGS": "False",
    "ANSIBLE_NOCOLOR": "True",
    # Every run reads the files as they are now.
    "ANSIBLE_INVENTORY_CACHE": "False",
}


def isolate_ansible() -> None:
    """Force :data:`ANSIBLE_SETTINGS` into ``os.environ``; idempotent.

    Raises ``RuntimeError`` when ansible-core was already imported with another
    configuration file: the settings could no longer take effect, and loading
    the inventory anyway would silently use the user's ansible.cfg.
    """
    os.environ.update(ANSIBLE_SETTINGS)
    constants = sys.modules.get("ansible.constants")
    if constants is None:
        return
    config = getattr(constants, "config", None)
    used = getattr(config, "_config_file", None)  # ansible-core has no public accessor
    if used != EMPTY_CONFIG:
        raise RuntimeError(
            f"ansible-core was imported before auditor.inventory isolated it (config {used})"
        )
