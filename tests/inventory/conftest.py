"""Fixtures for inventory tests: real files in tmp_path, real ansible-vault encryption."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.inventory.isolation import isolate_ansible

isolate_ansible()  # before anything below imports ansible

from ansible.parsing.vault import VaultLib, VaultSecret  # noqa: E402

VAULT_PASSWORD = "correct horse battery staple"


class Vault:
    """Encrypts like ``ansible-vault`` (format 1.1, AES256) with :data:`VAULT_PASSWORD`."""

    def __init__(self, password_file: Path) -> None:
        self.password_file = password_file
        self._lib = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])

    def encrypt(self, plaintext: str) -> str:
        """A whole encrypted file, as ``ansible-vault encrypt`` writes it."""
        return str(self._lib.encrypt(plaintext).decode())

    def value(self, name: str, plaintext: str) -> str:
        """A YAML ``name: !vault |`` entry, as ``ansible-vault encrypt_string`` prints it."""
        return f"{name}: !vault |\n" + textwrap.indent(self.encrypt(plaintext), "  ")


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write dedented ``text`` to ``tmp_path/rel`` (parents created); return the path."""

    def _write(rel: str, text: str) -> Path:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return _write


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    password_file = tmp_path / "vault-pass.txt"
    password_file.write_text(VAULT_PASSWORD + "\n")
    return Vault(password_file)
