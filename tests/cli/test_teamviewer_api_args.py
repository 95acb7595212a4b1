"""``--teamviewer-api-token-file`` and ``--teamviewer-api-url`` as a user gets them wrong:
one usage line naming the file or option, before anything is audited, never the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli_teamviewer import read_token
from auditor.errors import ConfigError
from tests.cli.test_cli import auditor

TOKEN = "12345678-Token-That-Must-Not-Show"
INVENTORY = "[kunde]\nweb1 ansible_host=198.51.100.9\n"


def test_the_token_is_the_files_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tv.token"
    path.write_text(f"\n  {TOKEN}  \n\n", encoding="utf-8")
    assert read_token(path).reveal() == TOKEN
    assert TOKEN not in repr(read_token(path)) and TOKEN not in f"{read_token(path)}"


@pytest.mark.parametrize(
    ("content", "said"),
    [(b"", "empty"), (b"  \n\n", "empty"), (f"{TOKEN}\nsecond\n".encode(), "on one line"),
     (f"{TOKEN} extra".encode(), "on one line"), (b"\xff\xfe\x00t", "not UTF-8 text"),
     (b"x" * 5000, "larger than 4096 bytes")],
    ids=["empty", "blank", "two lines", "two words", "binary", "huge"],
)  # fmt: skip
def test_a_broken_token_file_is_one_line(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "tv.token"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as refused:
        read_token(path)
    message = str(refused.value)
    assert message.startswith(f"--teamviewer-api-token-file: {path}: ") and said in message
    assert TOKEN not in str(refused.value)


def test_a_missing_or_folder_token_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        read_token(tmp_path / "absent.token")
    with pytest.raises(ConfigError, match="is a folder"):
        read_token(tmp_path)


@pytest.mark.parametrize(
    ("args", "said"),
    [(["--teamviewer-api-token-file", "{dir}/absent.token"], "absent.token: no such file"),
     (["--teamviewer-api-url", "ftp://webapi.example"], "--teamviewer-api-url: needs http(s)"),
     (["--teamviewer-api-url", f"https://user:{TOKEN}@webapi.example"], "without user or password")],
    ids=["no token file", "not http", "credentials in the URL"],
)  # fmt: skip
def test_run_refuses_bad_api_options_before_auditing(
    tmp_path: Path, args: list[str], said: str
) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(INVENTORY, encoding="utf-8")
    argv = [a.replace("{dir}", str(tmp_path)) for a in args]
    done = auditor("run", "-i", str(inventory), "--no-history", "--out", str(tmp_path / "o"), *argv)
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], lines
    assert TOKEN not in done.stderr + done.stdout
    assert not (tmp_path / "o").exists()  # nothing audited, nothing written
