"""The comparisons behind every check: pure functions of plain data that return a :class:`Verdict`.

A test cell's check (trainlab.checks) calls one of them in a student's own JupyterLab and prints
or raises from its verdict; the grader (autograder/preprocessors.py) calls the same function, outside
the student's kernel, on the value the student's kernel recorded and the expected value of its own
run of the instructor notebook. Each takes ``(actual, expected, **settings)``, where ``actual`` and
``expected`` are numpy arrays, numbers, strings, None, or lists, tuples and dicts of them, and returns
``Verdict(ok, message, where)``: ``message`` is the ✓ line or the ✗ report, ``where`` the index of the
worst difference (or None).

The tolerance rule, stated once: ``close`` passes when, elementwise,

    |actual - expected| <= atol + rtol * |expected|

(numpy's ``isclose`` and ``torch.testing.assert_close``). By default rtol and atol follow the floating
dtype the student's code returned, as in ``torch.testing``: float16 1e-3 and 1e-5, bfloat16 1.6e-2 and
1e-5, float32 1.3e-6 and 1e-5, float64 1e-7 and 1e-7; where the expected value is of a less precise
dtype, its (a float64 result of float32 inputs is not held to more than the inputs carry). Integers
alone compare exactly.
``scale`` multiplies atol for operations whose rounding grows with the inputs' magnitude (the log-softmax
of logits near 1000 loses about |z| times the precision of a number near 1).
"""

from typing import NamedTuple

import numpy as np

# torch.testing's defaults per floating dtype: (rtol, atol)
TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}

# The kinds of failure a hint can be keyed to: hint={"nonfinite": ..., "values": ...}.
HINT_KINDS = ("none", "type", "shape", "dtype", "nonfinite", "values")


class Verdict(NamedTuple):
    ok: bool
    message: str
    where: tuple | None = None


class Unreadable(NamedTuple):
    """What the grader got for a value the kernel could not record as data: the name of its type."""
    type_name: str


def hint_for(hint, kind):
    """The hint for this kind of failure: a string hint is for every kind, a dict names its kinds."""
    if isinstance(hint, dict):
        unknown = set(hint) - set(HINT_KINDS)
        if unknown:
            raise ValueError(f"hint keys must be among {HINT_KINDS}, got {sorted(unknown)}")
        return hint.get(kind)
    return hint


def failed(name, problems, hint, where=None):
    """A failing verdict for every ``(problem, details, kind)``: each with its details, then the hints."""
    lines = []
    for number, (problem, details, _) in enumerate(problems):
        lines.append(f"✗ {name}: {problem}" if number == 0 else f"  also: {problem}")
        lines += [f"  {d}" for d in details]
    hints = [hint_for(hint, kind) for _, _, kind in problems]
    lines += [f"  hint: {h}" for h in dict.fromkeys(h for h in hints if h)]
    return Verdict(False, "\n".join(lines), where)


def _unreadable(name, actual, hint):
    """The verdict on a value that is not data (None, an object of another kind), or None if it is data."""
    if actual is None:
        return failed(name, [("got None.", [], "none")], hint or "Does your function end with a `return` statement?")
    if isinstance(actual, Unreadable):
        return failed(name, [(f"the result is not a number or an array of numbers but a {actual.type_name}.", [],
                              "type")], hint)
    return None


def tolerances(actual_dtype, expected_dtype, rtol=None, atol=None, scale=1.0):
    """(rtol, atol): the given values, else torch.testing's defaults for the less precise floating dtype of the
    two (a float64 result held to a float32 oracle is held to float32's); integers alone compare exactly."""
    floating = [TOLERANCES.get(d.name, TOLERANCES["float64"]) for d in (actual_dtype, expected_dtype) if d.kind == "f"]
    default_rtol, default_atol = max(floating) if floating else (0.0, 0.0)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    return rtol, atol * max(1.0, float(scale))


def _where(index):
    return f" at index {index}" if index else ""


def _at(index, inputs):
    """`` (z = 1000)``: the inputs' values at ``index``, when the check was given them."""
    if not inputs:
        return ""
    values = ", ".join(f"{key} = {np.asarray(value)[index] if np.ndim(value) else np.asarray(value)[()]:.6g}"
                       for key, value in inputs.items())
    return f" ({values})"


def _places(mask, actual, expected, inputs, limit=3):
    """Up to ``limit`` places where ``mask`` holds: index, inputs, got and expected."""
    places = [tuple(int(i) for i in index) for index in np.argwhere(mask)[:limit]]
    text = [f"{_where(index).strip() or 'the result'}{_at(index, inputs)}: got {actual[index]:.6g}, "
            f"expected {expected[index]:.6g}" for index in places]
    more = int(mask.sum()) - len(places)
    return "; ".join(text) + (f"; and {more} more" if more > 0 else "")


def _looks_like(actual, expected, wrong):
    """What the wrong finite values have in common, in words, or None: a sign, a factor, a shift."""
    got, want = actual[wrong].astype(np.float64), expected[wrong].astype(np.float64)
    if got.size == 0:
        return None
    with np.errstate(all="ignore"):
        if np.allclose(got, -want, rtol=1e-6, atol=0) and np.any(want != 0):
            return "they have the opposite sign of the expected values"
        nonzero = want != 0
        if nonzero.all() and got.size > 1:
            ratio = got / want
            if np.allclose(ratio, ratio[0], rtol=1e-6, atol=0):
                return f"each is the expected value times {ratio[0]:.4g}"
        shift = got - want
        if got.size > 1 and np.allclose(shift, shift[0], rtol=1e-6, atol=0):
            return f"each is the expected value {shift[0]:+.4g}"
        if wrong.sum() < wrong.size:
            return f"the other {wrong.size - int(wrong.sum())} values match"
    return None


def close(actual, expected, *, name="result", oracle="the expected value", rtol=None, atol=None, scale=1.0,
          check_dtype=False, hint=None, inputs=None):
    """Whether ``actual`` equals ``expected`` within the tolerance rule above, and the report.

    actual, expected: numbers or arrays of numbers (lists of them too), of one shape.
    rtol, atol: the tolerance (defaults: the dtype of ``actual``); scale: atol's multiplier (>= 1).
    check_dtype: also require actual's dtype to equal expected's (float32 in, float32 out).
    hint: shown on failure: a string, or a dict keyed by the kinds in HINT_KINDS.
    inputs: {name: array} of the inputs, same shape, so a failure says where in their terms.
    """
    refused = _unreadable(name, actual, hint)
    if refused:
        return refused
    expected = np.asarray(expected)
    returned = type(actual).__name__
    try:
        actual = np.asarray(actual)
    except Exception as error:  # e.g. a ragged list
        return failed(name, [(f"could not turn the result into a numpy array ({error}).", [], "type")], hint)
    if actual.dtype.kind not in "biuf":
        return failed(name, [(f"expected numbers, got an array of dtype {actual.dtype} (from a {returned}).", [],
                              "type")], hint)
    if actual.shape != expected.shape:
        return failed(name, [(f"shape {actual.shape}, expected {expected.shape}.", [], "shape")],
                      hint_for(hint, "shape") or
                      "Check which axis you reduce over, and whether the result should be a scalar.")
    if check_dtype and actual.dtype != expected.dtype:
        return failed(name, [(f"dtype {actual.dtype}, expected {expected.dtype}.", [], "dtype")],
                      hint_for(hint, "dtype") or "Keep the input's precision: avoid mixing in float64 arrays or casting.")
    rtol, atol = tolerances(actual.dtype, expected.dtype, rtol, atol, scale)
    if rtol < 0 or atol < 0:
        raise ValueError(f"tolerances must not be negative, got rtol={rtol}, atol={atol}")

    problems = []
    bad = ~np.isfinite(actual) & np.isfinite(expected)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        count = f"{int(bad.sum())} of {actual.size} values are" if actual.size > 1 else "the result is"
        problems.append((f"{count} NaN or infinite{_where(index)}{_at(index, inputs)}: got {actual[index]}, "
                         f"expected {expected[index]:.6g} ({oracle}).",
                         [f"where: {_places(bad, actual, expected, inputs)}"] if bad.sum() > 1 else [], "nonfinite"))
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        difference = np.where(a == e, 0.0, np.abs(a - e))  # inf == inf
        allowed = atol + rtol * np.abs(e)
        excess = np.nan_to_num(difference / np.where(allowed > 0, allowed, 1.0), nan=np.inf)
        excess = np.where((allowed == 0) & (difference > 0), np.inf, np.where(allowed == 0, 0.0, excess))
        relative = np.where(np.abs(e) > 0, difference / np.where(np.abs(e) > 0, np.abs(e), 1.0), difference)
    excess = np.where(bad, 0.0, excess)  # reported above
    wrong = excess > 1
    where = None
    rule = f"tolerance: |got - expected| <= {atol:g} + {rtol:g} * |expected|"
    if wrong.any():
        where = tuple(int(i) for i in np.unravel_index(np.argmax(excess), excess.shape))
        others = " other" if bad.any() else ""
        details = [f"worst difference {difference[where]:.2g}{_where(where)}{_at(where, inputs)} (relative "
                   f"{relative[where]:.1e}): got {actual[where]:.8g}, expected {expected[where]:.8g}"]
        if wrong.sum() > 1:
            details.append(f"where: {_places(wrong, actual, expected, inputs)}")
        pattern = _looks_like(actual, expected, wrong)
        if pattern:
            details.append(f"they look like this: {pattern}")
        details.append(rule)
        problems.append((f"{int(wrong.sum())} of {actual.size}{others} values differ from {oracle}.", details,
                         "values"))
    if problems:
        first_bad = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else None
        return failed(name, problems, hint, where if where is not None else first_bad)
    worst = float(relative.reshape(-1)[np.argmax(excess)]) if relative.size else 0.0  # at the closest call
    detail = "exactly" if not difference.any() else (f"worst relative error {worst:.1e} "
                                                      f"(|got - expected| <= {atol:g} + {rtol:g}·|expected|)")
    return Verdict(True, f"✓ {name} matches {oracle}: {detail}")


def _plain(value):
    """Arrays as nested lists, tuples as lists: data compared for equality."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _short(value, limit=200):
    text = repr(_plain(value))
    return text if len(text) <= limit else text[:limit] + " ..."


def equal(actual, expected, *, name="result", oracle="the expected value", hint=None):
    """Whether ``actual`` is exactly ``expected`` (ints, strings, lists, orders; arrays as their lists)."""
    refused = _unreadable(name, actual, hint) if expected is not None else None
    if refused:
        return refused
    if _plain(actual) == _plain(expected):
        return Verdict(True, f"✓ {name}: {_short(actual, 80)}, as {oracle}")
    return failed(name, [(f"got {_short(actual)}, expected {_short(expected)} ({oracle}).", [], "values")], hint)


def differs(actual, expected, *, name="result", oracle="the value to avoid", hint=None):
    """Whether ``actual`` is anything but ``expected`` (e.g. a shuffled order is not 0, 1, ..., n - 1)."""
    refused = _unreadable(name, actual, hint)
    if refused:
        return refused
    if _plain(actual) != _plain(expected):
        return Verdict(True, f"✓ {name}: not {oracle}")
    return failed(name, [(f"got {_short(actual)}, which is {oracle}.", [], "values")], hint)


def _flat_integers(batches):
    """The integers of a list of integer arrays, in order, or None if they are not that."""
    if not isinstance(batches, list) or not all(isinstance(b, np.ndarray) and b.dtype.kind in "iu" and b.ndim == 1
                                                for b in batches):
        return None
    return [int(i) for b in batches for i in b]


def batches(actual, expected, *, name="result", oracle="the expected batches", hint=None):
    """Whether ``actual`` is a list of 1-D integer arrays of the sizes ``expected["sizes"]`` that together hold
    each integer of ``range(expected["n"])`` once."""
    refused = _unreadable(name, actual, hint)
    if refused:
        return refused
    indices = _flat_integers(actual)
    if indices is None:
        kinds = sorted({type(b).__name__ if not isinstance(b, np.ndarray) else f"array of {b.dtype}"
                        for b in actual}) if isinstance(actual, list) else [type(actual).__name__]
        return failed(name, [(f"expected a list of 1-D arrays of integer indices, got {', '.join(kinds)}.", [],
                              "type")], hint)
    sizes = [len(b) for b in actual]
    if sizes != list(expected["sizes"]):
        return failed(name, [(f"batch sizes {sizes}, expected {list(expected['sizes'])}.", [], "shape")], hint)
    if sorted(indices) != list(range(expected["n"])):
        return failed(name, [(f"the batches hold {_short(indices)}: each index 0..{expected['n'] - 1} must appear "
                              "exactly once.", [], "values")], hint)
    return Verdict(True, f"✓ {name}: batches of sizes {sizes}, each index once")


def distinct(actual, expected=None, *, name="result", oracle="each other", hint=None):
    """Whether the items of the list ``actual`` all differ from each other (two epochs, two draws)."""
    refused = _unreadable(name, actual, hint)
    if refused:
        return refused
    items = [repr(_plain(item)) for item in actual] if isinstance(actual, list | tuple) else None
    if items is None:
        return failed(name, [(f"expected a list, got a {type(actual).__name__}.", [], "type")], hint)
    for i, item in enumerate(items):
        if item in items[:i]:
            return failed(name, [(f"items {items.index(item)} and {i} are the same: {_short(actual[i])}.", [],
                                  "values")], hint)
    return Verdict(True, f"✓ {name}: the {len(items)} differ from {oracle}")


def path(actual, expected, *, step_hints=None, index_reads="(step, row, column)", **settings):
    """``close`` for two optimizer paths, shape (steps + 1, ...): a failure also says at which step they part,
    with ``step_hints[step]``, the hint for a path that parts there (when given); ``index_reads`` says what
    an index of the report means."""
    verdict = close(actual, expected, **settings)
    if verdict.ok or verdict.where is None or np.shape(actual) != np.shape(expected) or np.ndim(expected) < 1:
        return verdict
    a, e = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    rtol, atol = tolerances(np.asarray(actual).dtype, e.dtype, settings.get("rtol"), settings.get("atol"),
                            settings.get("scale", 1.0))
    with np.errstate(invalid="ignore", over="ignore"):
        off = ~(np.abs(a - e) <= atol + rtol * np.abs(e)) & ~(a == e)
    step = int(np.argmax(off.reshape(len(off), -1).any(axis=1)))
    message = f"{verdict.message}\n  the paths part at step {step} (an index above reads {index_reads})"
    if step_hints and step < len(step_hints) and step_hints[step]:
        message += f"\n  hint: {step_hints[step]}"
    return Verdict(False, message, verdict.where)


def topological(actual, expected, *, name="result", oracle="the graph", hint=None):
    """Whether ``actual``, node numbers in order, is a topological order of the graph ``expected``:
    ``{"n": number of nodes, "root": its number, "edges": (E, 2) array of (child, parent)}`` and, for the
    messages, "names" (a name per node). Each node once, every parent before its children, the root last
    (-1 in ``actual``: not a node of the graph)."""
    refused = _unreadable(name, actual, hint)
    if refused:
        return refused
    order = np.asarray(actual) if isinstance(actual, list | np.ndarray) else None
    if order is None or order.ndim != 1 or (order.size and order.dtype.kind not in "iu"):
        return failed(name, [(f"expected a list of nodes, got {type(actual).__name__}.", [], "type")], hint)
    n, root, edges = int(expected["n"]), int(expected["root"]), np.asarray(expected["edges"]).reshape(-1, 2)
    names = expected.get("names")
    label = (lambda k: names[k]) if names else (lambda k: f"node {k}")
    order = order.astype(np.int64)
    if len(order) != n or sorted(order.tolist()) != list(range(n)):
        return failed(name, [(f"{len(order)} entries, {len(set(order.tolist()) - {-1})} distinct nodes of the graph; "
                              f"expected each of its {n} nodes once.", [], "values")], hint)
    position = np.empty(n, np.int64)
    position[order] = np.arange(n)
    late = position[edges[:, 1]] > position[edges[:, 0]] if len(edges) else np.zeros(0, bool)
    if late.any():
        child, parent = (int(i) for i in edges[np.argmax(late)])
        listed = [label(k) if k >= 0 else "?" for k in order[:12].tolist()]
        return failed(name, [(f"{label(child)} comes before its parent {label(parent)} in {listed}"
                              f"{' ...' if n > 12 else ''}; {int(late.sum())} such pair{'s' if late.sum() > 1 else ''} in all.", [],
                              "values")],
                      hint or "append a node only after all of its parents are in the list.")
    if order[-1] != root:
        return failed(name, [(f"the root must come last, got {label(int(order[-1]))}.", [], "values")], hint)
    return Verdict(True, f"✓ {name}: {n} node{'s' if n > 1 else ''}, parents first, root last")


COMPARISONS = {"close": close, "path": path, "equal": equal, "differs": differs, "batches": batches, "distinct": distinct,
               "topological": topological}


def compare(comparison, actual, expected, **settings):
    """The verdict of the comparison named ``comparison`` (a key of COMPARISONS)."""
    return COMPARISONS[comparison](actual, expected, **settings)
