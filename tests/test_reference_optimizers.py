"""The chapter 3 reference solution, which grades every student, agrees with torch everywhere.

Hypothesis draws hyperparameters, shapes and starts; each reference optimizer runs side by side
with its torch.optim class (wrapped by torch_update), and each schedule with its
torch.optim.lr_scheduler, in float64.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from torch.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LinearLR

from trainlab.checks import check_close
from trainlab.grading import reference
from trainlab.trajectories import follow, scheduled_lrs, torch_update

FAST = settings(max_examples=40, deadline=None)
shapes = hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)
rates = st.floats(1e-4, 0.3)
decays = st.sampled_from([0.0, 1e-2, 0.5])


def ref(name):
    return reference("03_optimizers", name)


def bowl(shape, seed):
    """A random convex problem: gradient c * (w - target) + 0.1 tanh(w), c per coordinate."""
    rng = np.random.default_rng(seed)
    curvature, target = rng.uniform(0.1, 10, size=shape), rng.normal(size=shape)
    return (lambda w: curvature * (w - target) + 0.1 * np.tanh(w)), rng.normal(size=shape)


OPTIMIZERS = {
    "sgd_momentum": (torch.optim.SGD, st.fixed_dictionaries(
        {"lr": rates, "momentum": st.floats(0, 0.99), "weight_decay": decays})),
    "nesterov": (torch.optim.SGD, st.fixed_dictionaries(  # torch refuses Nesterov without momentum
        {"lr": rates, "momentum": st.floats(0.01, 0.99), "weight_decay": decays})),
    "adagrad": (torch.optim.Adagrad, st.fixed_dictionaries(
        {"lr": rates, "eps": st.sampled_from([1e-10, 1e-3]), "weight_decay": decays})),
    "rmsprop": (torch.optim.RMSprop, st.fixed_dictionaries(
        {"lr": rates, "alpha": st.floats(0.5, 0.999), "weight_decay": decays})),
    "adam": (torch.optim.Adam, st.fixed_dictionaries(
        {"lr": rates, "beta1": st.floats(0, 0.99), "beta2": st.floats(0.9, 0.9999), "weight_decay": decays})),
    "adamw": (torch.optim.AdamW, st.fixed_dictionaries(
        {"lr": rates, "beta1": st.floats(0, 0.99), "beta2": st.floats(0.9, 0.9999), "weight_decay": decays})),
}
TORCH_OPTIONS = {"nesterov": {"nesterov": True}}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_reference_optimizer_matches_torch_step_for_step(name):
    optimizer_class, configs = OPTIMIZERS[name]

    @FAST
    @given(configs, shapes, st.integers(0, 2**32 - 1))
    def check(config, shape, seed):
        grad, w0 = bowl(shape, seed)
        check_close(follow(ref(name), grad, w0, 30, config),
                    follow(torch_update(optimizer_class, **TORCH_OPTIONS.get(name, {})), grad, w0, 30, config),
                    name=name, rtol=1e-9, atol=1e-12, quiet=True)

    check()


def test_reference_optimizers_leave_the_callers_weights_alone():
    for name in OPTIMIZERS:
        w = np.ones(3)
        ref(name)(w, np.full(3, 2.0), {"lr": 0.1})
        assert np.array_equal(w, np.ones(3)), f"{name} changed w in place"


def test_adamw_keeps_its_weight_decay_in_the_returned_config():
    _, config = ref("adamw")(np.ones(2), np.ones(2), {"lr": 0.1, "weight_decay": 0.3})
    _, config = ref("adamw")(np.ones(2), np.ones(2), config)
    assert config["weight_decay"] == 0.3 and config["t"] == 2


@FAST
@given(st.floats(1e-4, 1.0), st.floats(0.0, 1.0), st.integers(1, 200))
def test_linear_and_cosine_schedules_match_torch(lr0, end_fraction, total):
    t = np.arange(total + 20)
    check_close(ref("linear_lr")(t, lr0, lr0 * end_fraction, total),
                scheduled_lrs(LinearLR, lr0, total + 20, start_factor=1.0, end_factor=end_fraction,
                              total_iters=total), name="linear_lr", rtol=1e-9, atol=1e-15, quiet=True)
    t = np.arange(total + 1)
    check_close(ref("cosine_lr")(t, lr0, lr0 * end_fraction, total),
                scheduled_lrs(CosineAnnealingLR, lr0, total + 1, T_max=total, eta_min=lr0 * end_fraction),
                name="cosine_lr", rtol=1e-9, atol=1e-15, quiet=True)


@FAST
@given(st.floats(1e-4, 1.0), st.floats(0.1, 0.99), st.integers(1, 100))
def test_exponential_schedule_matches_torch(lr0, c, s):
    t = np.arange(150)
    check_close(ref("exponential_lr")(t, lr0, c, s), scheduled_lrs(ExponentialLR, lr0, 150, gamma=c ** (1 / s)),
                name="exponential_lr", rtol=1e-9, quiet=True)


@FAST
@given(st.integers(16, 8192), st.integers(1, 10000))
def test_transformer_schedule_peaks_at_the_end_of_warmup(d_model, warmup):
    t = np.arange(1, 3 * warmup + 1)
    lr = ref("transformer_lr")(t, d_model, warmup)
    assert np.argmax(lr) == warmup - 1
    check_close(lr[warmup - 1], (d_model * warmup) ** -0.5, name="peak", quiet=True)
    check_close(lr[: warmup], t[: warmup] * lr[warmup - 1] / warmup, name="linear warmup", quiet=True)
    check_close(lr[warmup - 1:], lr[warmup - 1] * np.sqrt(warmup / t[warmup - 1:]), name="decay", quiet=True)


def test_power_schedule_halves_where_the_formula_says():
    lr = ref("power_lr")(np.array([0, 10, 30]), 2.0, 10.0, -1.0)
    check_close(lr, [2.0, 1.0, 0.5], name="power_lr", quiet=True)


def test_state_per_parameter_counts_torch_buffers():
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 2))
    expected = {(torch.optim.SGD, (("lr", 0.1),)): 0.0,
                (torch.optim.SGD, (("lr", 0.1), ("momentum", 0.9))): 1.0,
                (torch.optim.RMSprop, (("centered", True), ("momentum", 0.5))): 3.0,
                (torch.optim.Adam, (("amsgrad", True),)): 3.0}
    for (optimizer_class, options), count in expected.items():
        optimizer = optimizer_class(model.parameters(), **dict(options))
        model(torch.randn(3, 5)).sum().backward()
        optimizer.step()
        assert ref("state_per_parameter")(optimizer, model) == count, optimizer_class.__name__


@pytest.mark.parametrize("name, torch_init, options", [
    ("xavier_uniform", torch.nn.init.xavier_uniform_, {}),
    ("he_normal", torch.nn.init.kaiming_normal_, {"nonlinearity": "relu"}),
])
def test_initialisations_have_torch_spread(name, torch_init, options):
    for fan_in, fan_out in [(200, 300), (1000, 50)]:
        w = ref(name)(fan_in, fan_out, np.random.default_rng(0))
        torch.manual_seed(0)
        expected = torch_init(torch.empty(fan_out, fan_in, dtype=torch.float64), **options)
        assert w.shape == (fan_in, fan_out)
        check_close(w.std(), expected.std(), rtol=0.03, name=f"{name} std", quiet=True)
        check_close(w.mean(), 0.0, atol=3 * expected.std().item() / np.sqrt(w.size), rtol=1,
                    name=f"{name} mean", quiet=True)
