"""The chapter 5 reference solution, which grades every student, agrees with torch everywhere.

Hypothesis draws batch shapes, offsets, scales, eps and momentum; the reference batch norm, layer
norm and RMSNorm (forward, running statistics, evaluation mode, the backward passes) run side by side
with torch.nn.BatchNorm1d, torch.nn.LayerNorm, torch.nn.RMSNorm and torch.nn.functional in float64, and the
gradients also against central differences.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from trainlab.checks import check_close
from trainlab.gradcheck import numerical_gradient
from trainlab.grading import reference

FAST = settings(max_examples=40, deadline=None)
TIGHT = {"rtol": 1e-9, "atol": 1e-12, "quiet": True}


def ref(name):
    return reference("05_normalization", name)


@st.composite
def batches(draw, min_n=2, max_n=40, max_d=12):
    """(x, gamma, beta, dout, eps): features with their own offsets and scales, from a drawn seed."""
    n, d = draw(st.integers(min_n, max_n)), draw(st.integers(1, max_d))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    offset, scale = draw(st.floats(-100, 100)), draw(st.floats(1e-2, 1e2))
    x = offset + scale * rng.uniform(0.1, 3, size=d) * rng.normal(size=(n, d))
    eps = draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    return x, rng.normal(size=d), rng.normal(size=d), rng.normal(size=(n, d)), eps


def torch_layer(layer, x, gamma, beta, dout):
    """Output and gradients (dx, dgamma, dbeta) of sum(out * dout) through a torch layer."""
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(gamma))
        layer.bias.copy_(torch.from_numpy(beta))
    x = torch.tensor(x, requires_grad=True)
    out = layer(x)
    out.backward(torch.from_numpy(dout))
    return [t.detach().numpy() for t in (out, x.grad, layer.weight.grad, layer.bias.grad)]


@FAST
@given(batches())
def test_batchnorm_training_mode_matches_torch_output_gradients_and_running_statistics(batch):
    x, gamma, beta, dout, eps = batch
    bn_param = {"mode": "train", "eps": eps, "momentum": 0.3}
    out, cache = ref("batchnorm_forward")(x, gamma, beta, bn_param)
    layer = torch.nn.BatchNorm1d(x.shape[1], eps=eps, momentum=0.3, dtype=torch.float64)
    expected = torch_layer(layer, x, gamma, beta, dout)
    check_close(out, expected[0], name="out", **TIGHT)
    for backward in ("batchnorm_backward", "batchnorm_backward_closed_form"):
        for name, actual, wanted in zip(("dx", "dgamma", "dbeta"), ref(backward)(dout, cache), expected[1:]):
            check_close(actual, wanted, name=f"{backward}: {name}", rtol=1e-8, atol=1e-10, quiet=True)
    check_close(bn_param["running_mean"], layer.running_mean, name="running_mean", **TIGHT)
    check_close(bn_param["running_var"], layer.running_var, name="running_var", **TIGHT)


def running_statistics(bn_param):
    return {key: bn_param[key].copy() for key in ("running_mean", "running_var") if key in bn_param}


@FAST
@given(batches(), st.lists(st.sampled_from(["train", "eval"]), min_size=1, max_size=6),
       st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_batchnorm_running_statistics_and_eval_mode_follow_torch_over_many_steps(batch, modes, momentum, seed):
    _, gamma, beta, _, eps = batch
    d, rng = len(gamma), np.random.default_rng(seed)
    layer = torch.nn.BatchNorm1d(d, eps=eps, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(gamma))
        layer.bias.copy_(torch.from_numpy(beta))
    bn_param = {"eps": eps, "momentum": momentum}
    for step, mode in enumerate(modes):
        x = rng.normal(rng.normal(0, 5, size=d), rng.uniform(0.1, 5, size=d), size=(rng.integers(2, 9), d))
        layer.train(mode == "train")
        bn_param["mode"] = mode
        before = running_statistics(bn_param)
        out, _ = ref("batchnorm_forward")(x, gamma, beta, bn_param)
        with torch.no_grad():
            check_close(out, layer(torch.from_numpy(x)), name=f"step {step} ({mode})", **TIGHT)
        if mode == "eval":  # reads the running statistics, changes nothing
            after = running_statistics(bn_param)
            assert after.keys() == before.keys()
            assert all(np.array_equal(after[key], before[key]) for key in after)
    check_close(bn_param.get("running_mean", np.zeros(d)), layer.running_mean, name="running_mean", **TIGHT)
    check_close(bn_param.get("running_var", np.ones(d)), layer.running_var, name="running_var", **TIGHT)


@FAST
@given(batches())
def test_batchnorm_matches_torch_functional_and_standardises_every_column(batch):
    x, gamma, beta, _, eps = batch
    out, _ = ref("batchnorm_forward")(x, gamma, beta, {"mode": "train", "eps": eps})
    expected = F.batch_norm(torch.from_numpy(x), None, None, torch.from_numpy(gamma), torch.from_numpy(beta),
                            training=True, eps=eps)
    check_close(out, expected, name="F.batch_norm", **TIGHT)
    var = x.var(axis=0)
    check_close(out.mean(axis=0), beta, name="column means", rtol=1e-9, atol=1e-9, quiet=True)
    check_close(out.std(axis=0), np.abs(gamma) * np.sqrt(var / (var + eps)), name="column spreads",
                rtol=1e-8, atol=1e-12, quiet=True)


@FAST
@given(batches(min_n=1, max_d=24))
def test_layernorm_matches_torch_module_functional_and_gradients(batch):
    x, gamma, beta, dout, eps = batch
    out, cache = ref("layernorm_forward")(x, gamma, beta, {"eps": eps})
    expected = torch_layer(torch.nn.LayerNorm(x.shape[1], eps=eps, dtype=torch.float64), x, gamma, beta, dout)
    check_close(out, expected[0], name="out", **TIGHT)
    functional = F.layer_norm(torch.from_numpy(x), x.shape[1:], torch.from_numpy(gamma), torch.from_numpy(beta),
                              eps=eps)
    check_close(out, functional, name="F.layer_norm", **TIGHT)
    for name, actual, wanted in zip(("dx", "dgamma", "dbeta"), ref("layernorm_backward")(dout, cache), expected[1:]):
        check_close(actual, wanted, name=name, rtol=1e-8, atol=1e-10, quiet=True)


@FAST
@given(batches(min_n=1, max_n=12))
def test_layernorm_gives_each_example_the_same_output_in_any_batch(batch):
    x, gamma, beta, _, eps = batch
    out, _ = ref("layernorm_forward")(x, gamma, beta, {"eps": eps})
    for i in range(len(x)):
        alone, _ = ref("layernorm_forward")(x[i : i + 1], gamma, beta, {"eps": eps})
        check_close(out[i : i + 1], alone, name=f"example {i}", **TIGHT)


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_backward_passes_match_central_differences(norm):
    rng = np.random.default_rng(0)
    x, dout = rng.normal(2, 3, size=(5, 4)), rng.normal(size=(5, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    if norm == "batch":
        forward, param = ref("batchnorm_forward"), {"mode": "train"}
        backwards = ["batchnorm_backward", "batchnorm_backward_closed_form"]
    else:
        forward, param, backwards = ref("layernorm_forward"), {}, ["layernorm_backward"]

    def loss(x, gamma, beta):
        return np.sum(forward(x, gamma, beta, dict(param))[0] * dout)

    expected = (numerical_gradient(lambda v: loss(v, gamma, beta), x),
                numerical_gradient(lambda v: loss(x, v, beta), gamma),
                numerical_gradient(lambda v: loss(x, gamma, v), beta))
    _, cache = forward(x, gamma, beta, dict(param))
    for backward in backwards:
        for name, actual, wanted in zip(("dx", "dgamma", "dbeta"), ref(backward)(dout, cache), expected):
            check_close(actual, wanted, name=f"{backward}: {name}", rtol=1e-6, atol=1e-8, quiet=True)


def test_a_batch_of_one_in_training_mode_raises_as_torch_does_and_eval_mode_takes_it():
    x, gamma, beta = np.array([[3.0, -1.0, 8.0]]), np.array([2.0, 0.5, -1.0]), np.array([0.1, 0.2, 0.3])
    bn_param = {"mode": "train"}
    with pytest.raises(ValueError, match="more than one example"):
        ref("batchnorm_forward")(x, gamma, beta, bn_param)
    assert "running_var" not in bn_param  # nothing half-updated
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        torch.nn.BatchNorm1d(3)(torch.tensor(x))
    eval_out, _ = ref("batchnorm_forward")(x, gamma, beta, {"mode": "eval"})
    layer = torch.nn.BatchNorm1d(3, dtype=torch.float64).eval()
    check_close(eval_out, torch_layer(layer, x, gamma, beta, np.ones_like(x))[0], name="eval mode", **TIGHT)


@FAST
@given(batches(min_n=1, max_d=24))
def test_rmsnorm_matches_torch_module_and_its_gradients(batch):
    x, gamma, _, dout, eps = batch
    layer = torch.nn.RMSNorm(x.shape[1], eps=eps, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(gamma))
    x_torch = torch.tensor(x, requires_grad=True)
    out_torch = layer(x_torch)
    out_torch.backward(torch.from_numpy(dout))
    out, cache = ref("rmsnorm_forward")(x, gamma, {"eps": eps})
    check_close(out, out_torch, name="out", **TIGHT)
    dx, dgamma = ref("rmsnorm_backward")(dout, cache)
    check_close(dx, x_torch.grad, name="dx", rtol=1e-8, atol=1e-10, quiet=True)
    check_close(dgamma, layer.weight.grad, name="dgamma", rtol=1e-8, atol=1e-10, quiet=True)


def test_a_batch_of_two_keeps_only_the_signs():
    x = np.array([[1.0, 5.0, -2.0], [3.0, -4.0, -2.5]])
    out, _ = ref("batchnorm_forward")(x, np.ones(3), np.zeros(3), {"mode": "train", "eps": 0.0})
    np.testing.assert_allclose(out, [[-1.0, 1.0, 1.0], [1.0, -1.0, -1.0]], rtol=1e-12)
