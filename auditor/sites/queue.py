"""The task queue: procrastinate on the history store's PostgreSQL, one queue per site.

procrastinate keeps jobs in PostgreSQL tables and wakes workers with
LISTEN/NOTIFY, so the queue adds no server to what the history store already
needs; Celery or Dramatiq would add a broker. Its job rows carry only what
``schedule`` puts in them: a run id, a job id and host names, never a secret.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from auditor.errors import ConfigError

TASK = "auditor.audit_job"
RETRIES = 2  # a job is tried at most 1 + RETRIES times (failures and dead workers alike)
QUEUE_PREFIX = "auditor-site-"
_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def queue_of(site: str) -> str:
    """The queue of ``site``'s jobs."""
    return QUEUE_PREFIX + site


def site_of(queue: str) -> str | None:
    """The site of an auditor queue, None for another application's queue."""
    return queue[len(QUEUE_PREFIX) :] if queue.startswith(QUEUE_PREFIX) else None


def check_site(site: str) -> str:
    if not _SITE.fullmatch(site):
        raise ConfigError(f"--site {site!r}: use letters, digits, '.', '_' or '-' (at most 63)")
    return site


def conninfo(url: str) -> str:
    """libpq's URI for a ``postgresql+psycopg://`` store URL; a usage error for anything else."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"--db: {url!r} is not a database URL") from None
    if parsed.get_backend_name() != "postgresql":
        shown = parsed.render_as_string(hide_password=True)
        raise ConfigError(
            f"--db {shown}: scheduled audits need PostgreSQL (postgresql+psycopg://USER@HOST/DB); "
            "the task queue lives there"
        )
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(url: str, *, pool_size: int = 4) -> Any:
    """A procrastinate ``App`` on the store's database (not yet opened)."""
    import procrastinate

    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(url), min_size=1, max_size=max(2, pool_size)
    )
    return procrastinate.App(connector=connector)


async def ensure_schema(app: Any) -> bool:
    """Create procrastinate's tables if the database has none; True if it did."""
    found = await app.connector.execute_query_one_async(
        "SELECT to_regclass('procrastinate_jobs') AS t"
    )
    if found["t"] is not None:
        return False
    await app.schema_manager.apply_schema_async()
    return True
