"""Prometheus textfile collector output (``auditor run --metrics FILE``), from the judge's verdicts.

node_exporter's textfile collector reads the file; monitoring then alerts
when a customer degrades (``auditor_host_compliant == 0``), a check fails
(``auditor_check_verdict{verdict="fail"} == 1``), the TeamViewer API token stopped
working (``auditor_teamviewer_api_cross_check{state="failed"} == 1``) or the nightly audit
did not run (``time() - auditor_last_success_timestamp_seconds > 26 * 3600``). The
file is written atomically by prometheus_client (temp file, then rename), and
only after a run completed: a run that did not complete leaves the last
good file, so its timestamp ages and the alert fires. Label values are the
inventory's names, escaped by prometheus_client; nothing here is a secret.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, Info, write_to_textfile

from auditor import __version__
from auditor.model import STAGE_ORDER, RunResult, Verdict

VERDICTS = [v.value for v in Verdict]


def write_metrics(run: RunResult, path: Path, *, exit_code: int, duration_s: float) -> None:
    """The textfile for ``run``; ``duration_s`` measured by the caller (times in the results
    document have whole seconds)."""
    registry = CollectorRegistry()
    verdict = Gauge("auditor_check_verdict",
                    "1 for the verdict each check of each host got in the last run, else 0",
                    ["customer", "host", "check", "verdict"], registry=registry)  # fmt: skip
    compliant = Gauge("auditor_host_compliant", "1 if the host met every applicable check",
                      ["customer", "host"], registry=registry)  # fmt: skip
    hosts = Gauge("auditor_customer_hosts", "Hosts per customer in the last run", ["customer"],
                  registry=registry)  # fmt: skip
    good = Gauge("auditor_customer_hosts_compliant", "Compliant hosts per customer",
                 ["customer"], registry=registry)  # fmt: skip
    stages = Gauge("auditor_hosts", "Hosts by the stage their audit reached", ["stage"],
                   registry=registry)  # fmt: skip
    for host in run.hosts:
        compliant.labels(host.customer, host.name).set(int(host.compliant))
        hosts.labels(host.customer).inc()
        good.labels(host.customer).inc(int(host.compliant))
        for check in host.checks:
            for state in VERDICTS:  # one-hot, so an alert can compare "== 1"
                verdict.labels(host.customer, host.name, check.id, state).set(
                    int(check.verdict.value == state)
                )
    for stage in STAGE_ORDER:
        stages.labels(stage.value).set(sum(h.stage is stage for h in run.hosts))
    finished = datetime.fromisoformat(run.finished_at).timestamp()
    Gauge("auditor_run_duration_seconds", "How long the last run took",
          registry=registry).set(round(duration_s, 3))  # fmt: skip
    Gauge("auditor_last_success_timestamp_seconds", "When the last completed run finished",
          registry=registry).set(finished)  # fmt: skip
    Gauge("auditor_run_exit_code", "Exit code of the last completed run (README)",
          registry=registry).set(exit_code)  # fmt: skip
    if run.teamviewer_api:  # an expired API token must not go unnoticed night after night
        api = Gauge("auditor_teamviewer_api_cross_check",
                    "1 for how the last run cross-checked TeamViewer assignments with the "
                    "MSP's device list (checked, failed, not_checked), else 0",
                    ["state"], registry=registry)  # fmt: skip
        for state in ("checked", "failed", "not_checked"):
            api.labels(state).set(int(run.teamviewer_api.get("state") == state))
    Info("auditor_run", "The last completed run", registry=registry).info(
        {"run_id": run.run_id, "profile": run.profile_name,
         "profile_version": run.profile_version, "auditor_version": __version__}
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
