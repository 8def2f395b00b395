"""The comparisons that test cells run.

``check_close(actual, expected, ...)`` prints a one-line report when the values agree
and raises :class:`CheckFailed` (an ``AssertionError``) with a readable report when they
do not: what was wrong (nothing returned, wrong shape or dtype, NaN or inf, values too
far apart), the worst relative error and where it happens, the tolerance, and a hint.
When the grader runs the notebook, each check also records its values (trainlab.records).
"""

import linecache
import traceback
from pathlib import Path

import numpy as np

from trainlab.exercises import watch
from trainlab.records import record

watch()  # trainlab.progress() knows which test cells passed in this kernel

# Default tolerances per floating-point precision: (rtol, atol).
TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-4),
    np.dtype(np.float32): (1e-5, 1e-7),
    np.dtype(np.float64): (1e-7, 1e-10),
}


# The expected value of a check whose oracle only the grader knows (a reference solution hidden from
# the kernel it grades, see trainlab.grading): check_close records the student's value and compares nothing.
WITHHELD = object()


class CheckFailed(AssertionError):
    """A test cell's check failed; the message says what and how to fix it.

    IPython shows it as the test cell's line and the message (``_render_traceback_``), without
    the frames of trainlab's code; the cell still gets an error output, which is what nbgrader
    and the grader see.
    """

    def _render_traceback_(self):
        """IPython's traceback lines: where in the test cell the check failed, then the message."""
        lines = [f"\x1b[31m{type(self).__name__}\x1b[0m"]
        for frame, lineno in traceback.walk_tb(self.__traceback__):
            filename = frame.f_code.co_filename
            if Path(filename).resolve().is_relative_to(_PACKAGE):
                continue
            source = linecache.getline(filename, lineno).strip()
            lines.append(f"{_cell_name(filename)}, line {lineno}" + (f":  {source}" if source else ""))
        return [*lines, str(self)]


_PACKAGE = Path(__file__).resolve().parent


def _cell_name(filename):
    """IPython's name for a cell's code ("Cell In[3]"), or the file's name."""
    try:
        from IPython import get_ipython

        name = get_ipython().compile.format_code_name(filename)
    except Exception:  # no IPython, or a plain file
        name = None
    return " ".join(name) if name else f"File {filename}"


def as_numpy(value):
    """Turn a result (numpy array, Python number, torch tensor, list) into a numpy array."""
    if hasattr(value, "detach"):  # a torch tensor; torch itself is not imported here
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def torch_result(fn, *args, **kwargs):
    """Call a torch function on numpy arguments and return its result as numpy.

    ``torch_result(torch.nn.functional.mse_loss, pred, target)`` is the oracle a test
    cell compares with. Arrays become tensors of the same dtype; other arguments pass through.
    """
    import torch

    def to_torch(a):
        return torch.from_numpy(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a

    return as_numpy(fn(*map(to_torch, args), **{k: to_torch(v) for k, v in kwargs.items()}))


def relative_error(actual, expected, floor=0.0):
    """Elementwise |actual - expected| / max(|expected|, floor); the absolute error where that is 0.

    The floor keeps values near zero from looking infinitely wrong: check_close uses atol / rtol.
    """
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        diff = np.where(actual == expected, 0.0, np.abs(actual - expected))  # inf == inf
        scale = np.maximum(np.abs(expected), floor)
        return np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), diff)


def _fail(name, problem, hint, details=(), kind=None):
    """Raise CheckFailed: ``problem``, its details, and the hint for ``kind`` of failure."""
    __tracebackhide__ = True  # pytest shows the test's line, not ours (IPython: _render_traceback_)
    _raise(name, [(problem, details, kind)], hint)


def _raise(name, problems, hint):
    """One CheckFailed for every ``(problem, details, kind)``: each with its details, then the hints."""
    __tracebackhide__ = True
    lines = []
    for number, (problem, details, _) in enumerate(problems):
        lines.append(f"✗ {name}: {problem}" if number == 0 else f"  also: {problem}")
        lines += [f"  {d}" for d in details]
    hints = [_hint_for(hint, kind) for _, _, kind in problems]
    lines += [f"  hint: {h}" for h in dict.fromkeys(h for h in hints if h)]
    raise CheckFailed("\n".join(lines))


# The kinds of failure a hint can be keyed to: check_close(..., hint={"nonfinite": ..., "values": ...}).
HINT_KINDS = ("none", "type", "shape", "dtype", "nonfinite", "values")


def _hint_for(hint, kind):
    """The hint for this kind of failure: a string hint is for every kind, a dict names its kinds."""
    if isinstance(hint, dict):
        unknown = set(hint) - set(HINT_KINDS)
        if unknown:
            raise ValueError(f"hint keys must be among {HINT_KINDS}, got {sorted(unknown)}")
        return hint.get(kind)
    return hint


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


def check_close(actual, expected, *, name="result", oracle="the expected value",
                rtol=None, atol=None, check_dtype=False, hint=None, quiet=False, oracle_uses_student=False,
                inputs=None):
    """Check that ``actual`` equals ``expected`` within a tolerance; report either way.

    actual:   what the student's code returned (array-like of any shape, or a scalar).
    expected: the oracle's answer, same shape, or WITHHELD.
    rtol, atol: pass when every relative error |actual - expected| / max(|expected|, atol / rtol)
        is at most rtol, i.e. atol is the absolute tolerance near zero. By default they follow
        the expected dtype (float64: 1e-7, 1e-10; float32: 1e-5, 1e-7).
    check_dtype: also require actual's dtype to equal expected's (e.g. float32 in, float32 out).
    hint: what usually causes a failure here; shown only when the check fails. A string is shown
        for every failure; a dict keys hints to the failure seen (see HINT_KINDS), e.g.
        ``{"nonfinite": "exp overflowed ...", "values": "check the sign ..."}``.
    inputs: optional dict name -> array of the inputs (same shape as expected, or a scalar), so
        that a failure says where it happens in their terms ("NaN at index (3,) (z = 1000)").
    oracle_uses_student: ``expected`` was computed from other results of the student's code (their
        own mini-batches, their training trajectory); the grader then judges ``actual`` against it
        rather than against the reference solution's run of the same check.

    Every way the values are wrong is reported in one message: the NaN or infinite values (where,
    and what was expected there) and the finite values that differ (the worst, and what they
    have in common).
    """
    __tracebackhide__ = True
    record(actual, expected, name=name, oracle=oracle, rtol=rtol, atol=atol, check_dtype=check_dtype, hint=hint,
           oracle_uses_student=oracle_uses_student)
    if expected is WITHHELD:
        if not quiet:
            print(f"• {name}: handed to the grader, which compares it with {oracle}")
        return
    if actual is None:
        _fail(name, "got None.", hint or "Does your function end with a `return` statement?", kind="none")
    expected, returned = as_numpy(expected), type(actual).__name__
    try:
        actual = as_numpy(actual)
    except Exception as error:  # e.g. a ragged list
        _fail(name, f"could not turn the result into a numpy array ({error}).", hint, kind="type")
    if actual.dtype.kind not in "biuf":
        _fail(name, f"expected numbers, got an array of dtype {actual.dtype} (from a {returned}).", hint, kind="type")
    if actual.shape != expected.shape:
        _fail(name, f"shape {actual.shape}, expected {expected.shape}.", _hint_for(hint, "shape") or
              "Check which axis you reduce over, and whether the result should be a scalar.", kind="shape")
    if check_dtype and actual.dtype != expected.dtype:
        _fail(name, f"dtype {actual.dtype}, expected {expected.dtype}.", _hint_for(hint, "dtype") or
              "Keep the input's precision: avoid mixing in float64 arrays or casting.", kind="dtype")

    default_rtol, default_atol = TOLERANCES.get(expected.dtype, TOLERANCES[np.dtype(np.float64)])
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if not rtol > 0:
        raise ValueError(f"check_close needs rtol > 0, got {rtol}")
    problems = []
    bad = ~np.isfinite(actual) & np.isfinite(expected)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        count = f"{int(bad.sum())} of {actual.size} values are" if actual.size > 1 else "the result is"
        problems.append((f"{count} NaN or infinite{_where(index)}{_at(index, inputs)}: got {actual[index]}, "
                         f"expected {expected[index]:.6g} ({oracle}).",
                         [f"where: {_places(bad, actual, expected, inputs)}"] if bad.sum() > 1 else [], "nonfinite"))

    error = np.nan_to_num(relative_error(actual, expected, floor=atol / rtol), nan=np.inf)
    finite_error = np.where(bad, 0.0, error)
    wrong = finite_error > rtol
    if wrong.any():
        index = tuple(int(i) for i in np.unravel_index(np.argmax(finite_error), error.shape))
        worst = finite_error[index]
        others = " other" if bad.any() else ""
        details = [f"worst relative error {worst:.1e}{_where(index)}{_at(index, inputs)}: got {actual[index]:.8g}, "
                   f"expected {expected[index]:.8g}"]
        if wrong.sum() > 1:
            details.append(f"where: {_places(wrong, actual, expected, inputs)}")
        pattern = _looks_like(actual, expected, wrong)
        if pattern:
            details.append(f"they look like this: {pattern}")
        details.append(f"tolerance: relative error <= {rtol:g}, absolute error <= {atol:g} near zero")
        problems.append((f"{int(wrong.sum())} of {actual.size}{others} values differ from {oracle}.", details,
                         "values"))
    if problems:
        _raise(name, problems, hint)
    if not quiet:
        worst = error.max() if error.size else 0.0
        detail = "exactly" if worst == 0 else f"worst relative error {worst:.1e} (tolerance {rtol:g})"
        print(f"✓ {name} matches {oracle}: {detail}")


def check_update(update, optimizer_class, config, *, steps=150, lrs=None, seed=0, hint=None, **options):
    """Check an optimizer ``update(w, dw, config) -> (w, config)`` step for step against torch.

    Both run ``steps`` updates from the same start on a random problem (a quadratic bowl plus
    a tanh ripple, weights of shape (4, 3)) with the hyperparameters in ``config`` and, when
    given, one learning rate per step ``lrs``; ``update`` gets the gradients along torch's path
    (see trajectories.follow). check_close compares the two paths, shape (steps + 1, 4, 3):
    the index of the worst error says at which step they part. ``options`` go to the torch
    optimizer (e.g. ``nesterov=True``). ``hint`` is a text, or a function
    of that step returning one (mistakes show at different steps: a missing bias correction at 1).
    """
    __tracebackhide__ = True
    from trainlab.trajectories import follow, torch_update

    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    curvature = basis @ np.diag(np.geomspace(0.2, 5.0, 4)) @ basis.T
    target = rng.normal(size=(4, 3))

    def grad(w):
        return curvature @ (w - target) + 0.5 * np.tanh(3 * w)

    w0 = rng.normal(size=(4, 3))
    name = getattr(update, "__name__", "update")
    expected = follow(torch_update(optimizer_class, **options), grad, w0, steps, config, lrs)
    oracle = f"torch.optim.{optimizer_class.__name__}" + (
        f"({', '.join(f'{k}={v}' for k, v in options.items())})" if options else "")
    actual = follow(update, grad, w0, steps, config, lrs, along=expected)
    keyed = callable(hint)
    try:
        check_close(actual, expected, name=f"{name}, {steps} steps with {_settings(config)}",
                    oracle=oracle, hint=None if keyed else hint)
    except CheckFailed as failure:
        if np.shape(actual) != expected.shape:
            raise
        error = np.nan_to_num(relative_error(actual, expected, floor=1e-3), nan=np.inf)
        step = int(np.argmax(error.reshape(len(error), -1).max(axis=1) > 1e-7))
        message = f"{failure}\n  the paths part at step {step} (an index above reads (step, row, column))"
        raise CheckFailed(message + (f"\n  hint: {hint(step)}" if keyed else "")) from None


def _settings(config):
    return ", ".join(f"{key}={value:g}" for key, value in config.items())
