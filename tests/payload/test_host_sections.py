"""The payload's admin and teamviewer sections: helpers on fake trees, sudo for real.

The lab (tests/engine) covers whole hosts; here the pieces are pinned down
one by one, and the become password's only way out (sudo's stdin) is run
for real as an unprivileged user, on the oldest and the newest Python.
"""

from __future__ import annotations

import base64
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from auditor.model import Secret
from auditor.payload import build_program, parse_output, payload_source

SECRET = "Bec0me-Secret-Pässwort"
PLAN = {"plan_version": 2, "deadline_s": 8.0, "probe_timeout_s": 1.0, "admin": {"check": "admin"},
        "teamviewer": {"check": "teamviewer"}}  # fmt: skip
SUDOERS = "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n"


@pytest.fixture(scope="module")
def probe() -> ModuleType:
    path = Path(__file__).parents[2] / "auditor" / "payload" / "host_probe.py"
    spec = importlib.util.spec_from_file_location("host_probe_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_become_slot_is_filled_only_when_a_password_is_given() -> None:
    plain = build_program(PLAN)
    with_secret = build_program(PLAN, Secret(SECRET))
    encoded = base64.b64encode(SECRET.encode()).decode()
    assert f'BECOME_B64 = "{encoded}"'.encode() in with_secret
    assert b'BECOME_B64 = ""  # AUDITOR-BECOME-SLOT' in plain
    assert plain.count(b"\n") == with_secret.count(b"\n") == payload_source().count(b"\n")


@pytest.mark.parametrize(
    ("rc", "stderr", "status"),
    [
        (0, "", "ok"),
        (1, "sudo: a password is required", "needs_password"),
        (1, "Sorry, try again.\nsudo: 1 incorrect password attempt", "wrong_password"),
        (1, "audit is not in the sudoers file.", "denied"),
        (1, "Sorry, user audit is not allowed to execute '/bin/true' as root on h.", "denied"),
        (1, "sudo: something new", "error"),
    ],
)
def test_sudo_answers_are_classified(probe: ModuleType, rc: int, stderr: str, status: str) -> None:
    result = {"status": "ran", "exit_status": rc, "stdout": "", "error": probe.scrub(stderr, None)}
    assert probe.classify_sudo(result)["status"] == status


def test_scrub_masks_the_secret_and_keeps_one_line(probe: ModuleType) -> None:
    text = probe.scrub(f"first\nsudo: echoed {SECRET} back\n", bytearray(SECRET.encode()))
    assert text == "sudo: echoed *** back"


def test_config_yields_only_id_and_version(probe: ModuleType, tmp_path: Path) -> None:
    conf = tmp_path / "global.conf"
    conf.write_text(
        "TeamViewer Global Settings\n\n[int32] ClientIC = 301094961\n"
        '[int32] ClientID = 1234567890\n[strng] Version = "15.61.3"\n'
        "[bin  ] PermanentPassword = 4c 61 62\n"
    )
    item = probe.tv_config(str(conf), None, None, probe.now() + 5)
    assert item == {"path": str(conf), "exists": True, "readable": True, "via": "direct",
                    "client_id": "1234567890", "version": "15.61.3",
                    "management_id": None, "unmanaged": None}  # fmt: skip
    missing = probe.tv_config(str(tmp_path / "nope.conf"), None, None, probe.now() + 5)
    assert missing == {"path": str(tmp_path / "nope.conf"), "exists": False, "readable": False,
                       "via": None}  # fmt: skip


@pytest.mark.parametrize(
    ("lines", "managed"),
    [
        ('[strng] DeviceManagementV2\\ManagementId = "{6f1c0d6e-1111-4000-8000-000000000001}"\n'
         "[int32] DeviceManagementV2\\Unmanaged = 0\n",
         ("{6f1c0d6e-1111-4000-8000-000000000001}", False)),
        ('[strng] DeviceManagementV2\\ManagementId = "{6f1c0d6e-1111-4000-8000-000000000001}"\n'
         "[int32] DeviceManagementV2\\Unmanaged = 1\n",
         ("{6f1c0d6e-1111-4000-8000-000000000001}", True)),
        ('[strng] DeviceManagementV2\\ManagementId = ""\n', (None, None)),
    ],
)  # fmt: skip
def test_config_yields_teamviewers_device_management(
    probe: ModuleType, tmp_path: Path, lines: str, managed: tuple[str | None, bool | None]
) -> None:
    """Read as TeamViewer's Get-TeamViewerManagementId reads it; nothing else of the file."""
    conf = tmp_path / "global.conf"
    conf.write_text("[int32] ClientID = 1234567890\n" + lines
                    + "[bin  ] PermanentPassword = 4c 61 62\n")  # fmt: skip
    item = probe.tv_config(str(conf), None, None, probe.now() + 5)
    assert (item["management_id"], item["unmanaged"]) == managed
    assert "4c 61 62" not in str(item)


def test_process_scan_matches_comm_or_argv0(probe: ModuleType, tmp_path: Path) -> None:
    for pid, comm, cmdline in [
        ("10", "teamviewerd", "/opt/teamviewer/tv_bin/teamviewerd\0"),
        ("11", "TVGuiSlave", "/opt/teamviewer/tv_bin/teamviewerd\0-d\0"),
        ("12", "bash", "bash\0-c\0teamviewerd\0"),
        ("self", "python3", "python3\0"),
    ]:
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "comm").write_text(comm + "\n")
        (tmp_path / pid / "cmdline").write_text(cmdline)
    assert probe.scan_proc("teamviewerd", str(tmp_path)) == [10, 11]
    assert probe.scan_proc("teamviewerd", str(tmp_path / "gone")) is None


@pytest.mark.parametrize(
    ("options", "hidden"),
    [
        ("rw,hidepid=2", True),
        ("rw,hidepid=invisible", True),
        ("rw,hidepid=0", False),
        ("rw", False),
    ],
)
def test_hidepid_is_detected(probe: ModuleType, tmp_path: Path, options: str, hidden: bool) -> None:
    (tmp_path / "self").mkdir()
    line = f"25 30 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc {options}\n"
    (tmp_path / "self" / "mountinfo").write_text(line)
    assert probe.proc_hidden(str(tmp_path)) is hidden


def test_package_lines(probe: ModuleType) -> None:
    assert probe.dpkg_line("teamviewer-host\tinstall ok installed\t15.61.3") == (
        "teamviewer-host", "15.61.3",
    )  # fmt: skip
    assert probe.dpkg_line("teamviewer\tdeinstall ok config-files\t15.1") is None
    assert probe.rpm_line("teamviewer-host\t15.61.3-1") == ("teamviewer-host", "15.61.3-1")
    assert probe.rpm_line("package teamviewer is not installed") is None


def run_as_nobody(
    program: bytes, python_home: str, tmp_path: Path
) -> subprocess.CompletedProcess[bytes]:
    """``python3 -`` as ``nobody`` with a sudoers that grants it nothing (private mount ns)."""
    sudoers = tmp_path / "sudoers"
    sudoers.write_text(SUDOERS)
    sudoers.chmod(0o440)
    inner = "LD_LIBRARY_PATH=/mnt/lib exec /mnt/bin/python3 -"
    script = (
        f'mount --bind "$1" /etc/sudoers && mount --bind "$2" /mnt && '
        f"exec su -s /bin/sh nobody -c {inner!r}"
    )
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", script, "sh", str(sudoers), python_home],
        input=program, capture_output=True, timeout=30, check=False,
    )  # fmt: skip


def python_homes() -> list[str]:
    """The oldest supported and the running Python (pyenv's 3.6 when present)."""
    homes = [str(Path(sys.base_prefix))]
    old = Path("/root/.pyenv/versions/3.6.15")
    return [str(old), *homes] if old.is_dir() else homes


@pytest.mark.parametrize("home", python_homes())
def test_become_password_only_reaches_sudos_stdin(home: str, tmp_path: Path) -> None:
    done = run_as_nobody(build_program(PLAN, Secret(SECRET)), home, tmp_path)
    doc: dict[str, Any] = parse_output(done.stdout, stderr=done.stderr, exit_status=done.returncode)
    admin = doc["admin"]
    assert admin["user"] == "nobody" and admin["become_password_given"] is True
    assert admin["sudo_nopasswd"]["status"] == "needs_password"
    assert admin["sudo_password"]["status"] == "wrong_password"  # nobody has no password
    for raw in (done.stdout, done.stderr):
        assert SECRET.encode() not in raw
        assert base64.b64encode(SECRET.encode()) not in raw
    tv = doc["teamviewer"]
    assert set(tv) == {"check", "packages", "binaries", "service", "config", "info"}
    assert [c["path"] for c in tv["config"]] == [
        "/etc/teamviewer/global.conf", "/opt/teamviewer/config/global.conf",
    ]  # fmt: skip


def test_without_become_password_sudo_is_not_fed(tmp_path: Path) -> None:
    done = run_as_nobody(build_program(PLAN), str(Path(sys.base_prefix)), tmp_path)
    doc = parse_output(done.stdout, stderr=done.stderr, exit_status=done.returncode)
    assert doc["admin"]["become_password_given"] is False
    assert "sudo_password" not in doc["admin"]


def test_root_needs_no_sudo() -> None:
    done = subprocess.run(
        [sys.executable, "-"], input=build_program(PLAN, Secret(SECRET)), capture_output=True,
        timeout=30, check=False,
    )  # fmt: skip
    doc = parse_output(done.stdout, stderr=done.stderr, exit_status=done.returncode)
    assert (doc["admin"]["euid"], doc["admin"]["user"]) == (0, "root")
    assert "sudo_nopasswd" not in doc["admin"]
