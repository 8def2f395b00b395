"""Where a graded notebook's CPU-seconds go:
``python tests/benchmarks/bench_grading_profile.py [--students 40] [CHAPTER]`` (as root).

Grades one chapter's synthetic class (bench_autograde.py's, default 40 students of 01_losses) with serial
``nbgrader autograde`` and with ``make autograde`` (parallel_autograde.py), each in a cpuacct cgroup of its own,
and splits the parallel run's CPU time by process as it forks: the coordinator (Dask, the class folder and the
gradebook), the grading processes (nbgrader, bubblewrap; the fork server's own imports apart) and the graded
kernels (the reference run's included; the zygote's own imports apart). Prints CPU-seconds in all and per
notebook; saves them for bench_table.py.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from bench_autograde import environment, make_class
from timing import ROOT, save_record

CPUACCT = Path("/sys/fs/cgroup/cpuacct")


class Accounts:
    """cpuacct cgroups (cgroup v1) named ``prefix-<part>``, removed on exit."""

    def __init__(self, prefix, parts):
        if not (CPUACCT / "cpuacct.usage").exists():
            sys.exit(f"no cpuacct cgroup at {CPUACCT} (cgroup v1) to account CPU time in: run as root on such "
                     "a machine")
        self.folders = {part: CPUACCT / f"{prefix}-{part}" for part in parts}
        for folder in self.folders.values():
            folder.mkdir(exist_ok=True)
        self.start = {part: self.usage(part) for part in parts}  # one an interrupted run left keeps its count

    def move(self, pid, part):
        (self.folders[part] / "cgroup.procs").write_text(str(pid))

    def usage(self, part):
        return int((self.folders[part] / "cpuacct.usage").read_text()) / 1e9

    def seconds(self, part):
        """CPU-seconds the processes of ``part`` used since these cgroups were made."""
        return self.usage(part) - self.start[part]

    def close(self):
        for folder in self.folders.values():
            for _ in range(250):  # the last processes may still be exiting
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)


def own_seconds(process):
    """CPU-seconds the process itself has used (not its children)."""
    times = process.cpu_times()
    return times.user + times.system


def sort_children(coordinator, accounts, own, stop):
    """Until ``stop``: move the coordinator's fork server and zygote into their parts' cgroups as soon as they
    start (what they fork later is accounted there too), and keep their own CPU-seconds in ``own``."""
    moved = {}
    while not stop.wait(0.02):
        try:
            children = coordinator.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for child in children:
            try:
                if child.pid not in moved:
                    line = " ".join(child.cmdline())
                    part = ("kernels" if "autograder.zygote" in line else
                            "grading" if "multiprocessing.forkserver" in line else None)
                    if part:
                        accounts.move(child.pid, part)
                        moved[child.pid] = part
                if child.pid in moved:
                    own[moved[child.pid]] = own_seconds(child)
            except (psutil.NoSuchProcess, ProcessLookupError):
                pass


def accounted(command, class_dir, accounts, parts=False):
    """Run ``command`` for ``class_dir`` in the cgroup "coordinator" (its fork server and zygote in theirs where
    ``parts``); (wall seconds, {part: the fork server's or zygote's own CPU-seconds})."""
    own, stop = {}, threading.Event()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=environment(class_dir), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL,
                               preexec_fn=lambda: accounts.move(os.getpid(), "coordinator"))
    watcher = threading.Thread(target=sort_children, args=(psutil.Process(process.pid), accounts, own, stop))
    if parts:
        watcher.start()
    process.wait()
    stop.set()
    if parts:
        watcher.join()
    return time.perf_counter() - start, own


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapter", nargs="?", default="01_losses")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--out", default=str(ROOT / "build" / "bench_grading_profile"))
    args = parser.parse_args()
    out = Path(args.out)
    subprocess.run(["rm", "-rf", str(out)], check=True)
    serial_dir, parallel_dir = out / "serial", out / "parallel"
    for class_dir in (serial_dir, parallel_dir):
        make_class(class_dir, [args.chapter], args.students)
    notebooks = args.students * len(list((ROOT / "solutions" / args.chapter).glob("*.ipynb")))

    serial_accounts = Accounts("trainlab-bench-serial", ["coordinator"])
    parallel_accounts = Accounts("trainlab-bench-parallel", ["coordinator", "grading", "kernels"])
    try:
        serial_wall, _ = accounted(["nbgrader", "autograde", args.chapter], serial_dir, serial_accounts)
        parallel_wall, own = accounted([sys.executable, "autograder/parallel_autograde.py", args.chapter],
                                       parallel_dir, parallel_accounts, parts=True)
        serial = serial_accounts.seconds("coordinator")
        parts = {part: parallel_accounts.seconds(part) for part in ("coordinator", "grading", "kernels")}
    finally:
        serial_accounts.close()
        parallel_accounts.close()

    rows = [("serial nbgrader: everything", serial),
            ("make autograde: the coordinator (imports, Dask, the gradebook)", parts["coordinator"]),
            ("make autograde: the fork server's imports (once)", own.get("grading", 0.0)),
            ("make autograde: nbgrader and bubblewrap, per submission", parts["grading"] - own.get("grading", 0.0)),
            ("make autograde: the zygote's imports (once)", own.get("kernels", 0.0)),
            ("make autograde: the kernels (the reference run's too)", parts["kernels"] - own.get("kernels", 0.0)),
            ("make autograde: everything", sum(parts.values()))]
    print(f"{args.students} students of {args.chapter} = {notebooks} notebooks; wall: serial {serial_wall:.1f} s, "
          f"make autograde {parallel_wall:.1f} s ({serial_wall / parallel_wall:.2f}x)\n")
    print("| CPU time of | CPU-s | per notebook |\n| :- | -: | -: |")
    for what, seconds in rows:
        print(f"| {what} | {seconds:.1f} | {seconds / notebooks:.2f} |")
    save_record("grading_profile", {"chapter": args.chapter, "students": args.students, "notebooks": notebooks,
                                    "serial_wall_s": serial_wall, "parallel_wall_s": parallel_wall,
                                    "cpu_s": dict(rows)})


if __name__ == "__main__":
    main()
