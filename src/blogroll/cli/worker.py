"""`blogroll worker` and `blogroll fetch`: the feed worker as a service, and one pass for cron and tests.

They sit with the other commands, above the worker: the worker package never imports the CLI. The worker
itself (httpx, feedparser, SQLAlchemy) is imported when a command runs, not for `--help`.
"""

from __future__ import annotations

import signal
from collections.abc import Collection
from typing import TYPE_CHECKING

import click

from blogroll import logs
from blogroll.cli.context import Context, pass_context, wait_for_schema_option

if TYPE_CHECKING:
    from blogroll.worker.runner import Report, Runner


@click.command()
@wait_for_schema_option
@pass_context
def worker(context: Context, wait_seconds: float) -> None:
    """Fetch feeds as they fall due, until stopped (SIGTERM or Ctrl-C)."""
    runner = _runner(context, wait_seconds)
    if context.settings.worker_metrics_port:
        from blogroll.worker import metrics

        metrics.serve(context.settings.host, context.settings.worker_metrics_port)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: runner.stop())
    try:
        runner.run_forever()
    finally:
        runner.close()


@click.command()
@click.option("--blog", "blog_id", type=int, help="Fetch only this blog, now, even if it is not due.")
@click.option("--once", is_flag=True, help="Only the blogs due now, as the schedule says (for cron).")
@pass_context
def fetch(context: Context, blog_id: int | None, once: bool) -> None:
    """Fetch feeds in one pass and exit: every enabled blog, or with --once only the due ones."""
    from blogroll.storage import blogs as blog_store
    from blogroll.worker.claim import make_all_due

    blog_ids: Collection[int] | None = None
    with context.session() as session:
        if blog_id is not None:
            blog = blog_store.get_blog(session, blog_id)
            if blog is None:
                raise click.ClickException(f"there is no blog with id {blog_id}")
            blog_store.make_due(session, blog)
            blog_ids = [blog_id]
        elif not once:
            make_all_due(session)
    runner = _runner(context)
    try:
        report = runner.run_pass(blog_ids=blog_ids)
    finally:
        runner.close()
    click.echo(report.summary())
    if blog_id is not None:
        _explain_one(blog_id, report)


def _runner(context: Context, wait_seconds: float = 0) -> Runner:
    # Alembic (for the schema check) is imported before logging is set up: as it is imported it logs
    # each of its plugins at INFO, lines the worker has never shown.
    import blogroll.storage.migrate  # noqa: F401
    from blogroll.worker.runner import Runner

    settings = context.settings
    logs.configure(settings.log_level, settings.log_format)
    if not context.wait_for_schema(wait_seconds):
        raise click.ClickException("the database schema is not up to date; run `blogroll db upgrade`")
    return Runner(settings, context.database)


def _explain_one(blog_id: int, report: Report) -> None:
    """`fetch --blog` is how people debug a feed, so it says what happened and fails if the fetch did."""
    if not report.outcomes:
        raise click.ClickException(f"blog {blog_id} is being fetched by another worker; try again shortly")
    outcome = report.outcomes[0]
    if outcome.kind == "failed":
        raise click.ClickException(f"blog {blog_id}: {outcome.error}")
