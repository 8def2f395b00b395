"""What the benchmark scripts share: timing an action, and printing a row of milliseconds."""

import time

import numpy as np


def timings(action, repeats):
    """Seconds per call of ``action(i)`` for i in range(repeats)."""
    seconds = []
    for i in range(repeats):
        start = time.perf_counter()
        action(i)
        seconds.append(time.perf_counter() - start)
    return np.array(seconds)


def header(width=48):
    print(f"{'':<{width}} {'median ms':>9} {'p95 ms':>9}")


def row(what, seconds, note="", width=48):
    """One table row: the median and 95th percentile of ``seconds``, in milliseconds."""
    median, p95 = np.median(seconds) * 1e3, np.percentile(seconds, 95) * 1e3
    print(f"{what:<{width}} {median:9.2f} {p95:9.2f}  {note}")
