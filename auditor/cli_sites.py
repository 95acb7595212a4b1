"""The commands of audits across sites: ``auditor schedule``, ``auditor worker``, ``auditor status``.

Parsing and printing only; the work is in ``auditor/sites/``. The store (and
the queue in it) is named by ``--db`` or ``AUDITOR_DB`` and must be PostgreSQL.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import cli_history, cli_mail, cli_teamviewer
from auditor.errors import ConfigError
from auditor.transports.ssh import HostKeyPolicy

if TYPE_CHECKING:
    from auditor.history.store import HistoryStore

COMMANDS = ("schedule", "worker", "status")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """``90``, ``90s``, ``45m``, ``6h``, ``1d``: seconds (argparse type)."""
    found = _DURATION.fullmatch(text.strip())
    if not found or float(found.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90s, 45m or 6h")
    return float(found.group(1)) * _UNIT_S[found.group(2)]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def add_parsers(sub: Any, add_inventory_args: Any, add_ssh_config_arg: Any) -> None:
    sched = sub.add_parser(
        "schedule", help="queue one audit job per customer and site for the site workers"
    )
    add_inventory_args(sched)
    sched.add_argument(
        "--profile", metavar="FILE", help="contract profile YAML (default: bundled v5)"
    )
    sched.add_argument(
        "--reflector", metavar="HOST[:PORT]", help="the provider's UDP/TCP reflector"
    )
    sched.add_argument("--expected-network", action="append", default=[], metavar="CIDR",
                       help="answers in this network are not sinkholes (repeatable)")  # fmt: skip
    cli_history.add_db_arg(sched)
    sched.add_argument("--chunk", type=_positive, default=200, metavar="N",
                       help="at most N hosts per job: a big customer becomes several (default 200)")  # fmt: skip
    sched.add_argument("--deadline", type=duration, default=6 * 3600.0, metavar="DURATION",
                       help="close the run as incomplete if its jobs are not all done by then "
                       "(e.g. 90m, 6h; default 6h)")  # fmt: skip
    sched.add_argument("--wait", action="store_true",
                       help="wait for the run to end, then write its reports like 'auditor run'")  # fmt: skip
    sched.add_argument("--out", type=Path, default=Path("reports"),
                       help="with --wait: output folder (default reports/)")  # fmt: skip
    sched.add_argument("--lang", choices=("de", "en"), default="de", help="report language")
    sched.add_argument("--timezone", metavar="ZONE", help="IANA time zone for report times")
    sched.add_argument("--metrics", type=Path, metavar="FILE",
                       help="with --wait: write Prometheus textfile-collector metrics")  # fmt: skip
    sched.add_argument("--quiet", action="store_true", help="no progress, no summary")
    sched.add_argument("--mail", action="store_true",
                       help="with --wait: then mail each customer its report")  # fmt: skip
    cli_mail.add_mail_args(sched)

    worker = sub.add_parser("worker", help="run the audit jobs of one site (where it can reach)")
    worker.add_argument("-i", "--inventory", action="append", required=True, metavar="PATH",
                        help="this site's Ansible inventory (repeatable)")  # fmt: skip
    worker.add_argument("--vault-password-file", metavar="FILE", help="ansible-vault password file")
    worker.add_argument(
        "--site", default="default", help="the site whose jobs to run (default: default)"
    )
    worker.add_argument("--concurrency", type=_positive, default=1, metavar="N",
                        help="jobs run at once (default 1)")  # fmt: skip
    worker.add_argument("-f", "--forks", type=_positive, default=50, metavar="N",
                        help="hosts of one job audited at once (default 50)")  # fmt: skip
    worker.add_argument("--exit-when-idle", action="store_true",
                        help="stop once the site's queue holds nothing to do")  # fmt: skip
    worker.add_argument("--stalled-after", type=duration, default=30.0, metavar="DURATION",
                        help="a worker silent this long is taken for dead and its job retried "
                        "(default 30s)")  # fmt: skip
    worker.add_argument("--host-key-policy", choices=[p.value for p in HostKeyPolicy],
                        default=HostKeyPolicy.STRICT.value, help="as for 'auditor run'")  # fmt: skip
    worker.add_argument("--known-hosts", type=Path, metavar="FILE",
                        help="the auditor's own known_hosts at this site")  # fmt: skip
    add_ssh_config_arg(worker)
    cli_teamviewer.add_api_args(worker)
    cli_history.add_db_arg(worker)

    status = sub.add_parser("status", help="queues per site, workers seen, runs in progress")
    cli_history.add_db_arg(status)


def dispatch(args: argparse.Namespace) -> int:
    db = args.db or _default_db()
    if args.command == "schedule":
        return _schedule(args, db)
    if args.command == "worker":
        return _worker(args, db)
    from auditor.sites.status import format_status, gather

    print(format_status(gather(db)))
    return 0


def _default_db() -> str:
    from auditor.history.store import default_url

    return default_url()


def _schedule(args: argparse.Namespace, db: str) -> int:
    from auditor.report.when import zone
    from auditor.sites import schedule

    zone(args.timezone)  # a bad --timezone is a usage error before anything is queued
    if (args.mail or args.metrics) and not args.wait:
        raise ConfigError("--mail and --metrics need --wait (the reports exist once the run ends)")
    mail_settings = cli_mail.settings_for(args) if args.mail else None
    clock = time.monotonic()
    options = schedule.ScheduleOptions(
        inventories=tuple(args.inventory), db=db, limit=args.limit,
        vault_password_file=args.vault_password_file, profile_path=args.profile,
        reflector=args.reflector, expected_networks=tuple(args.expected_network),
        chunk=args.chunk, deadline_s=args.deadline,
    )  # fmt: skip
    done = schedule.schedule(options)
    if not args.quiet:
        sites: dict[str, list[int]] = {}
        for job in done.jobs:
            sites.setdefault(job.site, []).append(len(job.hosts))
        print(f"run {done.run_id}: {len(done.jobs)} jobs, deadline "
              f"{done.deadline.astimezone().strftime('%Y-%m-%d %H:%M %Z')}")  # fmt: skip
        for site, sizes in sorted(sites.items()):
            print(f"  site {site}: {len(sizes)} jobs, {sum(sizes)} hosts")
    if not args.wait:
        return 0
    status = schedule.wait(db, done.run_id, on_progress=None if args.quiet else _progress())
    return _publish(args, db, done.run_id, status, time.monotonic() - clock, mail_settings)


def _progress() -> Any:
    said: dict[str, str] = {}

    def show(status: str, jobs: list[Any]) -> None:
        line = f"{sum(1 for j in jobs if j.status == 'done')}/{len(jobs)} jobs done"
        if said.get("line") != line:
            print(f"  {line}", file=sys.stderr, flush=True)
            said["line"] = line

    return show


def _publish(
    args: argparse.Namespace, db: str, run_id: str, status: str, duration_s: float, mail: Any
) -> int:
    from auditor.history.store import HistoryStore

    store = HistoryStore.open(db)
    try:
        return _publish_from(store, db, args, run_id, status, duration_s, mail)
    finally:
        store.close()


def _publish_from(
    store: HistoryStore, db: str, args: argparse.Namespace, run_id: str, status: str, duration_s: float,
    mail: Any,
) -> int:  # fmt: skip
    from auditor.inventory import load_inventory
    from auditor.run import RunOptions, exit_code_for, publish
    from auditor.summary import format_summary

    run = store.load_run(run_id)
    changes = store.changes(run_id)
    options = RunOptions(inventories=tuple(args.inventory), out_dir=args.out, lang=args.lang,
                         timezone=args.timezone, db=db, metrics=args.metrics)  # fmt: skip
    publish(run, options, changes, duration_s)
    for problem in run.problems:
        print(f"auditor: {problem.one_line()}", file=sys.stderr)
    if not args.quiet:
        print(format_summary(run))
        print(f"run {run_id[:8]}: {status}")
        print(f"reports: {(args.out / 'index.html').resolve()}")
    code = exit_code_for(run)
    if args.mail:
        targets = load_inventory(args.inventory, vault_password_file=args.vault_password_file,
                                 limit=args.limit).targets  # fmt: skip
        sent = cli_mail.send_all(run, list(targets), args, mail, store, changes)
        code = cli_mail.exit_code_after_mail(code, sent)
    return code


def _worker(args: argparse.Namespace, db: str) -> int:
    from auditor.sites import queue
    from auditor.sites.job import WorkerSettings
    from auditor.sites.worker import WorkerOptions, run_worker
    from auditor.teamviewer.api import PerRun

    queue.conninfo(db)
    site = queue.check_site(args.site)
    from auditor.cli import ssh_config_option  # the same check as auditor run's

    ssh_config_option(args.ssh_config)
    _check_site_inventory(args, site)
    settings = WorkerSettings(
        site=site, inventories=tuple(args.inventory), vault_password_file=args.vault_password_file,
        host_key_policy=HostKeyPolicy(args.host_key_policy), known_hosts=args.known_hosts,
        ssh_config=args.ssh_config, forks=args.forks,
        teamviewer=PerRun(cli_teamviewer.api_access(args)),
    )  # fmt: skip
    return run_worker(WorkerOptions(db=db, settings=settings, concurrency=args.concurrency,
                                    exit_when_idle=args.exit_when_idle,
                                    stalled_after_s=args.stalled_after))  # fmt: skip


def _check_site_inventory(args: argparse.Namespace, site: str) -> None:
    """Load the site's inventory once at start: an unusable one is a usage error now, not a
    failed job at night; a site none of whose hosts it names is said (a typo in --site?)."""
    from auditor.inventory import load_inventory

    load = load_inventory(args.inventory, vault_password_file=args.vault_password_file)
    if not load.targets:
        reasons = "; ".join(p.one_line() for p in load.problems) or "no hosts"
        raise ConfigError(f"worker for site {site}: nothing to audit: {reasons}")
    mine = sum(1 for t in load.targets if t.site == site)
    if mine:
        print(f"auditor: site {site}: {mine} hosts in the inventory", file=sys.stderr)
    else:
        known = ", ".join(sorted({t.site for t in load.targets}))
        print(f"auditor: site {site}: no host of the inventory has auditor_site {site} "
              f"(it names: {known}); jobs for it would find no host", file=sys.stderr)  # fmt: skip
