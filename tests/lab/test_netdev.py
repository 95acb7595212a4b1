"""The emulated network devices (``auditor/lab/netdev.py``), driven as the auditor drives them.

Each configuration in :data:`DEVICES` runs as its own ``python -m
auditor.lab.netdev`` process for the whole module (all started at once); the
tests log in with asyncssh over a PTY and check what the device prints:
banner, MOTD, prompt, echo, pager, enable, errors, the facts and privilege
commands, the journal, and the three faults.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from auditor.lab.netdev import Config, Session

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD, SECRET = "netaudit", "lab-Passw0rd", "en-Secr3t-42"
DELAY = 0.3
BANNER = "Authorized access only. Disconnect now if you are not an authorized user."

DEVICES: dict[str, dict[str, Any]] = {
    "ios": {"platform": "ios", "hostname": "sw-core1", "privilege": 1, "enable_secret": SECRET},
    "eos": {"platform": "eos", "hostname": "sw-leaf1", "privilege": 1, "enable_secret": SECRET},
    "eos_open": {"platform": "eos", "hostname": "sw-leaf2", "privilege": 1,
                 "model": "DCS-7280CR3-32P4", "version": "4.32.1F"},
    "nxos": {"platform": "nxos", "hostname": "nx-spine1", "privilege": "network-operator"},
    "junos": {"platform": "junos", "hostname": "ex-access1", "privilege": "super-user"},
    "fortios": {"platform": "fortios", "hostname": "fw-edge1", "privilege": "prof_admin"},
    "routeros": {"platform": "routeros", "hostname": "gw-branch1", "privilege": "write"},
    "panos": {"platform": "panos", "hostname": "pa-edge1", "privilege": "deviceadmin"},
    "faults": {"platform": "ios", "hostname": "sw-slow1", "privilege": 7, "delay_s": DELAY,
               "hang_on": "show clock", "close_on": "show version"},
}  # fmt: skip
PROMPTS = {
    "ios": "sw-core1>",
    "eos": "sw-leaf1>",
    "eos_open": "sw-leaf2>",
    "nxos": "nx-spine1#",
    "junos": "netaudit@ex-access1> ",
    "fortios": "fw-edge1 # ",
    "routeros": "[netaudit@gw-branch1] > ",
    "panos": "netaudit@pa-edge1> ",
    "faults": "sw-slow1#",
}
# scrapli's prompt patterns (scrapli / scrapli_community), as the auditor matches them
SCRAPLI = {
    "ios": (r"^[\w.\-@/:]{1,63}>$", r"^[\w.\-@/:]{1,63}#$"),
    "eos": (r"^[\w.\-@()/: ]{1,63}>\s?$", r"^[\w.\-@()/: ]{1,63}#\s?$"),
    "nxos": (r"^[\w.\-]{1,63}(\(maint\-mode\))?>\s?$", r"^[\w.\-]{1,63}(\(maint\-mode\))?#\s?$"),
    "junos": (r"^({\w+(:(\w+){0,1}\d){0,1}}\n){0,1}[\w\-@()/:\.]{1,63}>\s?$",),
    "fortios": (r"[\w_-]+ (\([\w-]+\) )?[$#]",),
    "routeros": (r"\[[a-z0-9@.\-_+\s]{1,48}@[a-z0-9.\-_\s]{1,64}\].{1,16}>",),
    "panos": (r"^[\w\._-]+@[\w\.\(\)_-]+>\s?$",),
}
MOTDS = {
    "ios": "*** sw-core1: managed device, changes only under a change ticket ***",
    "nxos": "Cisco Nexus Operating System (NX-OS) Software",
    "junos": "--- JUNOS 21.4R3-S5.4 Kernel 32-bit  JNPR-12.1-20230321.be2b45c_buil",
    "routeros": "  MikroTik RouterOS 7.14.3 (c) 1999-2024       https://www.mikrotik.com/",
}
# what erases a pager prompt again (backspaces, or a carriage return), and the two together
ERASE = r"(?:\x08+ +\x08+|\r +\r)"
PAGER = re.compile(r"(?: --More-- |--More-- |---\(more\)---)" + ERASE)
CISCO_ERROR = ["% Invalid input detected at '^' marker.", ""]


@dataclass(frozen=True)
class Device:
    name: str
    port: int
    state_dir: Path
    host_key: Path
    process: subprocess.Popen[bytes]

    @property
    def platform(self) -> str:
        return str(DEVICES[self.name]["platform"])

    @property
    def prompt(self) -> str:
        return PROMPTS[self.name]

    @property
    def login(self) -> str:
        """RouterOS takes console options after a ``+`` in the login name, as the auditor sends."""
        return f"{USER}+cet511w4098h" if self.platform == "routeros" else USER

    def journal(self) -> list[dict[str, Any]]:
        path = self.state_dir / "netdev.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_config(directory: Path, name: str, **overrides: Any) -> Path:
    """Every key, as the lab writes them; the host key does not exist yet."""
    directory.mkdir(parents=True)
    config = {
        "platform": "ios", "hostname": name, "address": "127.0.0.1", "port": _free_port(),
        "host_key": str(directory / "ssh_host_ed25519_key"), "user": USER, "password": PASSWORD,
        "privilege": None, "enable_secret": None, "enable_level": 15, "model": None,
        "version": None, "delay_s": 0.0, "hang_on": None, "close_on": None,
        "state_dir": str(directory / "state"),
    } | overrides  # fmt: skip
    path = directory / "netdev.json"
    path.write_text(json.dumps(config))
    return path


def _start(path: Path) -> subprocess.Popen[bytes]:
    """The server, its stdout piped (it must stay empty), its log in ``stderr`` beside path."""
    with (path.parent / "stderr").open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "auditor.lab.netdev", str(path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"netdev exited {process.returncode}: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"netdev never listened on {port}: {log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> tuple[int, bytes]:
    process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=10)
    return process.returncode, stdout


@pytest.fixture(scope="module")
def devices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Device]]:
    base = tmp_path_factory.mktemp("netdev")
    started: dict[str, Device] = {}
    try:
        for name, settings in DEVICES.items():
            path = _write_config(base / name, name, **settings)
            raw = json.loads(path.read_text())
            started[name] = Device(name, raw["port"], Path(raw["state_dir"]),
                                   Path(raw["host_key"]), _start(path))  # fmt: skip
        for device in started.values():
            _wait_listening(device.process, device.port, device.state_dir.parent / "stderr")
        yield started
    finally:
        for device in started.values():
            device.process.send_signal(signal.SIGTERM)
        for device in started.values():
            device.process.communicate(timeout=10)


# --- the client: a terminal that waits for what the device prints ------------------------------


class Term:
    """One logged-in shell: send keys, read until a pattern matches what arrived."""

    def __init__(
        self,
        conn: asyncssh.SSHClientConnection,
        proc: asyncssh.SSHClientProcess[bytes],
        banner: str,
    ) -> None:
        self.conn, self.proc, self.banner = conn, proc, banner
        self._buffer = ""

    def send(self, keys: str) -> None:
        self.proc.stdin.write(keys.encode())

    async def until(self, pattern: str, timeout: float = 5.0) -> str:
        """Everything up to the end of the first match (the rest stays buffered)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (match := re.search(pattern, self._buffer)):
            data = await asyncio.wait_for(self.proc.stdout.read(65536), deadline - loop.time())
            if not data:
                raise EOFError(f"EOF while waiting for {pattern!r} after {self._buffer!r}")
            self._buffer += data.decode()
        text, self._buffer = self._buffer[: match.end()], self._buffer[match.end() :]
        return text

    async def until_prompt(self, prompt: str) -> str:
        return await self.until(re.escape(prompt) + r"\Z")

    async def cmd(self, command: str, prompt: str, end: str = "\n") -> list[str]:
        """The output lines of one command (its echo and the next prompt checked, then removed)."""
        self.send(command + end)
        text = await self.until_prompt(prompt)
        echo = command + "\r\n"
        assert text.startswith(echo), text
        body = text[len(echo) : -len(prompt)]
        assert body == "" or body.endswith("\r\n"), body
        return body.split("\r\n")[:-1]

    async def to_eof(self, timeout: float = 5.0) -> str:
        """Everything until the channel closes."""
        text, self._buffer = self._buffer, ""
        while True:
            try:
                data = await asyncio.wait_for(self.proc.stdout.read(65536), timeout)
            except (asyncssh.Error, ConnectionError):
                return text
            if not data:
                return text
            text += data.decode()

    async def silent_for(self, seconds: float) -> bool:
        """Whether nothing at all arrives (and the channel stays open) for that long."""
        if self._buffer:
            return False
        try:
            data = await asyncio.wait_for(self.proc.stdout.read(65536), seconds)
        except TimeoutError:
            return True
        self._buffer += data.decode()
        return False


@asynccontextmanager
async def login(device: Device, pty: bool = True) -> AsyncIterator[Term]:
    """Log in (password only), open a shell, and read up to the first prompt."""
    banners: list[str] = []

    class Client(asyncssh.SSHClient):
        def auth_banner_received(self, msg: str, lang: str) -> None:
            banners.append(msg)

    async with asyncssh.connect(
        "127.0.0.1", device.port, username=device.login, password=PASSWORD, known_hosts=None,
        client_keys=None, agent_path=None, preferred_auth="password", client_factory=Client,
    ) as conn:  # fmt: skip
        proc = await conn.create_process(term_type="xterm" if pty else None, encoding=None)
        term = Term(conn, proc, "".join(banners))
        yield term


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


async def paged(term: Term, command: str, prompt: str, more: str) -> tuple[str, list[str]]:
    """A command's whole text, answering each pager with a space; and each page's text."""
    term.send(command + "\n")
    text, pages = "", []
    while True:
        chunk = await term.until(f"(?:{re.escape(more)}|{re.escape(prompt)})\\Z")
        text += chunk
        pages.append(chunk)
        if not chunk.endswith(more):
            return text, pages
        term.send(" ")


# --- login ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ios", "eos", "nxos", "junos", "fortios", "routeros", "panos"])
def test_login_shows_banner_motd_and_a_scrapli_prompt(
    devices: dict[str, Device], name: str
) -> None:
    device = devices[name]

    async def scenario() -> None:
        async with login(device) as term:
            text = await term.until_prompt(device.prompt)
            assert BANNER in term.banner
            motd, prompt = text.split("\r\n")
            assert prompt == device.prompt
            assert motd == MOTDS.get(name, motd) and motd.strip()
            assert any(re.search(p, prompt, re.I) for p in SCRAPLI[device.platform]), prompt

    run(scenario())


def test_wrong_password_or_user_is_refused(devices: dict[str, Device]) -> None:
    async def attempt(device: Device, username: str, password: str) -> None:
        async with asyncssh.connect(
            "127.0.0.1", device.port, username=username, password=password, known_hosts=None,
            client_keys=None, agent_path=None,
        ):  # fmt: skip
            pass

    async def scenario() -> None:
        for name, username, password in [
            ("ios", USER, "wrong"),
            ("ios", "admin", PASSWORD),
            ("routeros", "admin+cet511w4098h", PASSWORD),
        ]:
            with pytest.raises(asyncssh.PermissionDenied):
                await attempt(devices[name], username, password)
        await attempt(devices["routeros"], USER, PASSWORD)  # the suffix is optional

    run(scenario())


def test_host_key_is_made_private_and_served(devices: dict[str, Device]) -> None:
    device = devices["panos"]
    assert stat.S_IMODE(device.host_key.stat().st_mode) == 0o600
    key = asyncssh.read_private_key(device.host_key)
    assert key.get_algorithm() == "ssh-ed25519"

    async def scenario() -> None:
        async with login(device) as term:
            served = term.conn.get_server_host_key()
            assert served is not None
            assert served.public_data == key.public_data

    run(scenario())


# --- typing: echo, line ends, no PTY -----------------------------------------------------------


@pytest.mark.parametrize("pty", [True, False], ids=["pty", "no-pty"])
def test_echo_and_each_line_end_is_one_line(devices: dict[str, Device], pty: bool) -> None:
    device, prompt = devices["ios"], "sw-core1>"
    answer = "show privilege\r\nCurrent privilege level is 1\r\n" + prompt

    async def scenario() -> None:
        async with login(device, pty=pty) as term:
            await term.until_prompt(prompt)
            # "\r\n" is one line end; a lone "\n" and a lone "\r" are one each
            term.send(
                "show privilege\r\n" + "\n" + "\r\n" + "show privilege\r" + "show privilege\n"
            )
            text = await term.until(
                re.escape(answer) + re.escape("\r\n" + prompt) * 2 + re.escape(answer) * 2
            )
            assert text == answer + ("\r\n" + prompt) * 2 + answer * 2
            assert await term.silent_for(0.2)  # no further prompt for a stray "\n"

    run(scenario())


@pytest.mark.parametrize(
    ("name", "command"),
    [("ios", "exit"), ("nxos", "quit"), ("junos", "exit"), ("fortios", "exit"),
     ("routeros", "/quit"), ("panos", "logout")],
)  # fmt: skip
def test_exit_closes_the_session(devices: dict[str, Device], name: str, command: str) -> None:
    device = devices[name]

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt(device.prompt)
            term.send(command + "\n")
            assert await term.to_eof() == command + "\r\n"
            completed = await asyncio.wait_for(term.proc.wait(), 5)
            assert completed.exit_status == 0

    run(scenario())


# --- facts and the pager -----------------------------------------------------------------------

FACTS = [
    ("ios", "show version", [("terminal length 0", [])], [
        "Cisco IOS XE Software, Version 17.09.04a",
        "Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), "
        "Version 17.9.4a, RELEASE SOFTWARE (fc3)",
        "sw-core1 uptime is 12 weeks, 3 days, 4 hours, 5 minutes",
        "cisco C9300-24T (X86) processor with 1419044K/6147K bytes of memory.",
    ]),
    ("eos", "show version", [("terminal length 0", [])], [
        "Arista DCS-7050SX3-48YC8", "Hardware version: 11.00", "Serial number: JPE12345678",
        "System MAC address: 001c.7300.0001", "Software image version: 4.31.2F",
    ]),
    ("nxos", "show version", [("terminal length 0", [])], [
        "Cisco Nexus Operating System (NX-OS) Software", "  NXOS: version 9.3(10)",
        "  cisco Nexus9000 C93180YC-FX Chassis", "  Device name: nx-spine1",
    ]),
    ("junos", "show version", [
        ("set cli screen-length 0", ["Screen length set to 0"]),
        ("set cli screen-width 511", ["Screen width set to 511"]),
    ], ["Hostname: ex-access1", "Model: ex2300-24t", "Junos: 21.4R3-S5.4"]),
    ("panos", "show system info", [("set cli pager off", [])], [
        "hostname: pa-edge1", "model: PA-440", "sw-version: 11.1.2",
    ]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "command", "paging_off", "expected"), FACTS, ids=[f[0] for f in FACTS]
)
def test_facts_are_paged_until_the_session_stops_the_pager(
    devices: dict[str, Device],
    name: str,
    command: str,
    paging_off: list[tuple[str, list[str]]],
    expected: list[str],
) -> None:
    device = devices[name]
    more = "---(more)---" if name == "junos" else " --More-- "

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt(device.prompt)
            text, pages = await paged(term, command, device.prompt, more)
            assert len(pages) >= 2
            assert pages[0].startswith(command + "\r\n")
            assert pages[0].count("\r\n") == 1 + 24  # the echo, then one page
            for page in pages[1:]:
                assert re.match(ERASE + r"[^\x08\r]", page), page  # the pager erased, then lines
            for off, answer in paging_off:
                assert await term.cmd(off, device.prompt) == answer
            lines = await term.cmd(command, device.prompt)
            assert len(lines) > 24
            assert (
                PAGER.sub("", text)
                == command + "\r\n" + "".join(f"{line}\r\n" for line in lines) + device.prompt
            )
            assert lines[0] == expected[0]
            assert set(expected) <= set(lines)

    run(scenario())


def test_fortios_pager_space_enter_q_and_no_way_to_stop_it(devices: dict[str, Device]) -> None:
    device, more = devices["fortios"], "--More-- "
    erase = "\r" + " " * len(more) + "\r"

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt(device.prompt)
            term.send("get system status\n")
            first = await term.until(re.escape(more) + r"\Z")
            assert first.count("\r\n") == 1 + 24
            for enter in ("\r\n", "\n", "\r"):  # Enter, however it ends, shows one more line
                term.send(enter)
                assert re.fullmatch(
                    re.escape(erase) + r"[^\r\n]+\r\n" + re.escape(more),
                    await term.until(re.escape(more) + r"\Z"),
                )
            term.send("q")
            assert await term.until_prompt(device.prompt) == erase + device.prompt
            text, pages = await paged(term, "get system status", device.prompt, more)
            assert len(pages) == 2  # still paged: FortiOS has no session command against it
            lines = PAGER.sub("", text).split("\r\n")
            assert lines[1] == "Version: FortiGate-60F v7.2.8,build1639,240313 (GA.M)"
            assert {"Serial-Number: FGT60FTK2109XXXX", "Hostname: fw-edge1"} <= set(lines)

    run(scenario())


def test_routeros_is_never_paged(devices: dict[str, Device]) -> None:
    device = devices["routeros"]

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt(device.prompt)
            lines = await term.cmd("/system resource print", device.prompt, end="\r\n")
            assert {"version: 7.14.3 (stable)", "board-name: hEX"} <= {
                line.strip() for line in lines
            }
            assert len({line.index(": ") for line in lines}) == 1  # keys right-aligned

    run(scenario())


def test_model_and_version_overrides(devices: dict[str, Device]) -> None:
    device = devices["eos_open"]

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt(device.prompt)
            await term.cmd("terminal length 0", device.prompt)
            lines = await term.cmd("show version", device.prompt)
            assert lines[0] == "Arista DCS-7280CR3-32P4"
            assert "Software image version: 4.32.1F" in lines

    run(scenario())


# --- privilege ----------------------------------------------------------------------------------

PRIVILEGE = [
    ("nxos", "show user-account netaudit", [
        "user:netaudit", "        this user account has no expiry date",
        "        roles:network-operator ",
    ]),
    ("nxos", "show user-account admin", ["% no such user"]),
    ("fortios", "show system admin netaudit", [
        "config system admin", '    edit "netaudit"', '        set accprofile "prof_admin"',
        '        set vdom "root"', "        set password ENC SH2aBcDeF0123456789", "    next", "end",
    ]),
    ("routeros", '/user print detail without-paging where name="netaudit"', [
        " 0   ;;; system default user",
        '     name="netaudit" group=write address="" last-logged-in=2026-11-30 08:00:00',
    ]),
    ("routeros", '/user group print detail without-paging where name="write"', [
        ' 0 name="write" policy=local,telnet,ssh,ftp,reboot,read,write,test,winbox,password,web,'
        "sniff,api,romon,rest-api,!policy,!sensitive skin=default",
    ]),
    ("panos", "show config running xpath mgt-config/users/entry[@name='netaudit']/permissions", [
        "permissions {", "  role-based {", "    deviceadmin localhost.localdomain;", "  }", "}",
    ]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "command", "expected"), PRIVILEGE, ids=[f"{n}:{c[:24]}" for n, c, _ in PRIVILEGE]
)
def test_privilege_commands(
    devices: dict[str, Device], name: str, command: str, expected: list[str]
) -> None:
    device = devices[name]
    end = "\r\n" if name == "routeros" else "\n"  # as scrapli sends to each

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt(device.prompt)
            assert await term.cmd(command, device.prompt, end=end) == expected

    run(scenario())


def test_junos_cli_authorization(devices: dict[str, Device]) -> None:
    device = devices["junos"]

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt(device.prompt)
            await term.cmd("set cli screen-length 0", device.prompt)
            lines = await term.cmd("show cli authorization", device.prompt)
            assert lines[:2] == [
                "Current user: 'netaudit' login: 'netaudit' class 'super-user'",
                "Permissions:",
            ]
            bits = [re.match(r"    ([\w-]+) *-- \S", line) for line in lines[2:-5]]
            names = [bit.group(1) for bit in bits if bit]
            assert len(names) == len(lines) - 7
            assert "    view        -- Can view current values and statistics" in lines
            assert {"admin", "admin-control", "clear", "configure", "control", "field",
                    "firewall", "interface", "maintenance", "network", "reset", "rollback",
                    "routing", "secret", "security", "shell", "snmp", "system", "trace", "view",
                    "view-configuration", "all-control"} <= set(names)  # fmt: skip
            assert lines[-5:] == [
                "Individual command authorization:",
                "    Allow regular expression: none",
                "    Deny regular expression: none",
                "    Allow configuration regular expression: none",
                "    Deny configuration regular expression: none",
            ]

    run(scenario())


def _session(platform: str, privilege: str) -> Session:
    """A session without a channel, for answers of classes and roles no device above has."""
    config = Config(platform=platform, hostname="h1", user=USER, password=PASSWORD,
                    host_key=Path("/nonexistent"), state_dir=Path("/nonexistent"),
                    privilege=privilege, model="m", version="1")  # fmt: skip
    return Session(config, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("platform", "privilege", "command", "expected"),
    [
        ("junos", "read-only", "show cli authorization", ["view", "view-configuration"]),
        ("junos", "operator", "show cli authorization", ["clear", "network", "reset", "trace", "view"]),
        ("nxos", "network-admin", "show user-account", ["roles:network-admin"]),
        ("panos", "superuser", "show config running xpath mgt-config/users/entry[@name='netaudit']/permissions", ["superuser yes;"]),
        ("fortios", "super_admin", "show system admin netaudit", ['set accprofile "super_admin"']),
        ("routeros", "full", '/user group print detail where name="full"', [
            'policy=local,telnet,ssh,ftp,reboot,read,write,policy,test,winbox,password,web,sniff,sensitive,api,romon,rest-api'
        ]),
        ("routeros", "read", '/user group print detail where name="read"', [
            "policy=local,telnet,ssh,reboot,read,test,winbox,password,web,sniff,api,romon,rest-api,!ftp,!write,!policy,!sensitive"
        ]),
    ],
)  # fmt: skip
def test_classes_and_roles(
    platform: str, privilege: str, command: str, expected: list[str]
) -> None:
    lines = _session(platform, privilege).answer(command)
    if platform == "junos":
        bits = [line.split("--")[0].strip() for line in lines if "-- Can " in line]
        assert bits == expected
    else:
        assert all(any(word in line for line in lines) for word in expected), lines


# --- enable -------------------------------------------------------------------------------------


def test_ios_enable_three_tries_then_secret_and_journal(devices: dict[str, Device]) -> None:
    device = devices["ios"]
    before = len(device.journal())

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt("sw-core1>")
            assert await term.cmd("show privilege", "sw-core1>") == ["Current privilege level is 1"]
            term.send("enable\n")
            assert await term.until(r"Password: \Z") == "enable\r\nPassword: "
            for wrong in ("wrong-one", ""):
                term.send(wrong + "\n")
                assert await term.until(r"Password: \Z") == "\r\nPassword: "  # never echoed
            term.send("wrong-two\r\n")
            assert await term.until_prompt("sw-core1>") == "\r\n% Bad secrets\r\nsw-core1>"
            term.send("enable\n")
            await term.until(r"Password: \Z")
            term.send(SECRET + "\n")
            assert await term.until_prompt("sw-core1#") == "\r\nsw-core1#"
            assert await term.cmd("show privilege", "sw-core1#") == [
                "Current privilege level is 15"
            ]
            assert await term.cmd("enable", "sw-core1#") == []  # already there: no Password:
            assert await term.cmd("disable", "sw-core1>") == []
            assert any(re.search(p, "sw-core1#") for p in SCRAPLI["ios"])

    run(scenario())
    assert device.journal()[before:] == [
        {"command": "show privilege"},
        {"command": "enable"},
        {"command": "<secret>", "matched": False},
        {"command": "<secret>", "matched": False},
        {"command": "<secret>", "matched": False},
        {"command": "enable"},
        {"command": "<secret>", "matched": True},
        {"command": "show privilege"},
        {"command": "enable"},
        {"command": "disable"},
    ]
    journal = (device.state_dir / "netdev.jsonl").read_text()
    assert SECRET not in journal and "wrong-one" not in journal and "wrong-two" not in journal


def test_ios_enable_without_a_secret_configured(devices: dict[str, Device]) -> None:
    device = devices["faults"]  # privilege 7, no enable secret

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt("sw-slow1#")
            assert await term.cmd("show privilege", "sw-slow1#") == ["Current privilege level is 7"]
            assert await term.cmd("enable", "sw-slow1#") == ["% No password set"]
            assert await term.cmd("show privilege", "sw-slow1#") == ["Current privilege level is 7"]

    run(scenario())


def test_eos_enable_denies_at_once_then_accepts(devices: dict[str, Device]) -> None:
    device = devices["eos"]
    before = len(device.journal())

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt("sw-leaf1>")
            term.send("enable\n")
            await term.until(r"Password: \Z")
            term.send("not-it\n")
            assert await term.until_prompt("sw-leaf1>") == "\r\n% Access denied\r\nsw-leaf1>"
            term.send("enable\n")
            await term.until(r"Password: \Z")
            term.send(SECRET + "\n")
            assert await term.until_prompt("sw-leaf1#") == "\r\nsw-leaf1#"
            assert await term.cmd("show privilege", "sw-leaf1#") == [
                "Current privilege level is 15"
            ]

    run(scenario())
    assert [e.get("matched") for e in device.journal()[before:]] == [None, False, None, True, None]
    assert SECRET not in (device.state_dir / "netdev.jsonl").read_text()


def test_eos_enable_without_a_secret_just_succeeds(devices: dict[str, Device]) -> None:
    device = devices["eos_open"]

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt("sw-leaf2>")
            assert await term.cmd("enable", "sw-leaf2#") == []
            assert await term.cmd("disable", "sw-leaf2>") == []

    run(scenario())


# --- errors: unknown commands and anything that would change the device ---------------------------

# the command, the column of the word the error points at (None: no ^ line), the error
ERRORS = {
    "ios": ("show foo", 5, [*CISCO_ERROR]),
    "eos": ("foo bar", 0, [*CISCO_ERROR]),
    "nxos": ("show bogus", 5, [*CISCO_ERROR]),
    "junos": ("show foo", 5, ["syntax error, expecting <command>."]),
    "fortios": ("foo", None, ["Unknown action 0", "Command fail. Return code -61"]),
    "routeros": ("foo", None, ["bad command name foo (line 1 column 1)"]),
    "panos": ("foo", None, ["Unknown command: foo"]),
}
CHANGES = {
    "ios": ["configure terminal", "conf t", "write memory", "copy running-config startup-config", "reload"],
    "eos": ["configure", "write"],
    "nxos": ["configure terminal", "copy running-config startup-config"],
    "junos": ["configure", "request system reboot"],
    "fortios": ["config system admin", "execute reboot"],
    "routeros": ["/system reboot", "/user set netaudit group=full"],
    "panos": ["configure", "set system setting hostname x", "request restart system"],
}  # fmt: skip
SIGNS = {  # how each platform's error starts
    "ios": "% Invalid input detected", "eos": "% Invalid input detected",
    "nxos": "% Invalid input detected", "junos": "syntax error", "fortios": "Unknown action 0",
    "routeros": "bad command name", "panos": "Unknown command: ",
}  # fmt: skip


@pytest.mark.parametrize("name", list(ERRORS))
def test_unknown_and_changing_commands_get_the_platform_error(
    devices: dict[str, Device], name: str
) -> None:
    device = devices[name]
    command, column, message = ERRORS[name]
    caret = [] if column is None else [" " * (len(device.prompt) + column) + "^"]

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt(device.prompt)
            assert await term.cmd(command, device.prompt) == caret + message
            for change in CHANGES[name]:
                lines = await term.cmd(change, device.prompt)  # the same prompt: not in config mode
                assert any(line.startswith(SIGNS[name]) for line in lines), (change, lines)
            assert await term.cmd("", device.prompt) == []  # an empty line: just the prompt

    run(scenario())


# --- faults -------------------------------------------------------------------------------------


def test_delay_holds_every_answer_back(devices: dict[str, Device]) -> None:
    device = devices["faults"]

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt("sw-slow1#")
            started = time.monotonic()
            term.send("show privilege\n")
            await term.until(r"show privilege\r\n")
            echoed = time.monotonic()
            assert (
                await term.until_prompt("sw-slow1#") == "Current privilege level is 7\r\nsw-slow1#"
            )
            answered = time.monotonic()
            assert echoed < answered
            assert answered - started >= DELAY

    run(scenario())


def test_hang_on_keeps_the_channel_open_and_silent(devices: dict[str, Device]) -> None:
    device = devices["faults"]
    before = len(device.journal())

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt("sw-slow1#")
            term.send("show clock detail\n")
            assert await term.until(r"\r\n") == "show clock detail\r\n"
            assert await term.silent_for(DELAY + 0.4)
            term.send("show privilege\n")
            assert await term.silent_for(DELAY + 0.2)
            assert not term.conn.is_closed()

    run(scenario())
    assert device.journal()[before:] == [
        {"command": "show clock detail"},
        {"command": "show privilege"},
    ]


def test_close_on_drops_the_connection_after_three_lines(devices: dict[str, Device]) -> None:
    device = devices["faults"]

    async def scenario() -> None:
        async with login(device) as term:
            await term.until_prompt("sw-slow1#")
            await term.cmd("terminal length 0", "sw-slow1#")
            term.send("show version\n")
            text = await term.to_eof()
            assert text == (
                "show version\r\n"
                "Cisco IOS XE Software, Version 17.09.04a\r\n"
                "Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), "
                "Version 17.9.4a, RELEASE SOFTWARE (fc3)\r\n"
                "Technical Support: http://www.cisco.com/techsupport\r\n"
            )
            await asyncio.wait_for(term.conn.wait_closed(), 5)
            assert term.proc.exit_status is None  # no orderly exit: the connection just went

    run(scenario())


# --- the process --------------------------------------------------------------------------------


def test_process_is_quiet_on_stdout_and_stops_on_sigterm(tmp_path: Path) -> None:
    path = _write_config(tmp_path / "dev", "rtr1", platform="routeros")
    raw = json.loads(path.read_text())
    process = _start(path)
    try:
        _wait_listening(process, raw["port"], path.parent / "stderr")
    finally:
        returncode, stdout = _stop(process)
    assert returncode == 0
    assert stdout == b""
    assert "listening on 127.0.0.1" in (path.parent / "stderr").read_text()


def test_config_keys(tmp_path: Path) -> None:
    path = _write_config(tmp_path / "a", "sw1", platform="nxos")
    config = Config.load(path)
    assert (config.privilege, config.model, config.version) == (
        "network-admin",
        "C93180YC-FX",
        "9.3(10)",
    )
    assert Config.load(_write_config(tmp_path / "b", "sw2", privilege="7")).privilege == 7
    with pytest.raises(ValueError, match="unknown keys colour"):
        Config.load(_write_config(tmp_path / "c", "sw3", colour="red"))
    with pytest.raises(ValueError, match="platform must be one of"):
        Config.load(_write_config(tmp_path / "d", "sw4", platform="vyos"))
