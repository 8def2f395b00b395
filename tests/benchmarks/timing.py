"""What the benchmark scripts share: timing an action, printing a row of milliseconds, and
saving the figures under build/bench/ for the summary table (bench_table.py)."""

import json
import time
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "build" / "bench"


def timings(action, repeats):
    """Seconds per call of ``action(i)`` for i in range(repeats)."""
    seconds = []
    for i in range(repeats):
        start = time.perf_counter()
        action(i)
        seconds.append(time.perf_counter() - start)
    return np.array(seconds)


def summary(seconds):
    """The median and 95th percentile of ``seconds`` in milliseconds, and how many runs."""
    return {"median_ms": float(np.median(seconds) * 1e3), "p95_ms": float(np.percentile(seconds, 95) * 1e3),
            "runs": len(seconds)}


def header(width=48):
    print(f"{'':<{width}} {'median ms':>9} {'p95 ms':>9}")


def row(what, seconds, note="", width=48):
    """Print one table row of ``seconds`` in milliseconds; return its summary."""
    figures = summary(seconds)
    print(f"{what:<{width}} {figures['median_ms']:9.2f} {figures['p95_ms']:9.2f}  {note}")
    return figures


def save_record(name, figures):
    """Write ``figures``, dated now, to build/bench/<name>.json."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    record = {"date": datetime.now().astimezone().isoformat(timespec="seconds"), **figures}
    (BENCH_DIR / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
