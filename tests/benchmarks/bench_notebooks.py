"""How long each solution notebook takes headless: ``python tests/benchmarks/bench_notebooks.py [--runs 1]``.

Executes solutions/*/*.ipynb as the tests do (tests/conftest.py): nbclient, the python3 kernel,
the notebook's own folder, OMP_NUM_THREADS=1; the time includes starting the kernel.
Prints the median seconds per notebook and saves them for bench_table.py.
"""

import argparse
import os

import nbformat
import numpy as np
from nbclient import NotebookClient

from timing import ROOT, save_record, timings


def execute(path):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    seconds = {}
    for path in sorted(ROOT.glob("solutions/[0-9][0-9]_*/*.ipynb")):
        name = str(path.relative_to(ROOT / "solutions"))
        seconds[name] = float(np.median(timings(lambda i: execute(path), args.runs)))
        print(f"{seconds[name]:7.1f} s  {name}", flush=True)
    save_record("notebooks", {"runs": args.runs, "seconds": seconds})


if __name__ == "__main__":
    main()
