"""The comparisons that test cells run.

``check_close(actual, expected, ...)`` prints a one-line report when the values agree
and raises :class:`CheckFailed` (an ``AssertionError``) with a readable report when they
do not: what was wrong (nothing returned, wrong shape or dtype, NaN or inf, values too
far apart), the worst relative error and where it happens, the tolerance, and a hint.
When the grader runs the notebook, each check also records its values (trainlab.records).
"""

import numpy as np

from trainlab.records import record

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
    """A test cell's check failed; the message says what and how to fix it."""


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


def _fail(name, problem, hint, details=()):
    __tracebackhide__ = True  # IPython and pytest show the test cell's line, not ours
    lines = [f"✗ {name}: {problem}", *(f"  {d}" for d in details)]
    if hint:
        lines.append(f"  hint: {hint}")
    raise CheckFailed("\n".join(lines))


def _where(index):
    return f" at index {index}" if index else ""


def check_close(actual, expected, *, name="result", oracle="the expected value",
                rtol=None, atol=None, check_dtype=False, hint=None, quiet=False, oracle_uses_student=False):
    """Check that ``actual`` equals ``expected`` within a tolerance; report either way.

    actual:   what the student's code returned (array-like of any shape, or a scalar).
    expected: the oracle's answer, same shape, or WITHHELD.
    rtol, atol: pass when every relative error |actual - expected| / max(|expected|, atol / rtol)
        is at most rtol, i.e. atol is the absolute tolerance near zero. By default they follow
        the expected dtype (float64: 1e-7, 1e-10; float32: 1e-5, 1e-7).
    check_dtype: also require actual's dtype to equal expected's (e.g. float32 in, float32 out).
    hint: what usually causes a failure here; shown only when the check fails.
    oracle_uses_student: ``expected`` was computed from other results of the student's code (their
        own mini-batches, their training trajectory); the grader then judges ``actual`` against it
        rather than against the reference solution's run of the same check.
    """
    __tracebackhide__ = True
    record(actual, expected, name=name, oracle=oracle, rtol=rtol, atol=atol, check_dtype=check_dtype, hint=hint,
           oracle_uses_student=oracle_uses_student)
    if expected is WITHHELD:
        if not quiet:
            print(f"• {name}: handed to the grader, which compares it with {oracle}")
        return
    if actual is None:
        _fail(name, "got None.", hint or "Does your function end with a `return` statement?")
    expected, returned = as_numpy(expected), type(actual).__name__
    try:
        actual = as_numpy(actual)
    except Exception as error:  # e.g. a ragged list
        _fail(name, f"could not turn the result into a numpy array ({error}).", hint)
    if actual.dtype.kind not in "biuf":
        _fail(name, f"expected numbers, got an array of dtype {actual.dtype} (from a {returned}).", hint)
    if actual.shape != expected.shape:
        _fail(name, f"shape {actual.shape}, expected {expected.shape}.", hint or
              "Check which axis you reduce over, and whether the result should be a scalar.")
    if check_dtype and actual.dtype != expected.dtype:
        _fail(name, f"dtype {actual.dtype}, expected {expected.dtype}.", hint or
              "Keep the input's precision: avoid mixing in float64 arrays or casting.")

    default_rtol, default_atol = TOLERANCES.get(expected.dtype, TOLERANCES[np.dtype(np.float64)])
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if not rtol > 0:
        raise ValueError(f"check_close needs rtol > 0, got {rtol}")
    bad = ~np.isfinite(actual) & np.isfinite(expected)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        count = f"{int(bad.sum())} of {actual.size} values are" if actual.size > 1 else "the result is"
        _fail(name, f"{count} NaN or infinite{_where(index)}: got {actual[index]}, "
                    f"expected {expected[index]:.6g} ({oracle}).", hint)

    error = np.nan_to_num(relative_error(actual, expected, floor=atol / rtol), nan=np.inf)
    index = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape)) if error.size else ()
    worst = error[index] if error.size else 0.0
    failing = int((error > rtol).sum())
    if failing:
        _fail(name, f"{failing} of {actual.size} values differ from {oracle}.", hint,
              [f"worst relative error {worst:.1e}{_where(index)}: got {actual[index]:.8g}, "
               f"expected {expected[index]:.8g}",
               f"tolerance: relative error <= {rtol:g}, absolute error <= {atol:g} near zero"])
    if not quiet:
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
