"""gunicorn's options: the server hooks Blogroll sets and how they combine."""

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from gunicorn.config import Config

from blogroll.config import Settings
from blogroll.server import GC_THRESHOLDS, freeze_start_up_heap, gunicorn_options, with_hooks
from tests.helpers.settings import make_settings


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_each_worker_freezes_its_start_up_heap(restore_gc: None) -> None:
    options = gunicorn_options(make_settings(), host="127.0.0.1", port=8000, workers=2)
    assert options["post_worker_init"] is freeze_start_up_heap
    kept = [object() for _ in range(10)]

    freeze_start_up_heap(None)

    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == GC_THRESHOLDS


def test_with_hooks_runs_the_earlier_hook_first_and_keeps_both() -> None:
    calls: list[tuple[str, Any]] = []

    def freeze(worker: Any) -> None:
        calls.append(("freeze", worker))

    def start(worker: Any) -> None:
        calls.append(("start", worker))

    def stop(arbiter: Any, worker: Any) -> None:
        calls.append(("stop", worker))

    options = {"bind": "127.0.0.1:8000", "post_worker_init": freeze}
    combined = with_hooks(options, {"post_worker_init": start, "worker_exit": stop})

    # gunicorn accepts them (it checks each hook's number of parameters) and calls them in order.
    config = Config()
    for name, value in combined.items():
        config.set(name, value)
    config.post_worker_init("w")
    config.worker_exit("arbiter", "w")
    assert calls == [("freeze", "w"), ("start", "w"), ("stop", "w")]
    assert options["post_worker_init"] is freeze  # the given options are left as they were


@pytest.mark.parametrize(("value", "accesslog"), [(None, "-"), ("true", "-"), ("false", None)])
def test_the_access_log_follows_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str | None, accesslog: str | None
) -> None:
    if value is not None:
        monkeypatch.setenv("BLOGROLL_ACCESS_LOG", value)
    options = gunicorn_options(Settings(), host="127.0.0.1", port=8000, workers=1)

    assert options["accesslog"] == accesslog
    config = Config()
    config.set("accesslog", options["accesslog"])  # gunicorn takes None as "no access log"
    assert config.accesslog == accesslog
