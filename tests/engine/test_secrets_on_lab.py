"""Every secret planted in a full lab run, searched for in everything the run leaves behind.

The whole lab is audited from a vault-encrypted inventory: SSH and WinRM
passwords, become passwords (right and wrong), device passwords and enable
secrets, a key passphrase, the vault password itself; then the night's mails
are written with an SMTP password configured. While it runs, the argv and
environment of every process on the controller's side and on the hosts are
sampled. None of the secrets may appear in any of it: terminal output,
results, reports, metrics, the history store (its bytes), the mails, argv or
environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from auditor.lab import Lab
from auditor.lab.netns import pids_in
from auditor.lab.spec import (
    DEVICE_ENABLE_SECRET,
    DEVICE_PASSWORD,
    ENCRYPTED_KEY_PASSPHRASE,
    WINDOWS_PASSWORD,
)
from tests.engine.conftest import (
    WRONG_BECOME_PASSWORD,
    WRONG_PASSWORD,
    add_admin_hosts,
    add_extra_hosts,
    audit_argv,
)

pytestmark = pytest.mark.lab

VAULT_PASSWORD = "Vault-Pass-Planted-7731"
SMTP_PASSWORD = "Smtp-Pass-Planted-5512"


class _ProcSampler(threading.Thread):
    """argv and environment of every process in the lab's namespaces, every 50 ms."""

    def __init__(self, namespaces: list[str]) -> None:
        super().__init__(daemon=True)
        self.namespaces = namespaces
        self.seen: set[bytes] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            for pid in pids_in(self.namespaces):
                for part in ("cmdline", "environ"):
                    with contextlib.suppress(OSError):
                        self.seen.add(Path(f"/proc/{pid}/{part}").read_bytes())


def _vault_encrypt(path: Path, password_file: Path) -> None:
    from auditor.inventory.isolation import isolate_ansible

    isolate_ansible()
    from ansible.parsing.vault import VaultLib, VaultSecret

    secret = VaultSecret(VAULT_PASSWORD.encode())
    path.write_bytes(VaultLib([("default", secret)]).encrypt(path.read_bytes()))
    password_file.write_text(VAULT_PASSWORD + "\n", encoding="ascii")


def _keyed_host(inventory: Path, lab: Lab) -> None:
    """``good`` again, logging in with the encrypted key given inline with its passphrase."""
    data = yaml.safe_load(inventory.read_text(encoding="utf-8"))
    hosts = next(iter(data["all"]["children"].values()))["hosts"]
    good = {k: v for k, v in hosts["good"].items() if k != "ansible_ssh_private_key_file"}
    hosts["inlinekey"] = {**good, "ansible_private_key": lab.keys.encrypted.read_text(),
                          "ansible_private_key_passphrase": ENCRYPTED_KEY_PASSPHRASE}  # fmt: skip
    inventory.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_no_planted_secret_leaves_a_trace(lab: Lab, tmp_path: Path) -> None:
    from auditor.lab.inventory import write_inventory

    audit_password = lab.audit_password.reveal()
    secrets = [audit_password, WRONG_PASSWORD, WRONG_BECOME_PASSWORD, WINDOWS_PASSWORD,
               DEVICE_PASSWORD, DEVICE_ENABLE_SECRET, ENCRYPTED_KEY_PASSPHRASE, VAULT_PASSWORD,
               SMTP_PASSWORD]  # fmt: skip
    inventory = write_inventory(lab, tmp_path / "inventory.yml")
    add_extra_hosts(inventory, lab, audit_password)
    add_admin_hosts(inventory, lab, audit_password)
    _keyed_host(inventory, lab)
    vault_file = tmp_path / "vault-pass"
    _vault_encrypt(inventory, vault_file)
    db = tmp_path / "history.sqlite"
    metrics = tmp_path / "auditor.prom"
    argv = audit_argv(lab, tmp_path, "--vault-password-file", str(vault_file), "--db",
                      f"sqlite:///{db}", "--metrics", str(metrics), inventory=inventory)  # fmt: skip
    sampler = _ProcSampler(list(lab.namespaces))
    sampler.start()
    try:
        done = subprocess.run(["ip", "netns", "exec", lab.msp_ns, *argv], capture_output=True,
                              timeout=300, check=False)  # fmt: skip
    finally:
        sampler.stop.set()
        sampler.join(timeout=10)
    assert done.returncode in (1, 2, 3), done.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    stages = {h["name"]: h["stage"] for h in results["hosts"]}
    # the secrets were used: vault opened, passphrase, passwords, become, WinRM, enable
    assert {stages[n] for n in ("good", "inlinekey", "sudopw", "winok")} == {"judged"}, stages
    assert len(sampler.seen) > 50  # controller and host processes, sampled as they ran
    config = tmp_path / "mail.conf"
    config.write_text(f"AUDITOR_SMTP_HOST=mail.example\nAUDITOR_SMTP_USER=audit\n"
                      f"AUDITOR_SMTP_PASSWORD={SMTP_PASSWORD}\n"
                      "AUDITOR_MAIL_FROM=MSP <audit@msp.example>\n", encoding="utf-8")  # fmt: skip
    outbox = tmp_path / "outbox"
    mail = subprocess.run([sys.executable, "-m", "auditor", "mail", "-i", str(inventory),
                           "--vault-password-file", str(vault_file), "--db", f"sqlite:///{db}",
                           "--mail-config", str(config), "--dry-run", "--out", str(outbox)],
                          capture_output=True, timeout=120, check=False,
                          env={**os.environ, "HOME": str(tmp_path)})  # fmt: skip
    assert mail.returncode == 0, mail.stderr
    assert list(outbox.glob("*.eml"))
    left: dict[str, bytes] = {"stdout": done.stdout, "stderr": done.stderr,
                              "mail stdout": mail.stdout, "mail stderr": mail.stderr}  # fmt: skip
    for path in [*(tmp_path / "out").iterdir(), metrics, *outbox.iterdir(),
                 *tmp_path.glob("history.sqlite*")]:  # fmt: skip
        left[str(path)] = path.read_bytes()
    for n, sample in enumerate(sampler.seen):
        left[f"/proc sample {n}"] = sample
    for secret in secrets:
        for where, content in left.items():
            assert secret.encode() not in content, f"{secret!r} in {where}"
