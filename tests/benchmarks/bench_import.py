"""How long ``import trainlab`` takes in a fresh interpreter: ``python tests/benchmarks/bench_import.py``.

Times RUNS fresh ``python -c "import trainlab"`` and RUNS ``python -c pass``; what the import adds is
the difference of the medians. Prints both and the difference, and saves them for bench_table.py.
"""

import subprocess
import sys

from timing import header, row, save_record, timings

RUNS = 20


def interpreter(code):
    """Seconds per fresh ``python -c code``, after one untimed run that warms the file cache."""
    run = [sys.executable, "-c", code]
    subprocess.run(run, check=True)
    return timings(lambda i: subprocess.run(run, check=True), RUNS)


def main():
    header()
    bare = row("python -c pass", interpreter("pass"))
    imported = row('python -c "import trainlab"', interpreter("import trainlab"))
    added_ms = imported["median_ms"] - bare["median_ms"]
    print(f"import trainlab adds {added_ms:.1f} ms (difference of the medians)")
    save_record("import", {"runs": RUNS, "bare_ms": bare["median_ms"], "import_ms": imported["median_ms"],
                           "added_ms": added_ms})


if __name__ == "__main__":
    main()
