"""Your own functions from an earlier chapter's notebook, for use in a later chapter.

    from trainlab.yours import your_functions
    mine = your_functions("../01_losses/losses.ipynb", "log_softmax", "cross_entropy")
    mine["cross_entropy"](logits, labels)   # raises NotFinished until chapter 1 is done

The notebook's first code cell (its imports) and its solution cells (nbgrader metadata
``solution: true``) run in a fresh namespace, in order; nothing else of the notebook runs. So
you get exactly what you wrote, never the reference solution. Where a part is not ready (the
notebook is missing, a cell raises, a name is not defined, or a function still raises
``NotImplementedError``), calling it raises :class:`NotFinished`, a ``NotImplementedError``
whose message says which exercise of which chapter to finish first. :func:`what_to_finish`
turns any ``NotImplementedError`` caught in the notebook into such a sentence, also for the
notebook's own unfinished functions.
"""

import functools
import json
import re
from pathlib import Path


class NotFinished(NotImplementedError):
    """A function of an earlier chapter is not ready; the message says what to do."""


def _chapter(path):
    """'chapter 1 (../01_losses/losses.ipynb)' for a notebook in a folder named 01_losses."""
    number = re.match(r"(\d+)_", path.parent.name)
    return f"chapter {int(number.group(1))} ({path})" if number else str(path)


def _stand_in(name, message):
    def missing(*args, **kwargs):
        raise NotFinished(message)

    missing.__name__ = missing.__qualname__ = name
    return missing


def _guarded(function, message):
    """``function``, but a NotImplementedError from its own body becomes NotFinished(message)."""
    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except NotFinished:
            raise  # a function it called is the one to finish: keep that message
        except NotImplementedError:
            raise NotFinished(message) from None

    return call


def your_functions(notebook, *names):
    """{name: function} for ``names`` as the notebook at path ``notebook`` defines them.

    notebook: path of an nbgrader notebook (relative to the working directory, i.e. the
        notebook you run this from), e.g. "../01_losses/losses.ipynb".
    names: the functions you want. Functions the solution cells define call each other as
        they do in that notebook.
    Never raises: every problem surfaces as NotFinished when the function is called.
    """
    path = Path(notebook)
    where = _chapter(path)
    try:
        cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        problem = f"could not read your notebook of {where}: {type(error).__name__}: {error}"
        return {name: _stand_in(name, f"{name}: {problem}.") for name in names}

    namespace = {"__name__": f"yours_{path.stem}"}
    solutions = [c for c in cells[1:] if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    failed = {}
    for number, cell in enumerate(cells[:1] + solutions):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        exercise = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "the set-up cell")
        try:
            exec(compile(source, f"{path.name}, your cell {exercise}", "exec"), namespace)
        except Exception as error:  # a syntax error or an exception in one cell spoils only that cell
            failed[exercise] = f"{type(error).__name__}: {error}"

    mine = {}
    for name in names:
        value = namespace.get(name)
        if not callable(value):
            spoilt = "; ".join(f"cell {exercise} raised {error}" for exercise, error in failed.items())
            problem = f"your notebook of {where} does not define it" + (f" ({spoilt})" if spoilt else "")
            mine[name] = _stand_in(name, f"{name}: {problem}. Finish that exercise first.")
        else:
            mine[name] = value
    for key, value in list(namespace.items()):  # guard every function, so calls between them are too
        if callable(value) and getattr(getattr(value, "__code__", None), "co_filename", "").startswith(path.name):
            guarded = _guarded(value, f"{key} in {where} is not written yet: finish that exercise first, "
                                      "then run this cell again.")
            namespace[key] = guarded
            if key in mine:
                mine[key] = guarded
    return mine


def what_to_finish(error):
    """A sentence saying which unfinished function raised ``error`` (a NotImplementedError).

    NotFinished carries its own message; for a plain ``raise NotImplementedError()`` the
    innermost frame of the traceback names the function (``Class.method`` for a method).
    """
    if isinstance(error, NotFinished) or str(error):
        return str(error)
    frame, traceback = None, error.__traceback__
    while traceback is not None:
        frame, traceback = traceback.tb_frame, traceback.tb_next
    if frame is None:
        return "A function is not written yet: finish its exercise first."
    name, owner = frame.f_code.co_name, frame.f_locals.get("self")
    if owner is not None:
        name = f"{type(owner).__name__}.{name}"
    return f"{name} in this notebook is not written yet: finish that exercise first, then run this cell again."
