"""The growth benchmark's own logic (bench/growth.py): which rows pass, how the table reads, which
scales it accepts, and the seed script's --scale."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from bench import seed
from bench.growth import HELLO, cpu_ms, growth_rows, growth_table, parse_scales
from blogroll.storage.models import Blog, Entry


def scale(number: int, **ms: float) -> dict[str, object]:
    return {"scale": number, "ms": ms}


def test_a_figure_passes_up_to_one_and_a_half_times_its_first_scale() -> None:
    rows = growth_rows(
        [
            scale(1, flat=2.0, grows=2.0, late=1.0),
            scale(10, flat=2.4, grows=3.1, late=1.5),
            scale(100, flat=3.0, grows=3.0, late=1.6),
        ]
    )

    assert [(row["name"], row["ratio"], row["verdict"]) for row in rows] == [
        ("flat", {"10": 1.2, "100": 1.5}, "PASS"),
        ("grows", {"10": 1.55, "100": 1.5}, "FAIL"),
        ("late", {"10": 1.5, "100": 1.6}, "FAIL"),
    ]


def test_the_opml_export_and_the_test_clients_overhead_are_not_judged() -> None:
    rows = growth_rows(
        [scale(1, **{"/blogroll.opml": 8.0, HELLO: 0.2}), scale(10, **{"/blogroll.opml": 80.0, HELLO: 0.4})]
    )

    assert [(row["ratio"]["10"], row["verdict"]) for row in rows] == [
        (10.0, "linear (excepted)"),
        (2.0, "(overhead)"),
    ]


def test_the_table_shows_each_scales_figure_its_ratio_and_verdict() -> None:
    result = {"scales": [scale(1, **{"/": 5.0}), scale(10, **{"/": 6.0})]}
    result["rows"] = growth_rows(result["scales"])

    assert growth_table(result).splitlines() == [
        "| endpoint | 1x ms | 10x ms | 10x / 1x | ≤ 1.5x |",
        "|---|---|---|---|---|",
        "| `/` | 5.00 | 6.00 | 1.20 | PASS |",
    ]


@pytest.mark.parametrize(
    ("text", "scales"), [("1,10", [1, 10]), ("1,10,100", [1, 10, 100]), (" 1, 3 ", [1, 3])]
)
def test_scales_are_multiples_from_one(text: str, scales: list[int]) -> None:
    assert parse_scales(text) == scales


@pytest.mark.parametrize("text", ["10", "2,10", "1,x", "1,10,10", "10,1", ""])
def test_other_scales_are_refused_with_the_reason(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="scales"):
        parse_scales(text)


def test_the_seed_scale_multiplies_blogs_and_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'seeded.db'}"

    assert seed.main(["--database-url", url, "--blogs", "2", "--entries", "3", "--scale", "3"]) == 0

    engine = create_engine(url)
    with engine.connect() as connection:
        counts = [connection.scalar(select(func.count()).select_from(model)) for model in (Blog, Entry)]
    engine.dispose()
    assert counts == [6, 9]
    assert "6 blogs, 9 entries" in capsys.readouterr().out


def test_a_scale_below_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        seed.main(["--database-url", "sqlite://", "--scale", "0"])

    assert "must be a whole number of at least 1, not 0" in capsys.readouterr().err


def test_a_figure_is_the_median_of_the_timed_calls_after_the_warm_up() -> None:
    calls: list[int] = []

    cpu_ms(lambda: calls.append(1), samples=7, warmup=2)

    assert len(calls) == 9


def test_a_slow_call_is_timed_fewer_times_but_at_least_five() -> None:
    calls: list[int] = []

    def slow() -> None:
        calls.append(1)
        started = time.process_time()
        while time.process_time() - started < 0.01:
            pass

    assert cpu_ms(slow, samples=100, warmup=0, budget_s=0.001) >= 10
    assert len(calls) == 5
