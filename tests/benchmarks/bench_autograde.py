"""Serial nbgrader against the parallel grader on one synthetic class:
``python tests/benchmarks/bench_autograde.py [--students 40] [CHAPTER ...]``.

Every student hands in every chapter (default: each chapter with sample submissions); student k
hands in the chapter's sample k mod (number of samples), so the class mixes right, empty and
typical wrong answers. The same files are graded twice, in two class folders: by plain
``nbgrader autograde CHAPTER`` (one process per chapter, a submission at a time, as nbgrader
does) and by ``autograder/parallel_autograde.py``. Prints the times, seconds per notebook, the
throughput ratio, and whether both gradebooks hold the same scores; saves them for bench_table.py.
"""

import argparse
import csv
import os
import runpy
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--out", default=str(ROOT / "build" / "bench_autograde"))
    args = parser.parse_args()
    chapters = args.chapters or sorted(p.stem for p in (ROOT / "autograder" / "samples").glob("[0-9]*.py"))
    out = Path(args.out)
    subprocess.run(["rm", "-rf", str(out)], check=True)
    serial_dir, parallel_dir = out / "serial", out / "parallel"
    for class_dir in (serial_dir, parallel_dir):
        make_class(class_dir, chapters, args.students)
    notebooks = args.students * sum(len(list((ROOT / "solutions" / c).glob("*.ipynb"))) for c in chapters)
    print(f"{args.students} students x {len(chapters)} chapters = {notebooks} notebooks, {os.cpu_count()} cores",
          flush=True)

    serial = sum(timed(["nbgrader", "autograde", chapter], serial_dir) for chapter in chapters)
    print(f"serial nbgrader done in {serial:.0f} s", flush=True)
    parallel = timed([sys.executable, "autograder/parallel_autograde.py", *chapters], parallel_dir)
    same = scores(serial_dir) == scores(parallel_dir)
    save_record("autograde", {
        "students": args.students, "chapters": chapters, "notebooks": notebooks, "cores": os.cpu_count(),
        "serial_s": serial, "serial_s_per_notebook": serial / notebooks,
        "parallel_s": parallel, "parallel_s_per_notebook": parallel / notebooks,
        "ratio": serial / parallel, "scores_identical": same})

    print(f"\n| grader | notebooks | total | per notebook | throughput |\n| :- | -: | -: | -: | -: |")
    print(f"| nbgrader autograde, serial | {notebooks} | {serial:.0f} s | {serial / notebooks:.2f} s | 1.00x |")
    print(f"| parallel_autograde.py | {notebooks} | {parallel:.0f} s | {parallel / notebooks:.2f} s | "
          f"{serial / parallel:.2f}x |")
    print(f"\nscores identical: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
