"""The lab's certificates: a CA every lab host trusts and a rogue CA none trusts.

The TeamViewer-like targets serve a certificate from the lab CA, so a host's
own CA store (``/etc/netns/NS/ssl``, bound over ``/etc/ssl``) verifies it. The
rogue box serves a certificate for the *same names* from the rogue CA: what an
intercepting proxy looks like to the host. Keys are P-256 (fast to make);
everything is valid from one hour ago for 30 days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from auditor.lab.spec import LAB_NAMES, ROGUE_TLS, TV_ADDRS

LAB_CA_CN = "Auditor Lab CA"
ROGUE_CA_CN = "Rogue Intercept CA"
SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
SYSTEM_OPENSSL_CNF = Path("/etc/ssl/openssl.cnf")


@dataclass(frozen=True, slots=True)
class Pki:
    """Paths of the PEM files the lab made (all inside the state dir)."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    rogue_ca_cert: Path
    rogue_cert: Path
    rogue_key: Path
    ca_subject_hash: str  # OpenSSL's -subject_hash: the capath link name is "<hash>.0"
    # Windows hosts' WinRM listener certificates: host name -> (certificate, key)
    listeners: dict[str, tuple[Path, Path]] = dataclasses.field(default_factory=dict)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
    )


def _ca(cn: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(_name(cn), _name(cn), key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _leaf(
    cn: str,
    names: Iterable[str],
    ips: Iterable[str],
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    sans += [x509.IPAddress(IPv4Address(a)) for a in ips]
    cert = (
        _builder(_name(cn), ca_cert.subject, key)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _self_signed(
    cn: str, name: str, address: str
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A leaf signed with its own key: subject and issuer are the same."""
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(name), x509.IPAddress(IPv4Address(address))]
    cert = (
        _builder(_name(cn), _name(cn), key)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | None) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        key_path = path.with_suffix(".key")
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)


def make_pki(directory: Path, listeners: Iterable[tuple[str, str, bool]] = ()) -> Pki:
    """Create both CAs and both server certificates in ``directory``.

    ``listeners``: (host name, address, self-signed?) of each HTTPS WinRM
    listener; each gets a certificate for its name and address from the lab
    CA, or one it signed itself (what a listener made by ``winrm quickconfig
    -transport:https`` with a self-made certificate presents).
    """
    directory.mkdir(parents=True, exist_ok=True)
    lab_ca, rogue_ca = _ca(LAB_CA_CN), _ca(ROGUE_CA_CN)
    names = sorted(LAB_NAMES)
    server = _leaf("teamviewer lab target", names, TV_ADDRS, lab_ca)
    rogue = _leaf("teamviewer lab target", names, (ROGUE_TLS,), rogue_ca)
    pki = Pki(
        ca_cert=directory / "lab-ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        rogue_ca_cert=directory / "rogue-ca.pem",
        rogue_cert=directory / "rogue.pem",
        rogue_key=directory / "rogue.key",
        ca_subject_hash="",
    )
    _write(pki.ca_cert, lab_ca[0], None)
    _write(pki.rogue_ca_cert, rogue_ca[0], None)
    _write(pki.server_cert, *server)
    _write(pki.rogue_cert, *rogue)
    for name, address, self_signed in listeners:
        cert_path = directory / f"winrm-{name}.pem"
        made = _self_signed(name.upper(), name, address) if self_signed else _leaf(
            name.upper(), (name,), (address,), lab_ca)  # fmt: skip
        _write(cert_path, *made)
        pki.listeners[name] = (cert_path, cert_path.with_suffix(".key"))
    subject_hash = subprocess.run(
        ["openssl", "x509", "-noout", "-subject_hash", "-in", str(pki.ca_cert)],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout.strip()
    return dataclasses.replace(pki, ca_subject_hash=subject_hash)


def write_host_ssl(ssl_dir: Path, pki: Pki) -> None:
    """Build a host's ``/etc/ssl`` replacement: system roots plus the lab CA.

    ``ip netns exec`` bind-mounts this directory over ``/etc/ssl``, so OpenSSL's
    default ``cafile`` (certs/ca-certificates.crt), ``capath`` (hash links) and
    ``openssl.cnf`` must all be real files here; a symlink back to /etc/ssl
    would point into the mount itself.
    """
    certs = ssl_dir / "certs"
    certs.mkdir(parents=True, exist_ok=True)
    (ssl_dir / "private").mkdir(mode=0o700, exist_ok=True)
    shutil.copyfile(SYSTEM_OPENSSL_CNF, ssl_dir / "openssl.cnf")
    ca_pem = pki.ca_cert.read_bytes()
    system = SYSTEM_BUNDLE.read_bytes() if SYSTEM_BUNDLE.is_file() else b""
    (certs / "ca-certificates.crt").write_bytes(system + ca_pem)
    (certs / "auditor-lab-ca.pem").write_bytes(ca_pem)
    link = certs / f"{pki.ca_subject_hash}.0"
    link.unlink(missing_ok=True)
    link.symlink_to("auditor-lab-ca.pem")
