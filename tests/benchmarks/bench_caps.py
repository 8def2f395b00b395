"""How long the sandbox takes to stop a memory balloon and a process storm:
``python tests/benchmarks/bench_caps.py [--repeats 3]``.

Each run starts a kernel under the trainlab-sandbox provisioner with the course's caps (2 GB of
memory, 256 processes), runs one cell that goes past a cap (bounded, so that a broken cap cannot take
the machine down), and times it from the cell's start to its reply (the cap reached: the memory cgroup
or RLIMIT_DATA stopped the allocation, the pids cgroup or RLIMIT_NPROC the fork) and to the kernel
stopped and its processes gone, as the grader stops it. Prints the times and the cap the sandbox named.
"""

import argparse
import queue
import statistics
import tempfile
import time

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

CELLS = {
    "memory balloon": "import numpy as np\nheap = []\nfor _ in range(8):  # up to 3.2 GB\n"
                      "    heap.append(np.ones(5 * 10**7))\n",
    "process storm": "import os, time\nfor _ in range(400):\n    if os.fork() == 0:\n        time.sleep(60)\n"
                     "        os._exit(0)\n",
}


def stop_time(code, folder):
    """(seconds to the cell's reply, seconds to the kernel stopped, the cap named) for one cell."""
    km = AsyncKernelManager(kernel_name="python3")
    km.kernel_spec.metadata["kernel_provisioner"] = {"provisioner_name": "trainlab-sandbox", "config": {}}
    run_sync(km.start_kernel)(cwd=folder)
    client = km.client()
    client.start_channels()
    run_sync(client.wait_for_ready)(timeout=120)
    start = time.perf_counter()
    msg_id, error = client.execute(code), None
    while error is None:  # the reply, or the kernel's death, which nbclient notices the same way
        try:
            reply = run_sync(client.get_shell_msg)(timeout=0.05)
        except queue.Empty:
            if not run_sync(km.is_alive)():
                error = ("DeadKernelError", "the kernel died")
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            error = (reply["content"].get("ename", ""), reply["content"].get("evalue", ""))
    replied = time.perf_counter() - start
    cap = km.provisioner.cap_hit(error if error[0] else None)
    client.stop_channels()
    run_sync(km.shutdown_kernel)(now=True)
    return replied, time.perf_counter() - start, cap


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| cell | to its reply (median) | to the kernel stopped (median) | runs (stopped) | cap named |")
    print("| :- | -: | -: | :- | :- |")
    for name, code in CELLS.items():
        with tempfile.TemporaryDirectory() as folder:
            runs = [stop_time(code, folder) for _ in range(args.repeats)]
        replies, stops, caps = zip(*runs)
        print(f"| {name} | {statistics.median(replies):.2f} s | {statistics.median(stops):.2f} s | "
              f"{', '.join(f'{s:.2f}' for s in stops)} s | {'; '.join(sorted(set(map(str, caps))))} |", flush=True)


if __name__ == "__main__":
    main()
