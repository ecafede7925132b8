"""`bench/run --profile`'s arithmetic: which package each profiled function belongs to, and the tables
that add them up (bench/profile.py), on names as cProfile and py-spy spell them and on a real profile."""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from bench.profile import (
    _caller,
    _prepared_environ,
    calibrate_event_cost,
    package_markdown,
    package_of,
    profile_endpoint,
    summarize_collapsed,
    summarize_cprofile,
)

SITE = "/srv/app/.venv/lib/python3.11/site-packages"
STDLIB = sysconfig.get_paths()["stdlib"]


@pytest.mark.parametrize(
    ("filename", "function", "package"),
    [
        (f"{SITE}/flask/app.py", "wsgi_app", "flask/werkzeug"),
        (f"{SITE}/werkzeug/routing/map.py", "build", "flask/werkzeug"),
        (f"{SITE}/jinja2/runtime.py", "call", "jinja2"),
        (f"{SITE}/markupsafe/__init__.py", "escape", "jinja2"),
        (f"{SITE}/sqlalchemy/orm/session.py", "execute", "sqlalchemy"),
        (f"{SITE}/babel/dates.py", "format_datetime", "babel"),
        (f"{SITE}/flask_babel/__init__.py", "gettext", "babel"),
        (f"{SITE}/pydantic/main.py", "model_validate", "pydantic"),
        (f"{SITE}/orjson.cpython-311-x86_64-linux-gnu.so", "dumps", "orjson"),
        ("/work/repo/src/blogroll/pages/views.py", "index", "blogroll"),
        (f"{SITE}/blogroll/pages/views.py", "index", "blogroll"),
        ("/work/repo/src/blogroll/templates/index.html", "root", "blogroll templates"),
        (f"{STDLIB}/json/encoder.py", "encode", "stdlib"),
        ("<frozen importlib._bootstrap>", "_find_and_load", "stdlib"),
        ("<werkzeug routing>", "<builder:'/'>", "flask/werkzeug"),
        ("<sqlalchemy generated _go() wrapper for Session.close>", "close", "sqlalchemy"),
        ("<string>", "__init__", "other"),
        ("~", "<method 'execute' of 'sqlite3.Cursor' objects>", "sqlite3 (driver)"),
        ("~", "<method 'to_json' of 'pydantic_core._pydantic_core.SchemaSerializer' objects>", "pydantic"),
        ("~", "<built-in method builtins.isinstance>", "stdlib"),
        ("~", "<method 'join' of 'str' objects>", "stdlib"),
        ("~", "<method 'update' of '_blake2.blake2b' objects>", "stdlib"),
        ("~", "<function MultiDict.__getitem__ at 0x7f00>", "other"),
    ],
)
def test_each_function_goes_to_its_package(filename: str, function: str, package: str) -> None:
    assert package_of(filename, function) == package


def _stats(entries: dict[tuple[str, int, str], tuple[float, float, int]]) -> dict[Any, tuple[Any, ...]]:
    """A pstats-shaped dict from (own, cumulative, calls) per function."""
    return {key: (calls, calls, own, cumulative, {}) for key, (own, cumulative, calls) in entries.items()}


def test_the_clock_cost_comes_off_and_the_rest_is_scaled_to_the_unprofiled_time() -> None:
    view = ("/src/blogroll/pages/views.py", 28, "index")
    query = (f"{SITE}/sqlalchemy/orm/session.py", 2488, "execute")
    fetch = ("~", 0, "<method 'fetchall' of 'sqlite3.Cursor' objects>")
    driver = ("/work/repo/bench/profile.py", 200, "call")  # the loop around the requests: left out
    # Two requests; 1 µs per event. The view: 0.7 ms of its own in 100 events (0.6 ms once the clock is
    # off); the query 2.1 ms in 1,100 (1.0 ms); fetchall 0.3 ms in 100 (0.2 ms): 1.8 ms of work, where
    # the unprofiled calls took 0.9 ms: the profiler slowed the work down 2x.
    cpu = _stats({view: (0.0007, 0.0031, 2), query: (0.0021, 0.0024, 2), fetch: (0.0003, 0.0003, 2)})
    cpu[driver] = (2, 2, 0.5, 0.5, {})
    events = _stats({view: (100, 1300, 2), query: (1100, 1200, 2), fetch: (100, 100, 2)})
    summary = summarize_cprofile(cpu, events, 1e-6, 0.0009, 2)

    ms = {row["package"]: row["ms_per_request"] for row in summary["packages"]}
    assert ms == {"sqlalchemy": 0.25, "blogroll": 0.15, "sqlite3 (driver)": 0.05}
    assert [row["share"] for row in summary["packages"]] == [0.5556, 0.3333, 0.1111]
    assert summary["profiler_slowdown"] == 2.0
    assert [row["function"] for row in summary["top_own"]] == [
        "orm/session.py:2488(execute)",
        "pages/views.py:28(index)",
        "<method 'fetchall' of 'sqlite3.Cursor' objects>",
    ]
    # The view holds everything (a wrapper): left out of the cumulative list; the query 1.2 ms of
    # cumulative once its 1,200 events are off, halved, per request: 0.3 ms.
    assert [(row["function"], row["cumulative_ms"]) for row in summary["top_cumulative"]][:1] == [
        ("orm/session.py:2488(execute)", 0.3)
    ]
    assert summary["top_own"][0]["calls_per_request"] == 1.0


def test_py_spy_samples_are_counted_by_their_leaf_frame() -> None:
    collapsed = "\n".join(
        [
            'process 10:"blogroll run";Thread.run (/usr/lib/python3.11/threading.py:982);'
            f"Flask.__call__ ({SITE}/flask/app.py:1536);index (/src/blogroll/pages/views.py:28);"
            f"Session.execute ({SITE}/sqlalchemy/orm/session.py:2488) 6",
            'process 10:"blogroll run";Thread.run (/usr/lib/python3.11/threading.py:982);'
            f"Flask.__call__ ({SITE}/flask/app.py:1536);index (/src/blogroll/pages/views.py:28) 3",
            f"Flask.__call__ ({SITE}/flask/app.py:1536) 2",
            "not a stack line",
        ]
    )
    summary = summarize_collapsed(collapsed)

    assert summary["samples"] == 11
    assert [(row["package"], row["samples"]) for row in summary["packages"]] == [
        ("sqlalchemy", 6),
        ("blogroll", 3),
        ("flask/werkzeug", 2),
    ]
    assert summary["top_own"][0] == {
        "function": "orm/session.py:2488(Session.execute)",
        "package": "sqlalchemy",
        "share": 0.5455,
    }
    # Flask.__call__ is on every sample: a wrapper, left out; the server's thread frames never count.
    assert [row["function"] for row in summary["top_cumulative"]] == [
        "pages/views.py:28(index)",
        "orm/session.py:2488(Session.execute)",
    ]


def test_the_markdown_table_has_a_column_per_endpoint_and_names_the_small_packages() -> None:
    profiles = {
        "/": {
            "cpu_ms_median": 6.0,
            "packages": [
                {"package": "jinja2", "share": 0.995, "ms": 5.97},
                {"package": "pytz", "share": 0.005, "ms": 0.03},
            ],
        },
        "/api": {"cpu_ms_median": 2.0, "packages": [{"package": "pydantic", "share": 1.0, "ms": 2.0}]},
    }
    text = package_markdown(
        profiles, ("CPU ms", lambda item: f"{item['cpu_ms_median']:.1f}"), lambda row: f"{row['ms']:.2f}"
    )

    assert text.splitlines() == [
        "| package | `/` | `/api` |",
        "|---|---:|---:|",
        "| CPU ms | 6.0 | 2.0 |",
        "| pydantic |  | 2.00 |",  # rows in order of their shares summed over the endpoints
        "| jinja2 | 5.97 |  |",
        "",
        "Under 1% everywhere: pytz.",
    ]


def test_a_real_profile_of_a_page_adds_up_to_its_cpu_time(app: Flask, add_blog: Any, add_entry: Any) -> None:
    blog = add_blog("Example")
    add_entry(blog, "First post")
    call = _caller(app, _prepared_environ("/api/v1/entries", {}))

    result = profile_endpoint(call, 5, 5.0, calibrate_event_cost(rounds=2, calls=2000))

    assert result["status"] == "200 OK"
    assert result["bytes"] > 0
    assert result["requests"] == 5
    assert result["cpu_ms_median"] > 0
    packages = {row["package"] for row in result["packages"]}
    assert {"flask/werkzeug", "sqlalchemy", "blogroll"} <= packages
    total = sum(row["ms_per_request"] for row in result["packages"])
    assert total == pytest.approx(result["cpu_ms_median"], rel=0.05)
    assert any(row["function"].endswith("(list_entries)") for row in result["top_cumulative"])


def test_a_failing_endpoint_is_reported_not_profiled(app: Flask) -> None:
    call = _caller(app, _prepared_environ("/blogs/999999", {}))
    with pytest.raises(RuntimeError, match="answered 404"):
        profile_endpoint(call, 5, 5.0, 1e-6)


def test_the_profile_module_runs_only_on_a_seeded_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.profile import main

    with pytest.raises(SystemExit):
        main(["--data-dir", str(tmp_path)])
    assert "no blogroll.db" in capsys.readouterr().err
