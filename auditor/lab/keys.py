"""The lab's client keys: one per way an MSP holds a credential.

* ``id_ed25519``: a plain key file, named by the lab inventory;
* ``agent_ed25519``: a key meant to be held by an ssh-agent (the test starts one);
* ``encrypted_ed25519``: a key file with a passphrase (:data:`ENCRYPTED_KEY_PASSPHRASE`);
* ``cert_ed25519`` + ``cert_ed25519-cert.pub``: a key whose public half no host
  lists; it logs in as root only by its certificate from the lab's user CA,
  which every OpenSSH host trusts (``TrustedUserCAKeys``).

All but the certificate key are in root's authorized keys on every host.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from auditor.lab.spec import ENCRYPTED_KEY_PASSPHRASE


@dataclass(frozen=True, slots=True)
class ClientKeys:
    plain: Path
    agent: Path
    encrypted: Path
    cert: Path
    user_ca: Path

    def authorized(self) -> list[str]:
        """The public lines root accepts (the certificate key's is not among them)."""
        return [
            Path(f"{k}.pub").read_text().strip() for k in (self.plain, self.agent, self.encrypted)
        ]


def keygen(path: Path, comment: str, passphrase: str = "") -> str:
    """Make an ed25519 key pair at ``path``; return the public line."""
    path.unlink(missing_ok=True)
    path.with_suffix(".pub").unlink(missing_ok=True)
    Path(f"{path}.pub").unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", str(path)],
        check=True,
        timeout=10,
        stdin=subprocess.DEVNULL,
    )
    return Path(f"{path}.pub").read_text().strip()


def client_keys(state_dir: Path) -> ClientKeys:
    """Where a lab's keys live (made by :func:`make_client_keys` when it is built)."""
    return ClientKeys(
        plain=state_dir / "id_ed25519",
        agent=state_dir / "agent_ed25519",
        encrypted=state_dir / "encrypted_ed25519",
        cert=state_dir / "cert_ed25519",
        user_ca=state_dir / "user_ca",
    )


def make_client_keys(keys: ClientKeys, tag: str) -> None:
    keygen(keys.plain, f"auditor-lab-{tag}")
    keygen(keys.agent, f"auditor-lab-agent-{tag}")
    keygen(keys.encrypted, f"auditor-lab-encrypted-{tag}", ENCRYPTED_KEY_PASSPHRASE)
    keygen(keys.user_ca, f"auditor-lab-user-ca-{tag}")
    keygen(keys.cert, f"auditor-lab-cert-{tag}")
    subprocess.run(
        ["ssh-keygen", "-q", "-s", str(keys.user_ca), "-I", f"auditor-lab-{tag}", "-n", "root",
         "-V", "-5m:+2d", f"{keys.cert}.pub"],
        check=True, timeout=10, stdin=subprocess.DEVNULL,
    )  # fmt: skip
