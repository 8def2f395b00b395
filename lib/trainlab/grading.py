"""Hidden tests: compare a student's function with the reference solution.

The reference is the instructor notebook's own solution code (``solutions/<chapter>/``),
loaded when the hidden tests run, so it is written once and never reaches students:
released notebooks contain neither the solutions nor the hidden tests. A graded student
kernel cannot see the solutions either (autograder/sandbox.py): there the reference is a
stand-in, the checks record the student's results, and the grader compares them with the
results of its own run of the instructor notebook.
"""

import copy
import functools
import json

from trainlab import records
from trainlab.checks import CheckFailed, check, oracle
from trainlab.records import solutions_dir  # noqa: F401  (where the reference comes from)


class ReferenceWithheld(Exception):
    """Raised by the stand-in for a reference solution that the grader keeps out of the kernel."""


@functools.cache
def _reference_namespace(chapter):
    """Run the chapter's first code cell (its imports) and every solution cell."""
    folder = solutions_dir() / chapter
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no instructor notebook in {folder}")
    namespace = {"__name__": f"reference_{chapter}"}
    for path in notebooks:
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        setup = cells[:1]
        solutions = [c for c in cells[1:] if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
        for number, cell in enumerate(setup + solutions):
            exec(compile("".join(cell["source"]), f"{path.name}, reference cell {number}", "exec"), namespace)
    return namespace


def withheld(chapter, name):
    """A stand-in for the reference function ``name``: calling it raises ReferenceWithheld."""
    def stand_in(*args, **kwargs):
        raise ReferenceWithheld(f"the grader keeps the reference solution's {name} ({chapter}) to itself")
    stand_in.__name__ = name
    return stand_in


def reference(chapter, name):
    """The reference solution's object called ``name`` in ``chapter`` (e.g. "01_losses").

    In a kernel the grader runs without the solutions in sight, a stand-in (see ``withheld``).
    """
    if records.graded():
        return withheld(chapter, name)
    namespace = _reference_namespace(chapter)
    if name not in namespace:
        raise KeyError(f"the reference solution of {chapter} defines no {name!r}")
    return namespace[name]


def check_against_reference(student, ref, cases, *, name=None, comparison="close", **settings):
    """Call ``student`` on every case and compare its result with ``ref``'s, deferred (an oracle).

    cases: {label: tuple of arguments}; arguments are copied per call, so neither
        function can change what the other sees.
    comparison, settings: the comparison of trainlab.verdicts and its settings (rtol, atol, scale,
        check_dtype, hint for ``close``); ``comparison="equal"`` for strings and exact data.
    Prints one line per case; raises CheckFailed naming the first case that fails. In a graded
    kernel the reference is never called: the checks record the student's results, for the grader.
    """
    __tracebackhide__ = True
    name = name or getattr(ref, "__name__", "function")
    for label, args in cases.items():
        mine, theirs = copy.deepcopy(args), copy.deepcopy(args)
        try:
            actual = student(*mine)
        except NotImplementedError:
            raise CheckFailed(f"✗ {name}: not implemented yet.") from None
        except Exception as error:
            raise CheckFailed(f"✗ {name} raised {type(error).__name__} on the case "
                              f"'{label}': {error}") from None
        check(actual, oracle(ref, *theirs), comparison=comparison, name=f"{name} ({label})",
              oracle="the reference solution", **settings)
