"""What checks record for the grader, which judges them outside the student's kernel.

In a kernel the grader runs (autograder/sandbox.py), the file ``CHANNEL`` exists, and every
:func:`trainlab.checks.check_close` appends one JSON line to it: the value the student's code
produced, the oracle's value, and the check's name and tolerances. The grader reads what each
test cell recorded and compares the student's values with the oracle's values that the same cell
records when the grader runs the reference solution (autograder/preprocessors.py). A kernel can
hide or garble its own records, but it cannot make a wrong value right. Elsewhere nothing is
recorded.
"""

import base64
import io
import json
from pathlib import Path

import numpy as np

# Inside the sandbox: a file of the kernel's private folder, which the grader reads.
CHANNEL = Path("/run/trainlab/records.jsonl")


def encode(value):
    """A JSON-able form of ``value``: ``{"array": base64 .npy}``, or ``{"unreadable": type name}``."""
    try:
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(array.dtype)
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return {"array": base64.b64encode(buffer.getvalue()).decode("ascii")}
    except Exception:
        return {"unreadable": type(value).__name__}


def decode(entry):
    """The array that :func:`encode` wrote, or None for an unreadable value."""
    if "array" not in entry:
        return None
    return np.load(io.BytesIO(base64.b64decode(entry["array"])), allow_pickle=False)


def recording():
    """Whether the grader is running this kernel and keeping its records."""
    return CHANNEL.is_file()


def record(actual, expected, **check):
    """Append ``actual``, ``expected`` and the check's settings to ``CHANNEL``, if the grader keeps it."""
    if recording():
        entry = {"actual": encode(actual), "expected": encode(expected), **check}
        with open(CHANNEL, "a", encoding="utf-8") as file:
            file.write(json.dumps(entry) + "\n")


def parse(data):
    """The entries of ``data`` (bytes, one JSON line each); a line that is not JSON is kept as garbled."""
    entries = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            entries.append({"garbled": line[:80]})
    return entries
