"""How fast chapter 4's scalar engines are next to torch: ``python tests/benchmarks/bench_backprop.py``.

The chain of the notebook's tests, ``y = tanh(y + x)`` repeated until it holds n operations, runs on
the reference solution's ``Value`` (reverse mode) and ``Dual`` (forward mode), and on torch scalars
with autograd and with forward-mode AD. Prints a table of milliseconds per run (median and best of
several): building the graph (the forward pass), the backward sweep, and its topological sort alone.
torch runs with one thread, the fair setting for scalar work on a shared machine.
"""

import gc
import sys
import time

import numpy as np
import torch
import torch.autograd.forward_ad as fwAD

from trainlab.grading import reference

Value, Dual, topological_order = (reference("04_backprop", name) for name in ("Value", "Dual", "topological_order"))


def chain(x, operations):
    y = x
    for _ in range(operations // 2):
        y = (y + x).tanh()
    return y


def timed(action, repeats):
    """(median, best) seconds of action(), each run on fresh inputs made by action itself.

    The garbage of earlier runs (the graphs are full of reference cycles) is collected first.
    """
    seconds = []
    for _ in range(repeats):
        gc.collect()
        seconds.append(action())
    return np.median(seconds), np.min(seconds)


def value_build(n):
    start = time.perf_counter()
    chain(Value(0.5), n)
    return time.perf_counter() - start


def value_backward(n):
    out = chain(Value(0.5), n)
    start = time.perf_counter()
    out.backward()
    return time.perf_counter() - start


def value_sort(n):
    out = chain(Value(0.5), n)
    start = time.perf_counter()
    topological_order(out)
    return time.perf_counter() - start


def torch_build(n):
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    start = time.perf_counter()
    chain(x, n)
    return time.perf_counter() - start


def torch_backward(n):
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    out = chain(x, n)
    start = time.perf_counter()
    out.backward()
    return time.perf_counter() - start


def dual_pass(n):
    start = time.perf_counter()
    chain(Dual(0.5, 1.0), n)
    return time.perf_counter() - start


def torch_forward_ad(n):
    with fwAD.dual_level():
        x = fwAD.make_dual(torch.tensor(0.5, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
        start = time.perf_counter()
        chain(x, n)
        return time.perf_counter() - start


def check_agreement(n):
    """The engines agree with torch on the chain (value and derivative), or the figures mean nothing."""
    x = Value(0.5)
    out = chain(x, n)
    out.backward()
    x_t = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    out_t = chain(x_t, n)
    out_t.backward()
    tangent = chain(Dual(0.5, 1.0), n).tangent
    assert np.allclose([out.data, x.grad, tangent], [out_t.item(), x_t.grad.item(), x_t.grad.item()], rtol=1e-9)


def main():
    torch.set_num_threads(1)
    torch_forward_ad(10)  # torch's forward mode compiles its rules on first use: not part of the timing
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}, one thread; "
          "milliseconds per run, median / best")
    rows = [("Value: build the graph (forward pass)", value_build), ("torch: forward pass, recording", torch_build),
            ("Value: backward()", value_backward), ("  of which topological_order", value_sort),
            ("torch: backward()", torch_backward),
            ("Dual: one forward-mode pass", dual_pass), ("torch forward AD: one pass", torch_forward_ad)]
    sizes = [1_000, 10_000, 100_000]
    for n in sizes:
        check_agreement(n)
    print(f"{'chain of n operations':<40}" + "".join(f"{f'n = {n:,}':>22}" for n in sizes))
    for label, action in rows:
        cells = []
        for n in sizes:
            median, best = timed(lambda: action(n), 5 if n <= 10_000 else 2)
            cells.append(f"{median * 1e3:10.1f} / {best * 1e3:8.1f}")
        print(f"{label:<40}" + "".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
