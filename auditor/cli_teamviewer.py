"""``--teamviewer-api-token-file`` and ``--teamviewer-api-url``: the MSP's own TeamViewer company.

With a company API token (read access to managed devices) the run fetches
the MSP's managed devices once and the judge proves each TeamViewer Host's
assignment against them (teamviewer/). The token is read from a file, never
from the command line (it would show in ``ps`` and shell history), and goes
nowhere but the API's ``Authorization`` header.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit

from auditor.errors import ConfigError
from auditor.model import Secret
from auditor.teamviewer.api import DEFAULT_URL, ApiAccess

MAX_TOKEN_BYTES = 4096


def add_api_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--teamviewer-api-token-file", type=Path, metavar="FILE",
        help="a TeamViewer company API token (read access to managed devices): prove each "
        "TeamViewer Host is assigned to the MSP's company",
    )  # fmt: skip
    parser.add_argument(
        "--teamviewer-api-url", default=DEFAULT_URL, metavar="URL",
        help=f"the TeamViewer Web API's base URL (default {DEFAULT_URL})",
    )  # fmt: skip


def api_access(args: argparse.Namespace) -> ApiAccess | None:
    """The token and URL from the command line; None without a token file.

    Every mistake is a one-line usage error naming the file, never its content.
    """
    url = str(args.teamviewer_api_url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise ConfigError(
            "--teamviewer-api-url: needs http(s)://HOST[:PORT][/PATH], without user or password"
        )
    path: Path | None = args.teamviewer_api_token_file
    if path is None:
        return None
    return ApiAccess(read_token(path), url)


def read_token(path: Path) -> Secret:
    """The token: the file's one non-empty line, surrounding blanks removed."""
    where = f"--teamviewer-api-token-file: {path}"
    try:
        if path.stat().st_size > MAX_TOKEN_BYTES:
            raise ConfigError(f"{where}: larger than {MAX_TOKEN_BYTES} bytes, not a token")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{where}: is a folder, not a file") from None
    except PermissionError:
        raise ConfigError(f"{where}: not readable by this user") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{where}: {exc.strerror or type(exc).__name__}") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ConfigError(f"{where}: empty")
    if len(lines) > 1 or any(ch.isspace() or not ch.isprintable() for ch in lines[0]):
        raise ConfigError(f"{where}: must hold the token alone, on one line")
    return Secret(lines[0])
