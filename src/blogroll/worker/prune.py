"""Pruning old entries once a day, by whichever worker comes first.

The last run is recorded in the database (`worker_tasks`), so the schedule survives restarts and is
shared: a worker takes the day's run with one conditional UPDATE, which only one of several workers
can win, and a restarted worker does not prune again the same day. A worker that dies while pruning
leaves the rest to the next day's run (each batch it deleted is committed).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from blogroll.config import Settings
from blogroll.storage.db import Database
from blogroll.storage.entries import Pruned, prune_entries
from blogroll.storage.models import WorkerTask

log = logging.getLogger(__name__)

PRUNE_TASK = "prune"
PRUNE_EVERY = dt.timedelta(days=1)


def take_turn(database: Database, task: str, *, every: dt.timedelta, owner: str, now: dt.datetime) -> bool:
    """True if the run of `task` due at `now` is this worker's: it last ran `every` ago or longer, or
    never. The run is recorded as it is taken, so another worker asking now gets False."""
    with database.transaction() as session:
        taken = session.execute(
            update(WorkerTask)
            .where(WorkerTask.name == task, WorkerTask.last_run_at <= now - every)
            .values(last_run_at=now, last_run_by=owner),
            execution_options={"synchronize_session": False},
        ).rowcount  # type: ignore[attr-defined]
        if taken or session.get(WorkerTask, task) is not None:
            return bool(taken)
    # Never run here: the first worker to insert the row takes the run.
    try:
        with database.transaction() as session:
            session.add(WorkerTask(name=task, last_run_at=now, last_run_by=owner))
    except IntegrityError:
        return False
    return True


def prune(
    database: Database, settings: Settings, *, now: dt.datetime, stopping: Callable[[], bool] = lambda: False
) -> Pruned:
    """Deletes what the settings say is too old or too many: `blogroll entries prune`, the daily run."""
    return prune_entries(
        database,
        now=now,
        retention_days=settings.entry_retention_days,
        per_blog=settings.entries_per_blog,
        stopping=stopping,
    )
