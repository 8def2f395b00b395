"""The chapter 2 reference solution, which grades every student, agrees with torch and exact answers.

Hypothesis draws data sets, weights, Hessians, steps and batch sizes; torch (autograd in float64,
torch.optim.SGD, torch.linalg) is the oracle, and where an answer is known exactly (the finite
differences of a cubic, the label of a Hessian built from chosen eigenvalues, the batches of a
seeded permutation) the test compares with that.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from trainlab.checks import check_close
from trainlab.grading import reference
from trainlab.trajectories import follow, torch_update

FAST = settings(max_examples=40, deadline=None)
moderate = st.floats(-3, 3, allow_subnormal=False)


def ref(name):
    return reference("02_gradient_descent", name)


def t(a):
    """The oracle's input: float64 tensors, so that float32 cases meet an exact answer."""
    a = np.asarray(a)
    return torch.from_numpy(a.astype(np.float64) if a.dtype.kind == "f" else a)


def autograd(loss, w, *args):
    """d loss(w, *args) / dw by torch.autograd, in float64."""
    w = t(w).clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss(w, *map(t, args)), w)
    return grad.numpy()


@st.composite
def regression(draw, dtype=np.float64, labels=False):
    """X (N, D), y (N,), w (D,): N from 1 to 20, D from 1 to 6."""
    n, d = draw(st.integers(1, 20)), draw(st.integers(1, 6))
    width = 8 * np.dtype(dtype).itemsize
    X = draw(hnp.arrays(dtype, (n, d), elements=st.floats(-3, 3, width=width)))
    w = draw(hnp.arrays(dtype, (d,), elements=st.floats(-3, 3, width=width)))
    y = draw(hnp.arrays(dtype, (n,), elements=st.floats(0, 1, width=width) if labels
                        else st.floats(-10, 10, width=width)))
    return X, y, w


def float32_atol(X, errors):
    """An absolute tolerance for a float32 sum X.T @ errors / N: rounding scales with |X|.T @ |errors|."""
    X, errors = np.asarray(X, np.float64), np.asarray(errors, np.float64)
    return 1e-5 * float(np.max(np.abs(X).T @ np.abs(errors), initial=0.0)) / len(errors) + 1e-7


# ----------------------------------------------------------------------------------------------
@FAST
@given(st.sampled_from([np.float64, np.float32]), hnp.array_shapes(max_dims=3, max_side=5), st.data(),
       st.floats(0, 10))
def test_gradient_step_is_one_step_of_torch_sgd_and_leaves_w_alone(dtype, shape, data, lr):
    w = data.draw(hnp.arrays(dtype, shape, elements=moderate.map(dtype)))
    dw = data.draw(hnp.arrays(dtype, shape, elements=moderate.map(dtype)))
    w_before, config = w.copy(), {"lr": lr}
    new_w, new_config = ref("gradient_step")(w, dw, config)
    expected, _ = torch_update(torch.optim.SGD)(w, dw, {"lr": lr})
    check_close(new_w, expected.astype(dtype), name="gradient_step", quiet=True)
    assert np.array_equal(w, w_before) and new_config["lr"] == lr


def test_gradient_step_follows_torch_sgd_for_many_steps():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(5, 5))
    A, b = M @ M.T / 5 + np.eye(5), rng.normal(size=5)
    path = follow(ref("gradient_step"), lambda w: A @ w - b, np.zeros(5), 300, {"lr": 0.2})
    check_close(path, follow(torch_update(torch.optim.SGD), lambda w: A @ w - b, np.zeros(5), 300, {"lr": 0.2}),
                name="gradient_step path", quiet=True)
    check_close(path[-1], np.linalg.solve(A, b), name="converges to the minimiser", rtol=1e-6, quiet=True)


# ----------------------------------------------------------------------------------------------
@FAST
@given(regression())
def test_mse_gradient_matches_autograd(data):
    X, y, w = data
    check_close(ref("mse_gradient")(X, y, w), autograd(lambda w, X, y: F.mse_loss(X @ w, y), w, X, y),
                name="mse_gradient", atol=1e-9, quiet=True)


@FAST
@given(regression(np.float32))
def test_mse_gradient_keeps_float32_and_matches_autograd(data):
    X, y, w = data
    result = ref("mse_gradient")(X, y, w)
    assert result.dtype == np.float32
    residual = X.astype(np.float64) @ w.astype(np.float64) - y
    check_close(result, autograd(lambda w, X, y: F.mse_loss(X @ w, y), w, X, y).astype(np.float32),
                name="mse_gradient", rtol=1e-4, atol=2 * float32_atol(X, residual), quiet=True)


@FAST
@given(regression(labels=True), st.floats(1, 300))
def test_bce_gradient_matches_autograd_up_to_large_logits(data, scale):
    X, y, w = data
    w = w * scale  # logits up to about 3 * 3 * 6 * 300 = 16200
    oracle = autograd(lambda w, X, y: F.binary_cross_entropy_with_logits(X @ w, y), w, X, y)
    check_close(ref("bce_gradient")(X, y, w), oracle, name="bce_gradient", atol=1e-9, quiet=True)


@FAST
@given(regression(np.float32, labels=True))
def test_bce_gradient_of_float32_inputs_matches_autograd(data):
    X, y, w = data
    oracle = autograd(lambda w, X, y: F.binary_cross_entropy_with_logits(X @ w, y), w, X, y)
    check_close(ref("bce_gradient")(X, y, w), oracle.astype(np.float32), name="bce_gradient", rtol=1e-4,
                atol=2 * float32_atol(X, np.ones(len(y))), quiet=True)


def test_gradients_vanish_at_the_minimisers():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    assert np.linalg.norm(ref("mse_gradient")(X, y, w_star)) < 1e-12
    X, labels = rng.normal(size=(40, 3)), rng.integers(0, 2, size=40).astype(float)
    # the weights whose sigmoid outputs equal soft labels make the BCE gradient vanish
    w = rng.normal(size=3)
    assert np.linalg.norm(ref("bce_gradient")(X, 1 / (1 + np.exp(-X @ w)), w)) < 1e-12
    assert np.linalg.norm(ref("bce_gradient")(X, labels, w)) > 1e-3


# ----------------------------------------------------------------------------------------------
@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4), elements=moderate),
       st.integers(1, 12))
def test_finite_differences_of_a_cubic_are_the_exact_quotients(x, k):
    """For sum(x**3): forward = 3x^2 + 3xh + h^2, central = 3x^2 + h^2 (no higher terms)."""
    h = 2.0**-k
    cube = lambda v: np.sum(v**3)
    roundoff = 8 * np.finfo(float).eps * (1 + np.sum(np.abs(x) + h) ** 3) / h
    for method, exact in (("forward", 3 * x**2 + 3 * x * h + h**2), ("central", 3 * x**2 + h**2)):
        check_close(ref("numerical_gradient")(cube, x, h, method), exact, name=method, rtol=1e-12,
                    atol=roundoff, quiet=True)


@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=3), elements=st.floats(-2, 2)))
def test_central_differences_match_autograd_and_leave_x_alone(x):
    x_before = x.copy()
    grad = ref("numerical_gradient")(lambda v: np.sum(np.sin(v) * v**2), x, 1e-5)
    assert np.array_equal(x, x_before) and grad.dtype == np.float64 and grad.shape == x.shape
    check_close(grad, autograd(lambda v: torch.sum(torch.sin(v) * v**2), x), name="central", rtol=1e-7,
                atol=1e-8, quiet=True)
    forward = ref("numerical_gradient")(lambda v: np.sum(np.sin(v) * v**2), x, 1e-7, "forward")
    check_close(forward, grad, name="forward", rtol=1e-5, atol=1e-5, quiet=True)


def test_finite_differences_accept_integer_input_and_reject_unknown_methods():
    grad = ref("numerical_gradient")(lambda v: np.sum(v**2), np.array([1, 2, 3]), 0.25)
    check_close(grad, [2.0, 4.0, 6.0], name="integer x", quiet=True)
    with pytest.raises(ValueError):
        ref("numerical_gradient")(np.sum, np.ones(2), 1e-3, "backward")


def test_the_best_steps_are_near_the_roots_of_epsilon():
    """The error of d/dx sin at 1 is smallest near eps**(1/2) (forward) and eps**(1/3) (central)."""
    steps = np.logspace(-14, -1, 131)
    eps = np.finfo(float).eps
    for method, power, best_error in (("forward", 1 / 2, 1e-7), ("central", 1 / 3, 1e-9)):
        errors = [abs(ref("numerical_gradient")(lambda v: np.sin(v[0]), np.array([1.0]), h, method)[0] - np.cos(1))
                  for h in steps]
        assert abs(np.log10(steps[np.argmin(errors)]) - np.log10(eps**power)) < 1.5
        assert min(errors) < best_error


# ----------------------------------------------------------------------------------------------
@FAST
@given(st.lists(st.sampled_from([-1.0, 0.0, 1.0]), min_size=1, max_size=5), st.data())
def test_classify_stationary_point_reads_the_signs_of_the_eigenvalues(signs, data):
    magnitudes = data.draw(st.lists(st.floats(1e-3, 1e3), min_size=len(signs), max_size=len(signs)))
    eigenvalues = np.array(signs) * np.array(magnitudes)
    q, _ = np.linalg.qr(np.random.default_rng(len(signs)).normal(size=(len(signs), len(signs))))
    hessian = q @ np.diag(eigenvalues) @ q.T
    hessian = (hessian + hessian.T) / 2
    if min(signs) < 0 < max(signs):
        expected = "saddle"
    elif min(signs) > 0:
        expected = "minimum"
    elif max(signs) < 0:
        expected = "maximum"
    else:
        expected = "degenerate"
    assert ref("classify_stationary_point")(hessian) == expected


def test_classify_stationary_point_on_torch_hessians():
    def hessian(f, point):
        return torch.autograd.functional.hessian(f, torch.tensor(point, dtype=torch.float64)).numpy()

    rosenbrock = lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2
    beale = lambda v: ((1.5 - v[0] + v[0] * v[1]) ** 2 + (2.25 - v[0] + v[0] * v[1] ** 2) ** 2
                       + (2.625 - v[0] + v[0] * v[1] ** 3) ** 2)
    classify = ref("classify_stationary_point")
    assert classify(hessian(rosenbrock, [1.0, 1.0])) == "minimum"
    assert classify(hessian(beale, [3.0, 0.5])) == "minimum"
    assert classify(hessian(lambda v: v[0] * v[1], [0.0, 0.0])) == "saddle"
    assert classify(hessian(lambda v: -torch.cos(v[0]) - torch.cos(v[1]), [np.pi, np.pi])) == "maximum"
    assert classify(hessian(lambda v: v[0] ** 3 - 3 * v[0] * v[1] ** 2, [0.0, 0.0])) == "degenerate"
    assert classify(np.diag([1e-12, 1.0])) == "degenerate"
    assert classify(np.diag([1e-3, 1.0]), tol=1e-2) == "degenerate"


# ----------------------------------------------------------------------------------------------
@FAST
@given(st.integers(1, 60), st.integers(1, 70), st.integers(0, 2**32 - 1))
def test_minibatches_cut_one_seeded_permutation_in_order(n, batch_size, seed):
    rng = np.random.default_rng(seed)
    epoch_1, epoch_2 = ref("minibatches")(n, batch_size, rng), ref("minibatches")(n, batch_size, rng)
    replay = np.random.default_rng(seed)
    for epoch in (epoch_1, epoch_2):
        assert [len(b) for b in epoch] == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
        assert all(np.issubdtype(b.dtype, np.integer) for b in epoch)
        assert np.array_equal(np.concatenate(epoch), replay.permutation(n))


@FAST
@given(st.integers(2, 30), st.integers(1, 4), st.integers(1, 35), st.integers(0, 3), st.floats(0.05, 0.9),
       st.integers(0, 1000))
def test_train_matches_a_torch_loop_on_the_same_batches(n, d, batch_size, epochs, lr_fraction, seed):
    rng = np.random.default_rng(seed)
    X, y, w0 = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d)
    lr = lr_fraction / np.max(np.sum(X**2, axis=1))  # below 1 / |x_i|^2: stable even for batches of one
    mse = lambda X, y, w: np.mean((X @ w - y) ** 2)
    w, losses = ref("train")(ref("mse_gradient"), mse, w0, X, y, lr, epochs, batch_size, np.random.default_rng(seed))

    wt = torch.tensor(w0, requires_grad=True)
    optimizer = torch.optim.SGD([wt], lr=lr)
    Xt, yt, batches = torch.from_numpy(X), torch.from_numpy(y), np.random.default_rng(seed)
    expected = [F.mse_loss(Xt @ wt, yt).item()]
    for _ in range(epochs):
        for batch in np.array_split(batches.permutation(n), np.arange(batch_size, n, batch_size)):
            optimizer.zero_grad()
            F.mse_loss(Xt[batch] @ wt, yt[batch]).backward()
            optimizer.step()
        expected.append(F.mse_loss(Xt @ wt, yt).item())
    assert len(losses) == epochs + 1
    check_close(losses, expected, name="train losses", quiet=True)
    check_close(w, wt.detach().numpy(), name="train weights", quiet=True)


def test_train_covers_batch_gd_and_sgd_and_reaches_least_squares():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    mse = lambda X, y, w: np.mean((X @ w - y) ** 2)
    best = mse(X, y, np.linalg.lstsq(X, y, rcond=None)[0])
    for batch_size, epochs, lr in ((50, 300, 0.05), (10, 100, 0.02), (1, 50, 0.002)):  # less noise: smaller lr
        _, losses = ref("train")(ref("mse_gradient"), mse, np.zeros(3), X, y, lr, epochs, batch_size,
                                 np.random.default_rng(0))
        assert losses[-1] < 1.05 * best and losses[-1] < losses[0]


# ----------------------------------------------------------------------------------------------
@FAST
@given(st.integers(1, 8), st.floats(1e-3, 1e3), st.integers(0, 1000))
def test_largest_stable_lr_is_two_over_the_top_eigenvalue_and_divides_convergence(d, scale, seed):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(d, d))
    H = scale * (M @ M.T + 0.1 * np.eye(d))
    lr = ref("largest_stable_lr")(lambda v: H @ v, d)
    # power iteration: the Rayleigh quotient's error is at most about (1 - r) r^(2k) of the top eigenvalue,
    # r = lambda_2 / lambda_1 and k = 500 products, below 4e-4 whatever the gap
    check_close(lr, 2 / torch.linalg.eigvalsh(torch.from_numpy(H)).max().item(), name="largest_stable_lr",
                rtol=1e-3, quiet=True)
    top = np.linalg.eigh(H)[1][:, -1]
    for factor, converges in ((0.98, True), (1.02, False)):
        path = follow(ref("gradient_step"), lambda w: H @ w, top, 400, {"lr": factor * lr})
        assert (np.linalg.norm(path[-1]) < np.linalg.norm(top)) == converges


def test_largest_stable_lr_of_the_quiz_quadratic():
    H = np.array([[3.0, 1.0], [1.0, 3.0]])
    check_close(ref("largest_stable_lr")(lambda v: H @ v, 2), 0.5, name="quiz", quiet=True)


def test_largest_stable_lr_needs_only_products_with_the_hessian():
    calls = []
    def product(v):
        calls.append(v.shape)
        return np.array([1.0, 4.0, 10.0]) * v
    check_close(ref("largest_stable_lr")(product, 3, iterations=50), 0.2, name="largest_stable_lr", quiet=True)
    assert calls == [(3,)] * 50
