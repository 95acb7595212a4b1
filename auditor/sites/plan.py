"""Which hosts go into which job: one per customer and site, big customers in chunks.

Pure. A customer whose hosts sit at two sites gets a job at each; a chunk
keeps a worker's job to a size that finishes well inside a night, and lets
several workers of one site share a big customer.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.history.jobs import JobPlan
from auditor.model import Target


def plan_jobs(targets: Sequence[Target], chunk: int) -> list[JobPlan]:
    """Jobs for ``targets``, at most ``chunk`` hosts each, in (site, customer, name) order."""
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    groups: dict[tuple[str, str], list[str]] = {}
    for target in sorted(targets, key=lambda t: (t.site, t.customer, t.name)):
        groups.setdefault((target.site, target.customer), []).append(target.name)
    jobs = []
    for (site, customer), names in groups.items():
        unique = list(dict.fromkeys(names))
        for start in range(0, len(unique), chunk):
            jobs.append(JobPlan(site, customer, tuple(unique[start : start + chunk])))
    return jobs
