"""Command line: argument parsing and exit codes only; the work lives in run.py and friends.

Options follow Ansible's habits where they fit (``-i``, ``-l``, ``-f``,
``--vault-password-file``), so an MSP's existing inventory and muscle memory
carry over.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from auditor import __version__, cli_history, cli_mail, cli_sites, cli_survey, cli_teamviewer
from auditor.atomic import private_dir
from auditor.errors import ConfigError, HistoryBusy, InventoryError, OutputError, Terminated
from auditor.model import Role, Target
from auditor.progress import ProgressLine
from auditor.run import ExitCode, RunOptions, execute, exit_code_for
from auditor.summary import format_summary
from auditor.transports.registry import settings_for
from auditor.transports.ssh import HostKeyPolicy

if TYPE_CHECKING:
    from auditor.history.store import HistoryStore
    from auditor.transports.openssh_explain import Setting


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def _add_inventory_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-i",
        "--inventory",
        action="append",
        required=True,
        metavar="PATH",
        help="Ansible inventory file or folder (repeatable)",
    )
    p.add_argument(
        "-l", "--limit", metavar="PATTERN", help="Ansible host pattern, e.g. 'web*:!web03'"
    )
    p.add_argument("--vault-password-file", metavar="FILE", help="ansible-vault password file")


def _add_ssh_config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ssh-config",
        metavar="FILE",
        help="OpenSSH client configuration to use instead of ~/.ssh/config (ssh -F)",
    )


def _add_plan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", metavar="FILE", help="contract profile YAML (default: bundled v5)")
    p.add_argument("--reflector", metavar="HOST[:PORT]", help="the provider's UDP/TCP reflector")
    p.add_argument("--role", choices=[r.value for r in Role], default=Role.SERVER.value,
                   help="the host's role (auditor_role), default server")  # fmt: skip
    p.add_argument("--unattended", action="store_true", help="auditor_unattended: true")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="auditor",
        description="Proves, per customer, that each host meets the remote-maintenance "
        "prerequisites (TeamViewer egress, DNS, admin credentials, TeamViewer Host).",
        epilog="Exit codes of 'run': 0 compliant, 1 not compliant, 2 some hosts not audited, "
        "3 changed host key, 4 usage error, 5 internal error, 6 history store in use, "
        "7 mail failed.",
    )
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="audit the inventory and write results + reports")
    _add_inventory_args(run)
    run.add_argument(
        "--profile", metavar="FILE", help="contract profile YAML (default: bundled v5)"
    )
    run.add_argument("--reflector", metavar="HOST[:PORT]", help="the provider's UDP/TCP reflector")
    run.add_argument(
        "--expected-network",
        action="append",
        default=[],
        metavar="CIDR",
        help="answers in this network are not sinkholes (repeatable)",
    )
    run.add_argument(
        "-f", "--forks", type=int, default=50, help="hosts audited at once (default 50)"
    )
    run.add_argument(
        "--out", type=Path, default=Path("reports"), help="output folder (default reports/)"
    )
    run.add_argument("--lang", choices=("de", "en"), default="de", help="report language")
    run.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA time zone for report times, e.g. Europe/Berlin (default: this machine's)",
    )
    run.add_argument(
        "--host-key-policy",
        choices=[p.value for p in HostKeyPolicy],
        default=HostKeyPolicy.STRICT.value,
        help="unknown host keys: refuse (strict, default), record (accept-new) or ignore "
        "all checking (ignore); strict and accept-new never accept a changed key",
    )
    run.add_argument(
        "--known-hosts",
        type=Path,
        metavar="FILE",
        help="the auditor's own known_hosts (default ~/.local/state/auditor/known_hosts)",
    )
    _add_ssh_config_arg(run)
    cli_history.add_db_arg(run)
    run.add_argument("--no-history", action="store_true",
                     help="neither read nor write the history store (a one-off survey)")  # fmt: skip
    run.add_argument("--quiet", action="store_true",
                     help="for cron and timers: no progress, no summary; problems on stderr")  # fmt: skip
    run.add_argument("--metrics", type=Path, metavar="FILE",
                     help="write Prometheus textfile-collector metrics to FILE")  # fmt: skip
    run.add_argument("--mail", action="store_true",
                     help="then mail each customer its report (auditor_report_to, --to)")  # fmt: skip
    cli_mail.add_mail_args(run)
    cli_teamviewer.add_api_args(run)

    report = sub.add_parser(
        "report", help="render the HTML reports again from a results file (no host is contacted)"
    )
    source = report.add_mutually_exclusive_group(required=True)
    source.add_argument("--results", type=Path, metavar="FILE", help="a results.json of a run")
    source.add_argument("--from-db", action="store_true",
                        help="a run from the history store (with what changed before it)")  # fmt: skip
    report.add_argument("--run", metavar="ID", help="with --from-db: the run (default: latest)")
    cli_history.add_db_arg(report)
    report.add_argument(
        "--out", type=Path,
        help="output folder (default: the folder of the results file; with --from-db: reports/)",
    )  # fmt: skip
    report.add_argument("--lang", choices=("de", "en"), default="de", help="report language")
    report.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA time zone for report times, e.g. Europe/Berlin (default: this machine's)",
    )

    inv = sub.add_parser("inventory", help="show how the inventory resolves (never shows secrets)")
    _add_inventory_args(inv)
    inv.add_argument("--json", action="store_true", help="every resolved target as JSON")
    inv.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="NAME",
        help="show NAME's effective SSH settings and where each came from (repeatable)",
    )
    _add_ssh_config_arg(inv)

    by_hand = sub.add_parser(
        "payload", help="print the probe payload, with the profile's plan, to run on a host by hand"
    )
    by_hand.add_argument("--flavour", choices=("powershell", "python", "sh"), default="powershell",
                         help="powershell (Windows), python or sh (POSIX); default powershell")  # fmt: skip
    _add_plan_args(by_hand)
    judge = sub.add_parser(
        "judge", help="judge the output of a payload run by hand (auditor payload) and print it"
    )
    judge.add_argument("output", type=Path, help="what the payload printed (a file)")
    _add_plan_args(judge)

    cli_history.add_parsers(sub)
    cli_mail.add_parser(sub)
    cli_survey.add_parsers(sub)
    cli_sites.add_parsers(sub, _add_inventory_args, _add_ssh_config_arg)

    from auditor import reflector

    refl = sub.add_parser("reflector", help="run the provider's echo witness for UDP/TCP probes")
    reflector.add_arguments(refl)
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from auditor.profile import load_profile

    profile = load_profile(
        args.profile, reflector=args.reflector, expected_networks=args.expected_network
    )
    transports = settings_for(profile.timeouts, HostKeyPolicy(args.host_key_policy),
                              ssh_config_option(args.ssh_config), args.known_hosts)  # fmt: skip
    from auditor.report.when import zone

    zone(args.timezone)  # a bad --timezone is a usage error before anything is audited
    options = RunOptions(
        inventories=tuple(args.inventory),
        out_dir=args.out,
        limit=args.limit,
        vault_password_file=args.vault_password_file,
        forks=args.forks,
        lang=args.lang,
        timezone=args.timezone,
        db=args.db,
        history=not args.no_history,
        metrics=args.metrics,
        teamviewer_api=cli_teamviewer.api_access(args),
    )
    mail_settings = cli_mail.settings_for(args) if args.mail else None  # checked before auditing
    progress = ProgressLine.if_terminal(quiet=args.quiet)
    try:
        outcome = execute(options, profile, transports, events=progress)
    finally:
        if progress:
            progress.close()
    run = outcome.run
    for problem in run.problems:
        print(f"inventory: {problem.one_line()}", file=sys.stderr)
    for warning in outcome.warnings:
        print(f"auditor: {warning}", file=sys.stderr)
    if not args.quiet:
        print(format_summary(run))
        print(f"reports: {(outcome.out_dir / 'index.html').resolve()}")
        print(f"results: {(outcome.out_dir / 'results.json').resolve()}")
        if outcome.store:
            print(f"history: {outcome.store} (run {run.run_id})")
    code = exit_code_for(run)
    if args.mail:
        store = _store_after(options)
        sent = cli_mail.send_all(run, list(outcome.targets), args, mail_settings, store,
                                 outcome.changes)  # fmt: skip
        code = cli_mail.exit_code_after_mail(code, sent)
    return code


def _store_after(options: RunOptions) -> HistoryStore | None:
    """The run's history store again, to record the mails (None with --no-history)."""
    if not options.history:
        return None
    from auditor.history.store import HistoryStore

    return HistoryStore.open(options.db)


def ssh_config_option(path: str | None) -> str | None:
    """``--ssh-config``: a file that must exist (a typo must not silently mean "no config")."""
    if path is not None and not Path(path).is_file():
        raise ConfigError(f"--ssh-config: {path}: no such file")
    return path


def _cmd_report(args: argparse.Namespace) -> int:
    from auditor.report.when import zone
    from auditor.report.write import write_reports
    from auditor.results import ResultsError, read_results, write_results

    zone(args.timezone)  # a bad --timezone is a usage error before anything is written
    if args.from_db:
        run, changes = cli_history.run_from_store(args.db, args.run)
        out_dir: Path = args.out or Path("reports")
        private_dir(out_dir)
        write_results(run, out_dir)  # the overview links it: the night's results, as it was
    else:
        if args.run:
            raise ConfigError("--run needs --from-db")
        try:
            run, changes = read_results(args.results), None
        except ResultsError as exc:
            raise ConfigError(str(exc)) from None
        out_dir = args.out or args.results.parent
    private_dir(out_dir)
    written = write_reports(run, out_dir, lang=args.lang, timezone=args.timezone, changes=changes)
    print(f"reports: {written[0].resolve()}")
    return ExitCode.COMPLIANT


def _cmd_inventory(args: argparse.Namespace) -> int:
    from auditor.inventory import load_inventory
    from auditor.inventory.show import format_tree, to_json

    load = load_inventory(
        args.inventory, vault_password_file=args.vault_password_file, limit=args.limit
    )
    if args.host:
        return _show_hosts(load.targets, args.host, ssh_config_option(args.ssh_config), args.json)
    if args.json:
        print(json.dumps(to_json(load), indent=2, ensure_ascii=False))
    else:
        print(format_tree(load))
    return ExitCode.INCOMPLETE if load.problems else ExitCode.COMPLIANT


def _show_hosts(
    targets: Sequence[Target], names: Sequence[str], ssh_config: str | None, as_json: bool
) -> int:
    """``auditor inventory --host NAME``: effective settings with their sources."""
    import asyncio

    from auditor.errors import TransportError
    from auditor.inventory.winrm_vars import explain as explain_winrm
    from auditor.transports.openssh import OpenSsh
    from auditor.transports.openssh_explain import Setting, explain, format_settings

    by_name = {t.name: t for t in targets}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ConfigError(f"--host: no host {', '.join(missing)} in the inventory")
    openssh = OpenSsh(ssh_config)

    async def settings_of(target: Target) -> list[Setting]:
        if target.winrm is not None:  # a Windows host: its WinRM settings, no ssh -G
            origins = dict(target.origins)
            return [Setting(*row) for row in explain_winrm(target.winrm, target.address, origins)]
        found = await explain(openssh, target)
        if target.device is not None:  # a network device: its CLI, then the SSH settings
            found = [*_device_settings(target), *found]
        return found

    async def all_hosts() -> list[list[Setting]]:
        return [await settings_of(by_name[name]) for name in names]

    try:
        explained = asyncio.run(all_hosts())
    except TransportError as exc:
        print(f"auditor: {exc}", file=sys.stderr)
        return ExitCode.INCOMPLETE
    shown: list[object] = []
    for name, settings in zip(names, explained, strict=True):
        target = by_name[name]
        if as_json:
            shown.append({"name": name, "ssh_args": list(target.ssh_args),
                          "settings": [vars_of(s) for s in settings]})  # fmt: skip
        else:
            print(format_settings(target, settings))
    if as_json:
        print(json.dumps(shown, indent=2, ensure_ascii=False))
    return ExitCode.COMPLIANT


def _device_settings(target: Target) -> list[Setting]:
    """A network device's CLI settings (platform, enable), each with where it was set."""
    from auditor.devices.platforms import BY_KEY
    from auditor.transports.openssh_explain import Setting

    device = target.device
    assert device is not None
    origins = dict(target.origins)

    def origin(var: str, default: str) -> str:
        return f"inventory {var} ({origins[var]})" if var in origins else default

    enable = "yes, with ansible_become_password" if device.become else "no"
    if device.become and target.become_password is None:
        enable = "yes, but no ansible_become_password: a device that asks cannot be enabled"
    return [
        Setting("platform", f"{BY_KEY[device.platform].label} ({device.network_os})",
                origin("ansible_network_os", "")),
        Setting("enable", enable, origin("ansible_become", "default (no become)")),
    ]  # fmt: skip


def _cmd_by_hand(args: argparse.Namespace) -> int:
    """``auditor payload`` / ``auditor judge``: the payload run by hand (auditor/byhand.py)."""
    from auditor import byhand
    from auditor.errors import PayloadMalformed
    from auditor.profile import load_profile

    profile = load_profile(args.profile, reflector=args.reflector)
    role = Role(args.role)
    if args.command == "payload":
        flavour = byhand.HandFlavour(args.flavour)
        program = byhand.payload_program(profile, flavour, role, args.unattended)
        sys.stdout.buffer.write(program)
        sys.stdout.flush()
        return ExitCode.COMPLIANT
    try:
        output = args.output.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{args.output}: {exc.strerror or exc}") from None
    try:
        checks = byhand.judge_output(profile, output, role, args.unattended)
    except PayloadMalformed as exc:
        raise ConfigError(f"{args.output}: {exc}") from None
    print(byhand.format_checks(checks))
    compliant = all(c.verdict.value in ("pass", "not_applicable") for c in checks)
    return ExitCode.COMPLIANT if compliant else ExitCode.NOT_COMPLIANT


def vars_of(setting: object) -> dict[str, str]:
    return {k: getattr(setting, k) for k in ("keyword", "value", "origin")}


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def _refuse_missing_sources(sources: Sequence[str] | None) -> None:
    """Every command refuses an ``-i`` that names no file or folder, before doing anything:
    a typo must not quietly mean "fewer customers". (``host1,host2,`` is a host list.)"""
    for source in sources or ():
        if "," not in source and not Path(source).expanduser().exists():
            raise InventoryError(f"{source}: inventory source not found")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        _refuse_missing_sources(getattr(args, "inventory", None))
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "inventory":
            return _cmd_inventory(args)
        if args.command == "report":
            return _cmd_report(args)
        if args.command in ("payload", "judge"):
            return _cmd_by_hand(args)
        if args.command in cli_history.COMMANDS:
            return cli_history.dispatch(args)
        if args.command == "mail":
            return cli_mail.dispatch(args)
        if args.command in cli_survey.COMMANDS:
            return cli_survey.dispatch(args)
        if args.command in cli_sites.COMMANDS:
            return cli_sites.dispatch(args)
        from auditor import reflector

        return reflector.run(args)
    except HistoryBusy as exc:
        print(f"auditor: {exc}: nothing audited", file=sys.stderr)
        return ExitCode.BUSY
    except ConfigError as exc:
        print(f"auditor: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except OutputError as exc:
        print(f"auditor: {exc}", file=sys.stderr)
        return ExitCode.INTERNAL
    except KeyboardInterrupt:
        print("auditor: interrupted; the reports show the hosts that finished", file=sys.stderr)
        return 130
    except Terminated:
        print("auditor: terminated (SIGTERM); the reports show the hosts that finished, the run "
              "is marked interrupted", file=sys.stderr)  # fmt: skip
        return 143
    except BrokenPipeError:  # the reader went away (| head); files are written, say no more
        sys.stderr.close()
        return 141  # as a shell reports a pipe's SIGPIPE
    except Exception as exc:
        print(f"auditor: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return ExitCode.INTERNAL
