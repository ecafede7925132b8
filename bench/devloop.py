"""The developer loop as a benchmark: what a developer waits for between an edit and a running stack.

Figures (each repeated `--runs` times, the median judged against the issue's goal):
  edit_live_s        an edit under src/ to the new response, with `docker compose watch` syncing it
                     into the dev stack (compose.override.yaml's develop.watch; Flask's reloader);
                     edit_noticed_s is the part until the reloader logged the change (from web's logs)
  code_rebuild_s     `docker compose build` of the production image after a code-only edit
  up_cold_s          `docker compose up -d --wait`, image built, no containers and no volumes yet
                     (the database is initialised, the migrations applied)
  up_warm_s          the same after `docker compose down` (volumes kept)
  image_mb, own_layers_mb   the runtime image's size, and what its own layers add over python:3.13-slim
                     (image_bytes minus base_image_bytes, as `docker image inspect` counts them)

It runs on a copy of the project in the work folder (the real src/ is never edited), under its own
project and image name (`blogroll-bench-devloop`), publishes only on 127.0.0.1, and always ends with
`down -v --remove-orphans`. The stack driver, the project copy, the probe view and its check are those
of the e2e tests (tests/helpers/compose_stack.py, tests/helpers/dev_stack.py), imported rather than copied.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from bench.compose import image_bytes
from tests.helpers.compose_stack import Stack
from tests.helpers.dev_stack import PROBE_VIEW, copy_project, marker, seconds_until

if TYPE_CHECKING:
    from bench.suite import Run, Server

PROJECT = "blogroll-bench-devloop"
IMAGE = "blogroll-bench-devloop"
BASE_IMAGE = "python:3.13-slim"
BUILD_TIMEOUT = 900
UP_TIMEOUT = 300


def timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    try:
        action()
    except pytest.fail.Exception as error:  # the e2e helpers fail a test; here they fail the step
        raise RuntimeError(str(error)) from None
    return round(time.monotonic() - started, 2)


def remember(built: set[str], name: str) -> str:
    """Keeps the id of an image this run built, to remove it at the end (a rebuild untags the old one)."""
    done = subprocess.run(
        ["docker", "image", "inspect", name, "--format", "{{.Id}}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    built.add(done.stdout.strip())
    return done.stdout.strip()


def start_watch(run: Run, stack: Stack) -> Server:
    """`docker compose watch --no-up` in the background, as the e2e tests run it; the suite's `Server`
    keeps its log and stops it by its pid."""
    watch = run.start("devloop-watch", stack.command("watch", "--no-up"), stack.environment())
    deadline = time.monotonic() + 60
    while "Watch enabled" not in watch.log_path.read_text():
        if not watch.alive() or time.monotonic() > deadline:
            raise RuntimeError(f"`docker compose watch` did not start; see {watch.log_path}")
        time.sleep(0.2)
    return watch


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values), 2),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def production_loop(stack: Stack, runs: int, result: dict[str, Any], built: set[str]) -> None:
    """Build, image size, cold and warm `up --wait`, then code-only rebuilds of the runtime image."""
    from bench.suite import log

    stack.down(volumes=True)  # leftovers of an interrupted earlier run
    result["build_s"] = timed(lambda: stack.compose("build", timeout=BUILD_TIMEOUT))
    remember(built, f"{IMAGE}:latest")
    size, base = image_bytes(f"{IMAGE}:latest"), image_bytes(BASE_IMAGE)
    result.update(image_bytes=size, base_image_bytes=base)
    if size and base:
        result.update(image_mb=round(size / 1e6, 1), own_layers_mb=round((size - base) / 1e6, 1))
    log(f"devloop: image built in {result['build_s']} s, {size} bytes ({base} of them {BASE_IMAGE})")
    up = ["up", "--detach", "--wait", "--wait-timeout", str(UP_TIMEOUT)]
    cold, warm, down = [], [], []
    for number in range(runs):
        stack.down(volumes=True)
        cold.append(timed(lambda: stack.compose(*up, timeout=UP_TIMEOUT + 60)))
        down.append(timed(lambda: stack.down(volumes=False)))
        warm.append(timed(lambda: stack.compose(*up, timeout=UP_TIMEOUT + 60)))
        log(f"devloop: up --wait cold {cold[-1]} s, down {down[-1]} s, warm {warm[-1]} s (run {number + 1})")
    result.update(up_cold_s=summary(cold), up_warm_s=summary(warm), down_s=summary(down))
    module = stack.directory / "src" / "blogroll" / "health.py"
    rebuilds, images = [], [remember(built, f"{IMAGE}:latest")]
    for number in range(runs):
        # A new line each time, never seen before: BuildKit would answer an edit it has built before
        # (in an earlier run of this benchmark) from its cache.
        stamp = time.time_ns()
        module.write_text(
            module.read_text() + f"\n# code-only edit {number + 1} ({stamp}) by bench/devloop.py\n"
        )
        rebuilds.append(timed(lambda: stack.compose("build", timeout=BUILD_TIMEOUT)))
        images.append(remember(built, f"{IMAGE}:latest"))
        log(f"devloop: code-only rebuild {rebuilds[-1]} s (run {number + 1})")
    result["code_rebuild_s"] = summary(rebuilds)
    if len(set(images)) != len(images):  # a build that reused the old image timed nothing
        raise RuntimeError("a code-only edit did not produce a new image")
    # The rebuilt image in service: what `up --build --wait` adds to a rebuild (web and worker recreated).
    result["redeploy_s"] = timed(lambda: stack.compose(*up, timeout=UP_TIMEOUT + 60))
    stack.down(volumes=True)


def edit_loop(run: Run, stack: Stack, result: dict[str, Any], built: set[str]) -> None:
    """The dev stack under `docker compose watch`: a new view, then `runs` changes of it, each timed
    from the file write to the first answer that shows it."""
    from bench.suite import log

    stack.down(volumes=True)
    result["dev_up_build_s"] = round(stack.up(), 2)
    remember(built, f"{IMAGE}:dev")
    module = stack.directory / "src" / "blogroll" / "health.py"
    watch = start_watch(run, stack)
    module.write_text(module.read_text() + PROBE_VIEW.format(marker="0"))
    result["edit_new_view_s"] = timed(lambda: seconds_until(lambda: marker(stack) == "0", what="new view"))
    edits, written = [], []
    for number in range(1, run.args.runs + 1):
        written.append(time.time())
        module.write_text(module.read_text().replace(f'"marker": "{number - 1}"', f'"marker": "{number}"'))
        edits.append(timed(lambda n=number: seconds_until(lambda: marker(stack) == str(n), what=f"edit {n}")))  # type: ignore[misc]
        log(f"devloop: edit {number} live after {edits[-1]} s")
    result["edit_live_s"] = summary(edits)
    run.stop(watch)
    # Where an edit's time goes: until the reloader in web logs that it saw the synced file (watch's
    # sync and the reloader's polling), then the restart and first answer (the rest).
    logs = stack.compose("logs", "--no-color", "--timestamps", "web").stdout
    (run.logs / "devloop-web.log").write_text(logs)
    noticed = reloader_delays(logs, written)
    if noticed:
        result["edit_noticed_s"] = summary(noticed)
    stack.down(volumes=True)


def reloader_delays(logs: str, written: list[float]) -> list[float]:
    """For each write (epoch seconds), the seconds until the first "Detected change" logged after it."""
    seen = sorted(
        dt.datetime.fromisoformat(stamp).timestamp()
        for stamp in re.findall(r"(\d{4}-\d\d-\d\dT[\d:.]+Z) .*Detected change in", logs)
    )
    delays = []
    for moment in written:
        later = [stamp for stamp in seen if stamp >= moment]
        if later:
            delays.append(round(later[0] - moment, 2))
    return delays


# The figures the issue sets a goal for: key in the result, limit's name in suite.py, unit.
GOALS = [
    ("edit_live_s", "edit live", "GOAL_EDIT_LIVE_S", "s"),
    ("code_rebuild_s", "code-only rebuild", "GOAL_CODE_REBUILD_S", "s"),
    ("own_layers_mb", f"own layers over {BASE_IMAGE}", "GOAL_OWN_LAYERS_MB", "MB"),
]


def figure(result: dict[str, Any], key: str) -> float | None:
    """A figure of the result: the median of a repeated one, else the single value."""
    item = result.get(key)
    return item["median"] if isinstance(item, dict) else item


def verdicts(result: dict[str, Any]) -> dict[str, str]:
    """Each goal beside its figure, e.g. {"edit_live_s": "<= 2 s PASS"}."""
    from bench import suite

    out = {}
    for key, _, limit_name, unit in GOALS:
        value, limit = figure(result, key), getattr(suite, limit_name)
        if value is not None:
            out[key] = f"<= {limit:g} {unit} {'PASS' if value <= limit else 'FAIL'}"
    return out


def devloop_benchmark(run: Run, result: dict[str, Any]) -> None:
    """Fills `result` figure by figure (what was measured stays in the JSON if a later step fails)."""
    from bench.suite import log

    work = copy_project(run.work / "devloop")
    runs = run.args.runs
    result.update(project=PROJECT, runs=runs)
    production = Stack(PROJECT, [work / "compose.yaml"], work, image=IMAGE)
    dev = Stack(PROJECT, [work / "compose.yaml", work / "compose.override.yaml"], work, image=IMAGE)
    built: set[str] = set()
    try:
        production_loop(production, runs, result, built)
        edit_loop(run, dev, result, built)
    finally:
        for stack in (dev, production):
            done = stack.compose("down", "--volumes", "--remove-orphans", check=False, timeout=180)
            with (run.logs / "devloop-down.log").open("a") as output:
                output.write(done.stdout + done.stderr)
            stack.close()
        # Only the images this run built under its own name (by id: a rebuild leaves the old one untagged).
        built.discard("")
        if built:
            subprocess.run(
                ["docker", "image", "rm", *sorted(built)], capture_output=True, timeout=120, check=False
            )
        log("devloop: stacks removed (down -v), images removed")
    goal = verdicts(result)
    result["goals"] = [
        f"{label} {goal[key]}: {figure(result, key)}" for key, label, _, _ in GOALS if key in goal
    ]


def devloop_table(result: dict[str, Any]) -> str:
    def shown(key: str, unit: str = "s") -> str:
        item = result.get(key)
        if isinstance(item, dict):
            spread = f"{item['min']:.1f} to {item['max']:.1f}"
            return f"{item['median']:.1f} {unit} (median of {len(item['runs'])}: {spread})"
        return f"{item:.1f} {unit}" if item is not None else "-"

    rows = [
        ("dev stack `up --build --wait`", "dev_up_build_s"),
        ("edit -> new view answers (watch)", "edit_new_view_s"),
        ("edit -> changed response (watch)", "edit_live_s"),
        ("  of which: until web's reloader noticed", "edit_noticed_s"),
        ("image build (build cache as found)", "build_s"),
        ("code-only rebuild (`compose build`)", "code_rebuild_s"),
        ("rebuilt image in service (`up --wait`)", "redeploy_s"),
        ("`up -d --wait` cold (no volumes)", "up_cold_s"),
        ("`up -d --wait` warm (after `down`)", "up_warm_s"),
        ("`down` (volumes kept)", "down_s"),
        ("image size", "image_mb"),
        (f"own layers over {BASE_IMAGE}", "own_layers_mb"),
    ]
    goal = verdicts(result)
    width = max(len(name) for name, _ in rows)
    lines = [f"developer loop ({result['project']}, {result['runs']} run(s) of each repeated figure)"]
    for name, key in rows:
        value = shown(key, "MB" if key.endswith("_mb") else "s")
        lines.append(f"  {name:{width}}  {value:36}  {goal.get(key, '')}".rstrip())
    return "\n".join(lines)
