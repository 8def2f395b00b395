"""Serial nbgrader against the parallel grader on one synthetic class:
``python tests/benchmarks/bench_autograde.py [--students 40] [CHAPTER ...]``.

Every student hands in every chapter (default: each chapter with sample submissions); student k
hands in the chapter's sample k mod (number of samples), so the class mixes right, empty and
typical wrong answers. The same files are graded twice, in two class folders: by plain
``nbgrader autograde CHAPTER`` (one process per chapter, a submission at a time, as nbgrader
does), by ``autograder/parallel_autograde.py`` (``make autograde``: a Dask LocalCluster on this machine) and by
the same on an existing cluster of a ``dask scheduler`` and two ``dask worker`` processes (one thread each, each
in its own working folder) on 127.0.0.1. Prints the times, seconds per notebook, the throughput ratios, and
whether the three gradebooks hold the same scores; saves them for bench_table.py.
"""

import argparse
import csv
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from timing import ROOT, save_record

from autograder import settings
from autograder.demo import submission


def environment(class_dir):
    settings.make_class(class_dir, **{"CourseDirectory.release_directory": str(class_dir / "release")})
    return os.environ | {"JUPYTER_CONFIG_PATH": f"{class_dir}{os.pathsep}{ROOT / 'autograder'}",
                         "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def nbgrader(class_dir, *args):
    subprocess.run(["nbgrader", *args, "--log-level=ERROR"], cwd=ROOT, env=environment(class_dir), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_class(class_dir, chapters, students):
    for chapter in chapters:
        nbgrader(class_dir, "generate_assignment", chapter, "--force")
        samples = runpy.run_path(str(ROOT / "autograder" / "samples" / f"{chapter}.py"))["SUBMISSIONS"]
        for k in range(students):
            folder = class_dir / "submitted" / f"s{k:03d}" / chapter
            folder.mkdir(parents=True)
            (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
            for path in sorted((ROOT / "solutions" / chapter).glob("*.ipynb")):
                notebook = submission(nbformat.read(ROOT / "notebooks" / chapter / path.name, as_version=4),
                                      nbformat.read(path, as_version=4), samples[k % len(samples)])
                nbformat.write(notebook, folder / path.name)


def scores(class_dir):
    nbgrader(class_dir, "export", "--to", str(class_dir / "grades.csv"))
    with open(class_dir / "grades.csv") as f:
        return {(row["assignment"], row["student_id"]): float(row["score"]) for row in csv.DictReader(f)}


def timed(command, class_dir):
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=environment(class_dir), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def dask_workers(folder, count):
    """A `dask scheduler` and ``count`` `dask worker` processes on 127.0.0.1: (address, processes)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    dask, processes = str(Path(sys.executable).parent / "dask"), []
    commands = [[dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"]]
    commands += [[dask, "worker", address, "--nthreads", "1", "--preload", "autograder.dask_grading", "--no-dashboard", "--local-directory",
                  str(folder / f"worker{k}")] for k in range(count)]
    for command in commands:
        (folder / f"worker{len(processes)}").mkdir(parents=True, exist_ok=True)
        processes.append(subprocess.Popen(command, cwd=folder / f"worker{len(processes)}", stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL,
                                          env=os.environ | {"DASK_DISTRIBUTED__WORKER__DAEMON": "False"}))
    from distributed import Client
    with Client(address, timeout=60) as client:
        client.wait_for_workers(count, timeout=120)
    return address, processes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--out", default=str(ROOT / "build" / "bench_autograde"))
    args = parser.parse_args()
    chapters = args.chapters or sorted(p.stem for p in (ROOT / "autograder" / "samples").glob("[0-9]*.py"))
    out = Path(args.out)
    subprocess.run(["rm", "-rf", str(out)], check=True)
    serial_dir, parallel_dir, dask_dir = out / "serial", out / "parallel", out / "dask"
    for class_dir in (serial_dir, parallel_dir, dask_dir):
        make_class(class_dir, chapters, args.students)
    notebooks = args.students * sum(len(list((ROOT / "solutions" / c).glob("*.ipynb"))) for c in chapters)
    print(f"{args.students} students x {len(chapters)} chapters = {notebooks} notebooks, {os.cpu_count()} cores",
          flush=True)

    serial = sum(timed(["nbgrader", "autograde", chapter], serial_dir) for chapter in chapters)
    print(f"serial nbgrader done in {serial:.0f} s", flush=True)
    parallel = timed([sys.executable, "autograder/parallel_autograde.py", *chapters], parallel_dir)
    print(f"make autograde done in {parallel:.0f} s", flush=True)
    address, processes = dask_workers(out / "cluster", 2)
    try:
        two_workers = timed([sys.executable, "autograder/parallel_autograde.py", *chapters, "--scheduler", address],
                            dask_dir)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait()
    expected = scores(serial_dir)
    same, dask_same = expected == scores(parallel_dir), expected == scores(dask_dir)
    save_record("autograde", {
        "students": args.students, "chapters": chapters, "notebooks": notebooks, "cores": os.cpu_count(),
        "serial_s": serial, "serial_s_per_notebook": serial / notebooks,
        "parallel_s": parallel, "parallel_s_per_notebook": parallel / notebooks,
        "ratio": serial / parallel, "scores_identical": same,
        "dask_workers": 2, "dask_s": two_workers, "dask_s_per_notebook": two_workers / notebooks,
        "dask_ratio": serial / two_workers, "dask_scores_identical": dask_same})

    print(f"\n| grader | notebooks | total | per notebook | throughput |\n| :- | -: | -: | -: | -: |")
    print(f"| nbgrader autograde, serial | {notebooks} | {serial:.0f} s | {serial / notebooks:.2f} s | 1.00x |")
    print(f"| parallel_autograde.py | {notebooks} | {parallel:.0f} s | {parallel / notebooks:.2f} s | "
          f"{serial / parallel:.2f}x |")
    print(f"| two Dask workers (--scheduler) | {notebooks} | {two_workers:.0f} s | {two_workers / notebooks:.2f} s | "
          f"{serial / two_workers:.2f}x |")
    print(f"\nscores identical: make autograde {'yes' if same else 'NO'}, two Dask workers {'yes' if dask_same else 'NO'}")
    return 0 if same and dask_same else 1


if __name__ == "__main__":
    sys.exit(main())
