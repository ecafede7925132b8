"""`blogroll run`, `serve` and `db`: the servers, and the schema they serve."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from blogroll import __version__, create_app
from blogroll.cli.context import (
    Context,
    DatabaseProblem,
    database_problem,
    pass_context,
    shown_url,
    wait_for_schema_option,
)


@click.command()
@click.option("--host", help="Address to listen on (default: BLOGROLL_HOST, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to listen on (default: BLOGROLL_PORT, 8000)."
)
@click.option(
    "--workers",
    metavar="N|auto",
    help="Server processes (default: BLOGROLL_RUN_WORKERS, auto: one per CPU, at most 2).",
)
@pass_context
def run(context: Context, host: str | None, port: int | None, workers: str | None) -> None:
    """Run Blogroll on one machine: migrate the database if needed, then serve it."""
    import os
    import shutil
    import tempfile

    from blogroll.config import parse_run_workers, run_worker_count
    from blogroll.server import GunicornServer, gunicorn_options, wants_micro_cache, with_hooks
    from blogroll.worker.embedded import embedded_worker_hooks

    settings = context.settings
    try:
        processes = run_worker_count(parse_run_workers(workers) if workers else settings.run_workers)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--workers") from None
    _migrate_in_a_child_process(context)
    host = host or settings.host
    port = port or settings.port
    # This server's own folder: the feed worker's lock, and the processes' metrics files.
    runtime_dir = Path(tempfile.mkdtemp(prefix="blogroll-run-"))
    arbiter = os.getpid()
    try:
        options = gunicorn_options(settings, host=host, port=port, workers=processes)
        options = with_hooks(options, embedded_worker_hooks(settings, runtime_dir))
        if settings.metrics and processes > 1:
            metrics_dir = runtime_dir / "metrics"
            options = with_hooks(options, {"child_exit": _share_metrics_between_processes(metrics_dir)})
        click.echo(
            f"Blogroll {__version__} on http://{host}:{port}/ "
            f"(database: {shown_url(settings)}), {processes} server process{'es' if processes > 1 else ''}"
        )
        cache = wants_micro_cache(settings, behind_proxy=False)
        GunicornServer(settings, options, create_app, micro_cache=cache).run()
    finally:
        # gunicorn's web processes leave through here too (their SystemExit): only the arbiter cleans up.
        if os.getpid() == arbiter:
            shutil.rmtree(runtime_dir, ignore_errors=True)


@click.command()
@wait_for_schema_option
@pass_context
def serve(context: Context, wait_seconds: float) -> None:
    """Serve with the production server (gunicorn); run `blogroll db upgrade` first."""
    from blogroll.server import GunicornServer, gunicorn_options, wants_micro_cache, with_hooks

    settings = context.settings
    _check_schema(context, wait_seconds)
    options = gunicorn_options(settings, host=settings.host, port=settings.port, workers=settings.web_workers)
    if settings.metrics and settings.web_workers > 1:
        options = with_hooks(options, {"child_exit": _share_metrics_between_processes()})
    cache = wants_micro_cache(settings, behind_proxy=True)
    GunicornServer(settings, options, create_app, micro_cache=cache).run()


def _share_metrics_between_processes(folder: Path | None = None) -> Callable[..., None]:
    """Points prometheus_client at a fresh folder (`folder`, made here, or a new temporary one)
    before any server process imports it, so each keeps its counts in files there and any of them can
    answer `/metrics` for all; returns the hook that retires a dead process's gauges."""
    import os
    import tempfile

    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="blogroll-metrics-"))
    folder.mkdir(exist_ok=True)
    # Spelled out: importing blogroll.metrics for the name would import prometheus_client too early.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(folder))
    return _process_exited


def _process_exited(arbiter: object, web_process: object) -> None:
    """gunicorn's `child_exit` hook; blogroll.metrics (11 MB with the models it counts) is imported
    only when a process has exited, so the arbiter does not carry it all along."""
    from blogroll.metrics import process_exited

    process_exited(arbiter, web_process)


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait for the database to accept connections before giving up.",
)
@pass_context
def db_upgrade(context: Context, wait_seconds: float) -> None:
    """Apply any migrations the database does not have yet.

    Any number of these may run at once (one per replica, a job per release): they take turns under
    a database lock, each migration is applied once, and all of them succeed."""
    if wait_seconds:
        _wait_for_database(context, wait_seconds)
    _migrate(context)
    click.echo(f"Database is up to date ({shown_url(context.settings)}).")


def _wait_for_database(context: Context, seconds: float) -> None:
    """Returns once the database answers; raises the last problem if it does not within `seconds`."""
    import time

    from sqlalchemy.exc import SQLAlchemyError

    deadline = time.monotonic() + seconds
    said = False
    while True:
        try:
            context.database.ping(timeout=context.settings.database_connect_timeout)
            return
        except SQLAlchemyError as error:
            if time.monotonic() >= deadline:
                raise DatabaseProblem(database_problem(error, context.settings)) from None
            if not said:
                click.echo(
                    f"Waiting up to {seconds:g} s for the database at {shown_url(context.settings)}..."
                )
                said = True
            time.sleep(1)


def _migrate(context: Context) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from blogroll.storage.migrate import MigrationLockTimeout, is_current, upgrade

    engine = context.database.engine
    try:
        if not is_current(engine):
            upgrade(engine)
    except SQLAlchemyError as error:
        raise DatabaseProblem(database_problem(error, context.settings)) from None
    except MigrationLockTimeout as error:
        raise click.ClickException(str(error)) from None
    finally:
        # Server workers fork from this process; they must not inherit its connections.
        engine.dispose()


def _migrate_in_a_child_process(context: Context) -> None:
    """`_migrate` in a forked process, so that `run`'s own process, gunicorn's arbiter for as long as
    the server runs, never holds Alembic, the migration scripts and what the migration built (about
    25 MB of RSS; BENCHMARKS.md, session 10). The child says what went wrong, as `_migrate` would."""
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child ends with os._exit, where coverage cannot follow
        code = 1
        try:
            _migrate(context)
            code = 0
        except click.ClickException as error:
            error.show()
            code = error.exit_code
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(code)


def _check_schema(context: Context, wait_seconds: float) -> None:
    """Refuses to serve an old schema (after waiting `wait_seconds` for it to be upgraded); a
    database that is down is only a warning (see /readyz)."""
    engine = context.database.engine
    try:
        current = context.wait_for_schema(wait_seconds)
    except DatabaseProblem as problem:
        click.echo(
            f"Warning: {problem.message} Serving anyway: /readyz tells when the database answers.", err=True
        )
        return
    finally:
        engine.dispose()
    if not current:
        raise click.ClickException(
            f"the database at {shown_url(context.settings)} is not up to date; "
            "run `blogroll db upgrade` first"
        )
