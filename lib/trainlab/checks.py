"""The checks that test cells run, and the deferred oracles they compare with.

A check names the student's result, the expected value as a *deferred* computation (``oracle(fn, *args)``
or ``torch_result(torch_fn, *args)``) and a comparison of trainlab.verdicts (``close`` by default):

    check_close(mse(pred, target), torch_result(F.mse_loss, pred, target), name="mse", oracle="F.mse_loss")
    check_equal(prefix_lengths, oracle(lambda: list(range(len(tokens)))), name="the prefixes' lengths")

In the student's own JupyterLab (and in pytest, and in the grader's run of the instructor notebook) the
oracle is evaluated, the comparison run, and the check prints its ✓ line or raises :class:`CheckFailed`
with the ✗ report: what was wrong (nothing returned, wrong shape or dtype, NaN or inf, values too far
apart, and where), the tolerance, and a hint. In a student's kernel the grader runs, the oracle is never
evaluated (the expected value does not exist there): the check records the student's value as data
(trainlab.records) and the grader judges it outside the kernel, with the same comparison.
"""

import linecache
import traceback
from pathlib import Path

import numpy as np

from trainlab import records, verdicts
from trainlab.exercises import watch
from trainlab.verdicts import HINT_KINDS, TOLERANCES  # noqa: F401  (re-exported: what test cells may key)

watch()  # trainlab.progress() knows which test cells passed in this kernel


class Deferred:
    """An expected value not computed yet: ``fn(*args, **kwargs)``, evaluated only where no grader watches."""

    def __init__(self, fn, args=(), kwargs=None):
        self.fn, self.args, self.kwargs = fn, args, kwargs or {}

    def evaluate(self):
        return self.fn(*self.args, **self.kwargs)


class _Withheld(Deferred):
    """What an oracle is in a graded kernel: nothing, the grader's own run knows the value."""

    def __init__(self):
        super().__init__(None)

    def evaluate(self):
        raise RuntimeError("the expected value is the grader's: it is never computed in a graded kernel")

    def __repr__(self):
        return "WITHHELD"


WITHHELD = _Withheld()


def oracle(fn, *args, **kwargs):
    """The expected value ``fn(*args, **kwargs)``, deferred: ``oracle(np.zeros, 6)``, ``oracle(lambda: [0, 1])``."""
    return WITHHELD if records.graded() else Deferred(fn, args, kwargs)


def evaluate(expected):
    """The value of a deferred oracle (a plain value as it is: tests of the library pass those)."""
    return expected.evaluate() if isinstance(expected, Deferred) else expected


def as_numpy(value):
    """Turn a result (numpy array, Python number, torch tensor, list) into a numpy array."""
    if hasattr(value, "detach"):  # a torch tensor; torch itself is not imported here
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def torch_call(fn, *args, **kwargs):
    """Call a torch function on numpy arguments now and return its result as numpy.

    Arrays become tensors of the same dtype; other arguments pass through. For what a test gives
    the student's code (a gradient function); an expected value is ``torch_result``, deferred.
    """
    import torch

    def to_torch(a):
        return torch.from_numpy(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a

    return as_numpy(fn(*map(to_torch, args), **{k: to_torch(v) for k, v in kwargs.items()}))


def torch_result(fn, *args, **kwargs):
    """The oracle ``fn(*args, **kwargs)`` of a torch function on numpy arguments, as numpy, deferred.

    ``torch_result(torch.nn.functional.mse_loss, pred, target)`` is what a test cell compares with.
    """
    return oracle(torch_call, fn, *args, **kwargs)


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


def _settings_entry(settings):
    """The settings as JSON: arrays of ``inputs`` as records' data."""
    entry = dict(settings)
    if entry.get("inputs") is not None:
        entry["inputs"] = {key: records.encode(np.asarray(value)) for key, value in entry["inputs"].items()}
    return entry


def settings_of(entry):
    """The settings of a reference record, as the comparison takes them (see _settings_entry)."""
    settings = dict(entry)
    if settings.get("inputs") is not None:
        settings["inputs"] = {key: records.decode(value) for key, value in settings["inputs"].items()}
    return settings


def check(actual, expected=None, *, comparison="close", name="result", oracle="the expected value", quiet=False,
          **settings):
    """Compare ``actual`` with the deferred ``expected`` by ``comparison`` (a name in trainlab.verdicts).

    Prints the ✓ line or raises CheckFailed with the ✗ report. In a graded kernel it records the
    student's value only (see the module's docstring). ``settings`` go to the comparison (rtol,
    atol, scale, check_dtype, hint, inputs for ``close``; hint for the others).
    """
    __tracebackhide__ = True
    if comparison not in verdicts.COMPARISONS:
        raise ValueError(f"unknown comparison {comparison!r}: one of {sorted(verdicts.COMPARISONS)}")
    if records.graded():
        entry = {"name": name, "value": records.encode(actual)}  # first, before anything else runs
        records.write(entry)
        if not quiet:
            print(f"• {name}: handed to the grader, which compares it with {oracle}")
        return
    expected = evaluate(expected)
    if comparison in ("close", "path"):  # torch tensors (and a torch.Size) as numpy arrays
        actual = as_numpy(actual) if hasattr(actual, "detach") else actual
        expected = as_numpy(expected)
    verdict = verdicts.compare(comparison, actual, expected, name=name, oracle=oracle, **settings)
    if records.reference_run():
        records.write({"name": name, "value": records.encode(actual), "expected": records.encode(expected),
                       "comparison": comparison, "oracle": oracle, "settings": _settings_entry(settings)})
    if not verdict.ok:
        raise CheckFailed(verdict.message)
    if not quiet:
        print(verdict.message)


def check_close(actual, expected, *, name="result", oracle="the expected value", rtol=None, atol=None, scale=1.0,
                check_dtype=False, hint=None, quiet=False, inputs=None):
    """Check that ``actual`` equals the oracle ``expected`` within a tolerance (trainlab.verdicts.close).

    actual:   what the student's code returned (array-like of any shape, a scalar, a torch tensor).
    expected: the oracle, deferred: ``torch_result(...)`` or ``oracle(...)``.
    rtol, atol: pass when |actual - expected| <= atol + rtol * |expected| everywhere; by default
        those of the dtype ``actual`` has (torch.testing's). scale: atol's multiplier, the inputs'
        magnitude where rounding grows with it.
    check_dtype: also require actual's dtype to equal expected's (e.g. float32 in, float32 out).
    hint: what usually causes a failure here; a string, or a dict keyed by HINT_KINDS.
    inputs: optional dict name -> array of the inputs (same shape as expected), so that a failure
        says where it happens in their terms ("NaN at index (3,) (z = 1000)").
    """
    __tracebackhide__ = True
    check(actual, expected, comparison="close", name=name, oracle=oracle, quiet=quiet,
          rtol=rtol, atol=atol, scale=scale, check_dtype=check_dtype,
          hint=hint, inputs=inputs)


def check_equal(actual, expected, *, name="result", oracle="the expected value", hint=None, quiet=False):
    """Check that ``actual`` is exactly the oracle ``expected`` (ints, strings, lists, orders)."""
    __tracebackhide__ = True
    check(actual, expected, comparison="equal", name=name, oracle=oracle, quiet=quiet, hint=hint)


def check_update(update, optimizer_class, config, *, steps=150, lrs=None, seed=0, hint=None, quiet=False, **options):
    """Check an optimizer ``update(w, dw, config) -> (w, config)`` step for step against torch.

    Both run ``steps`` updates from the same start on a random problem (a quadratic bowl plus
    a tanh ripple, weights of shape (4, 3)) with the hyperparameters in ``config`` and, when
    given, one learning rate per step ``lrs``. Each gets, at step t, the gradient at the same point
    ``trajectories.glide(w0, steps, target)[t - 1]`` (gliding from the start to the bowl's centre), so
    rounding cannot grow from step to step, and nothing of torch's path is needed to run the student's.
    The comparison ``path`` (trainlab.verdicts) says at which step the two paths part. ``options``
    go to the torch optimizer (e.g. ``nesterov=True``). ``hint`` is a text, or a function of that
    step returning one (mistakes show at different steps: a missing bias correction at 1).
    """
    __tracebackhide__ = True
    from trainlab.trajectories import follow, glide, torch_update

    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    curvature = basis @ np.diag(np.geomspace(0.2, 5.0, 4)) @ basis.T
    target = rng.normal(size=(4, 3))

    def grad(w):
        return curvature @ (w - target) + 0.5 * np.tanh(3 * w)

    w0 = rng.normal(size=(4, 3))
    along = glide(w0, steps, target)
    name = getattr(update, "__name__", "update")
    actual = follow(update, grad, w0, steps, config, lrs, along=along)
    expected = oracle(follow, torch_update(optimizer_class, **options), grad, w0, steps, config, lrs, along=along)
    described = f"torch.optim.{optimizer_class.__name__}" + (
        f"({', '.join(f'{k}={v}' for k, v in options.items())})" if options else "")
    step_hints = [hint(step) for step in range(steps + 1)] if callable(hint) else None
    check(actual, expected, comparison="path", name=f"{name}, {steps} steps with {_settings(config)}",
          oracle=described, hint=None if callable(hint) else hint, step_hints=step_hints, quiet=quiet)


def _settings(config):
    return ", ".join(f"{key}={value:g}" for key, value in config.items())
