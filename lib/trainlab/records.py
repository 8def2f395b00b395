"""What checks record for the grader, which judges them outside the student's kernel.

In a kernel the grader runs (autograder/sandbox.py), the file ``CHANNEL`` exists, and every check
(trainlab.checks) appends one JSON line to it. In a student's graded kernel that line holds only
``{"name": ..., "value": ...}``: the check's name and the value the student's code produced, converted
to data by exact type (:func:`encode`), which runs none of the student's code. The expected value does
not exist there: the grader takes it, with the check's comparison and settings, from the records of
its own run of the instructor notebook (:func:`reference_run`: the grader shows that kernel, and no
other, the solutions at ``SOLUTIONS``), and judges with trainlab.verdicts. Elsewhere nothing is recorded.

The grader imports this module in every kernel before the first cell runs, so the functions it keeps
below are those of a kernel no student code has touched.
"""

import base64
import io
import json
import os
import sys
from pathlib import Path

import numpy as np

from trainlab.verdicts import Unreadable

# Inside the sandbox: a file of the kernel's private folder, which the grader reads.
CHANNEL = Path("/run/trainlab/records.jsonl")
# Inside the sandbox, in the grader's run of the instructor notebooks only: those notebooks (read-only).
SOLUTIONS = Path("/run/trainlab/solutions")
MAX_ITEMS = 10_000  # items of one value (array elements, list items) the kernel may record
NUMERIC = frozenset("biuf")

# Kept now: what encode and record call, whatever later code does to the modules they come from.
_save, _b64, _dumps, _open = np.save, base64.b64encode, json.dumps, open
_is_file, _is_dir = Path.is_file, Path.is_dir
_ndarray, _array = np.ndarray, np.array
_SCALARS = frozenset(np.dtype(code).type for code in "?bhilqpBHILQPefdg")  # numpy's own scalar types
_torch = {}  # torch's functions that read a tensor, kept once torch is imported


def _keep_torch():
    """Keep torch's functions that read a tensor (in a kernel the grader runs, at once: see the docstring)."""
    torch = sys.modules.get("torch")
    if torch is not None and not _torch:
        base = torch._C.TensorBase
        _torch.update(tensors=(torch.Tensor, torch.nn.Parameter), detach=base.detach, cpu=base.cpu, numpy=base.numpy,
                      resolve=(base.resolve_conj, base.resolve_neg), no_function=torch._C.DisableTorchFunction,
                      no_dispatch=torch._C._DisableTorchDispatch)
    return _torch


if _is_file(CHANNEL):
    import torch  # noqa: F401
_keep_torch()


def _tensor(value):
    """An exact torch.Tensor as a numpy array, without torch-function or dispatch modes (student code)."""
    with _torch["no_function"](), _torch["no_dispatch"]():
        value = _torch["cpu"](_torch["detach"](value))
        for resolve in _torch["resolve"]:
            value = resolve(value)
        return _array(_torch["numpy"](value), copy=True)


def _array_entry(array):
    buffer = io.BytesIO()
    _save(buffer, array, allow_pickle=False)
    return {"array": _b64(buffer.getvalue()).decode("ascii")}


def encode(value, budget=None):
    """A JSON-able form of ``value``, by its exact type; what is not data becomes ``{"unreadable": type name}``.

    Data: numpy arrays of numbers or booleans and numpy scalars, exact int, float, bool, str and None,
    exact torch tensors and parameters, and exact lists, tuples and dicts (string keys) of data, up to MAX_ITEMS in all.
    Nothing of a subclass or another type is called: ``type(value) is ...`` decides.
    """
    budget = budget if budget is not None else [MAX_ITEMS]
    kind = type(value)
    if kind is _ndarray or kind in _SCALARS:
        array = _array(value, copy=True) if kind is _ndarray else _array(value)
        if array.dtype.kind in NUMERIC and array.dtype.names is None and array.size <= budget[0]:
            budget[0] -= array.size
            return _array_entry(array)
    elif kind in (int, float, bool, str) or value is None:
        budget[0] -= 1
        if budget[0] >= 0 and not (kind is str and len(value) > 10_000) and not (kind is int and abs(value) > 2**63):
            return {"plain": value}
    elif _keep_torch() and kind in _torch["tensors"]:
        try:
            array = _tensor(value)
        except Exception:  # a tensor numpy cannot hold (complex, meta, sparse)
            array = None
        if array is not None and array.dtype.kind in NUMERIC and array.size <= budget[0]:
            budget[0] -= array.size
            return _array_entry(array)
    elif kind in (list, tuple):
        budget[0] -= 1
        if budget[0] >= 0 and len(value) <= budget[0]:
            items = [encode(item, budget) for item in list.__iter__(value)] if kind is list else \
                [encode(item, budget) for item in tuple.__iter__(value)]
            return {kind.__name__: items}
    elif kind is dict:
        budget[0] -= 1
        keys = list(dict.keys(value))
        if budget[0] >= 0 and all(type(key) is str for key in keys) and len(keys) <= budget[0]:
            return {"dict": [[key, encode(dict.__getitem__(value, key), budget)] for key in keys]}
    return {"unreadable": kind.__name__ if type(kind.__name__) is str else "object"}


def decode(entry):
    """The data that :func:`encode` wrote; Unreadable(type name) for what it could not; garbage -> Unreadable."""
    if not isinstance(entry, dict) or len(entry) != 1:
        return Unreadable("value of another kind")
    (kind, content), = entry.items()
    if kind == "array" and isinstance(content, str):
        return np.load(io.BytesIO(base64.b64decode(content)), allow_pickle=False)
    if kind == "plain" and (content is None or type(content) in (int, float, bool, str)):
        return content
    if kind in ("list", "tuple") and isinstance(content, list):
        items = [decode(item) for item in content]
        return items if kind == "list" else tuple(items)
    if kind == "dict" and isinstance(content, list) and all(isinstance(p, list) and len(p) == 2 for p in content):
        return {str(key): decode(item) for key, item in content}
    if kind == "unreadable":
        return Unreadable(str(content))
    return Unreadable("value of another kind")


def recording():
    """Whether the grader is running this kernel and keeping its records."""
    return _is_file(CHANNEL)


def solutions_dir():
    """Where the instructor notebooks live: in a kernel the grader runs, ``SOLUTIONS`` (shown in its run of
    them only); elsewhere $TRAINLAB_SOLUTIONS, else the course's solutions/."""
    if recording():
        return SOLUTIONS
    default = Path(__file__).resolve().parents[2] / "solutions"
    return Path(os.environ.get("TRAINLAB_SOLUTIONS", default))


def reference_run():
    """Whether this kernel is the grader's run of the instructor notebook: the grader, which alone makes
    the kernel's folders, showed it the solutions at ``SOLUTIONS``."""
    return recording() and _is_dir(SOLUTIONS)


def graded():
    """Whether this kernel is a student's, run by the grader: there checks record and judge nothing."""
    return recording() and not _is_dir(SOLUTIONS)


def write(entry):
    """Append one record (a dict) to CHANNEL, if the grader keeps it."""
    if recording():
        with _open(CHANNEL, "a", encoding="utf-8") as file:
            file.write(_dumps(entry) + "\n")


def parse(data):
    """The entries of ``data`` (bytes, one JSON line each); a line that is not JSON is kept as garbled."""
    entries = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            entries.append({"garbled": line[:80]})
    return entries
