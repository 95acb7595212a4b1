"""``auditor survey`` and ``auditor check-here``: the site survey before a contract.

The technician's two commands: ``survey`` finds and audits a network it has
no inventory for and hands over the draft inventory; ``check-here`` audits
the machine it runs on. Both run the normal engine, judge and report.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TextIO

from auditor.errors import ConfigError
from auditor.inventory import InventoryLoad
from auditor.model import Role, Secret
from auditor.profile import Profile
from auditor.progress import ProgressLine
from auditor.report.survey import SurveyNote
from auditor.run import ExitCode, RunOptions, execute_loaded, exit_code_for
from auditor.summary import format_summary
from auditor.survey.discover import Progress
from auditor.transports.registry import TransportSettings
from auditor.transports.ssh import HostKeyPolicy, SshSettings
from auditor.transports.winrm import WinrmSettings

COMMANDS = ("survey", "check-here")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    survey = sub.add_parser(
        "survey", help="find the devices of a network, audit what the credentials open, "
        "write a draft inventory (before a contract)",
    )  # fmt: skip
    survey.add_argument("networks", nargs="+", metavar="CIDR", help="networks to search")
    survey.add_argument("--customer", required=True, help="the customer's name")
    survey.add_argument("--user", help="SSH login for servers and network devices")
    survey.add_argument("--ask-pass", action="store_true", help="ask for --user's password")
    survey.add_argument("--password-file", type=Path, metavar="FILE",
                        help="--user's password, first line of FILE")  # fmt: skip
    survey.add_argument("--key", metavar="FILE", help="SSH private key for --user")
    survey.add_argument("--win-user", help="WinRM login for Windows servers")
    survey.add_argument("--win-ask-pass", action="store_true", help="ask for --win-user's password")
    survey.add_argument("--win-password-file", type=Path, metavar="FILE",
                        help="--win-user's password, first line of FILE")  # fmt: skip
    survey.add_argument("--net-user", help="SSH login for network devices (default --user)")
    survey.add_argument("--net-ask-pass", action="store_true", help="ask for --net-user's password")
    survey.add_argument("--net-password-file", type=Path, metavar="FILE",
                        help="--net-user's password, first line of FILE")  # fmt: skip
    survey.add_argument("--out", type=Path, metavar="DIR",
                        help="where results, reports and inventory.yml go "
                        "(default survey-<customer>-<date>/)")  # fmt: skip
    survey.add_argument("--rate", type=float, default=200.0,
                        help="connection attempts per second while searching (default 200)")  # fmt: skip
    survey.add_argument("--force", action="store_true",
                        help="search networks larger than a /20")  # fmt: skip
    survey.add_argument("--no-names", action="store_true",
                        help="no reverse name lookups (nothing but the networks is contacted)")  # fmt: skip
    _add_audit_args(survey, HostKeyPolicy.ACCEPT_NEW)
    survey.add_argument("--known-hosts", type=Path, metavar="FILE",
                        help="where host keys met are recorded (default DIR/known_hosts)")  # fmt: skip
    survey.add_argument(
        "--ssh-config", metavar="FILE", help="OpenSSH client configuration (ssh -F)"
    )
    survey.add_argument("--db", metavar="URL",
                        help="also record the survey in this history store (default: not)")  # fmt: skip

    here = sub.add_parser("check-here", help="audit this machine (egress, DNS, rights) "
                          "from where it stands, without credentials")  # fmt: skip
    here.add_argument("--customer", help="the customer's name (default: this machine's name)")
    here.add_argument("--role", choices=[r.value for r in Role], default=Role.SERVER.value,
                      help="this machine's role (default server)")  # fmt: skip
    here.add_argument("--unattended", action="store_true", help="auditor_unattended: true")
    here.add_argument("--out", type=Path, metavar="DIR",
                      help="where results and reports go (default check-here-<host>-<date>/)")  # fmt: skip
    _add_audit_args(here, None)


def _add_audit_args(p: argparse.ArgumentParser, policy: HostKeyPolicy | None) -> None:
    """The options of ``auditor run`` that shape an audit."""
    p.add_argument("--profile", metavar="FILE", help="contract profile YAML (default: bundled v5)")
    p.add_argument("--reflector", metavar="HOST[:PORT]", help="the provider's UDP/TCP reflector")
    p.add_argument("--expected-network", action="append", default=[], metavar="CIDR",
                   help="answers in this network are not sinkholes (repeatable)")  # fmt: skip
    p.add_argument("--lang", choices=("de", "en"), default="de", help="report language")
    p.add_argument("--timezone", metavar="ZONE", help="IANA time zone for report times")
    if policy is not None:
        p.add_argument("-f", "--forks", type=int, default=50, help="hosts audited at once")
        p.add_argument("--host-key-policy", choices=[x.value for x in HostKeyPolicy],
                       default=policy.value,
                       help=f"unknown host keys (default {policy.value}: a survey meets every "
                       "key for the first time); a changed key is never accepted")  # fmt: skip


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "survey":
        return _survey(args)
    return _check_here(args)


def _profile(args: argparse.Namespace) -> Profile:
    from auditor.profile import load_profile
    from auditor.report.when import zone

    zone(args.timezone)  # a bad --timezone is a usage error before anything is done
    return load_profile(args.profile, reflector=args.reflector,
                        expected_networks=args.expected_network)  # fmt: skip


def _survey(args: argparse.Namespace) -> int:
    from auditor.survey.discover import DiscoverySettings
    from auditor.survey.networks import parse_networks
    from auditor.survey.survey import (
        Credentials,
        default_out_dir,
        discover_and_draft,
        load_with_credentials,
        note_of,
    )

    networks = parse_networks(args.networks, force=args.force)
    if args.rate <= 0:
        raise ConfigError("--rate must be above 0 (attempts per second)")
    profile = _profile(args)
    credentials = Credentials(
        user=args.user,
        password=_password(args.user, args.ask_pass, args.password_file, "--password-file"),
        key_file=str(Path(args.key).resolve()) if args.key else None,
        win_user=args.win_user,
        win_password=_password(
            args.win_user, args.win_ask_pass, args.win_password_file, "--win-password-file"
        ),
        net_user=args.net_user,
        net_password=_password(
            args.net_user, args.net_ask_pass, args.net_password_file, "--net-password-file"
        ),
    )
    if args.key and not Path(args.key).is_file():
        raise ConfigError(f"--key: {args.key}: no such file")
    out_dir: Path = args.out or default_out_dir(args.customer)
    settings = DiscoverySettings(rate=args.rate, names=not args.no_names)
    line = _DiscoveryLine.if_terminal()
    discovered = discover_and_draft(args.customer, networks, credentials, out_dir, settings,
                                    line.update if line else None)  # fmt: skip
    if line:
        line.close()
    kinds = [d.kind for d in discovered.devices]
    counts = ", ".join(f"{kinds.count(k)} {k}" for k in ("ssh", "network_cli", "winrm", "web",
                                                         "unknown")
                       if k in kinds)  # fmt: skip
    print(f"survey: {len(kinds)} devices answered ({counts or 'none'})")
    print(f"draft inventory: {discovered.inventory.resolve()}")
    if discovered.interrupted:
        print("survey: interrupted; the draft inventory holds what was found so far",
              file=sys.stderr)  # fmt: skip
        return 130
    load = load_with_credentials(discovered.inventory, credentials)
    if not load.targets:
        print("survey: nothing the auditor can log into; see survey.json", file=sys.stderr)
        return ExitCode.INCOMPLETE
    ssh = SshSettings(
        host_key_policy=HostKeyPolicy(args.host_key_policy),
        own_known_hosts=(args.known_hosts or out_dir / "known_hosts").resolve(),
        ssh_config=args.ssh_config,
        connect_timeout_s=profile.timeouts.connect_s,
        login_timeout_s=profile.timeouts.login_s,
    )
    winrm = WinrmSettings(connect_timeout_s=profile.timeouts.connect_s,
                          login_timeout_s=profile.timeouts.login_s)  # fmt: skip
    options = RunOptions(inventories=(str(discovered.inventory),), out_dir=out_dir,
                         forks=args.forks, lang=args.lang, timezone=args.timezone, db=args.db,
                         history=args.db is not None)  # fmt: skip
    note = note_of(networks, discovered.devices)
    return _audit(options, profile, TransportSettings(ssh, winrm), load, note)


def _check_here(args: argparse.Namespace) -> int:
    from auditor.survey.check_here import local_load

    profile = _profile(args)
    load = local_load(args.customer, Role(args.role), args.unattended)
    name = load.targets[0].name
    out_dir: Path = args.out or Path(f"check-here-{name}-{date.today().isoformat()}")
    options = RunOptions(inventories=("check-here",), out_dir=out_dir, forks=1, lang=args.lang,
                         timezone=args.timezone, history=False)  # fmt: skip
    return _audit(options, profile, TransportSettings(), load, SurveyNote("check_here"))


def _audit(
    options: RunOptions,
    profile: Profile,
    transports: TransportSettings,
    load: InventoryLoad,
    note: SurveyNote,
) -> int:
    progress = ProgressLine.if_terminal()
    try:
        outcome = execute_loaded(options, profile, transports, load, progress, survey=note)
    finally:
        if progress:
            progress.close()
    run = outcome.run
    for problem in run.problems:
        print(f"inventory: {problem.one_line()}", file=sys.stderr)
    print(format_summary(run))
    print(f"reports: {(outcome.out_dir / 'index.html').resolve()}")
    print(f"results: {(outcome.out_dir / 'results.json').resolve()}")
    return exit_code_for(run)


def _password(
    user: str | None,
    ask: bool,
    path: Path | None,
    option: str,
    prompt: Callable[[str], str] = getpass.getpass,
) -> Secret | None:
    """A password from the terminal (``--ask-pass``) or a file; never from the command line."""
    if path is not None:
        try:
            first = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"{option}: {path}: {exc.strerror or exc}") from None
        if not first or not first[0]:
            raise ConfigError(f"{option}: {path}: the first line is empty")
        return Secret(first[0])
    if ask:
        return Secret(prompt(f"password for {user or 'the login'}: "))
    return None


class _DiscoveryLine:
    """One stderr line while searching: addresses tried, devices found."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @classmethod
    def if_terminal(cls, stream: TextIO = sys.stderr) -> _DiscoveryLine | None:
        return cls(stream) if stream.isatty() else None

    def update(self, progress: Progress) -> None:
        self._stream.write(f"\r\x1b[Ksurvey: {progress.tried}/{progress.total} addresses, "
                           f"{progress.found} devices found")  # fmt: skip
        self._stream.flush()

    def close(self) -> None:
        self._stream.write("\r\x1b[K")
        self._stream.flush()
