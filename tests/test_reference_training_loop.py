"""The chapter 6 reference solution, which grades every student, agrees with torch and with plain loops.

Each piece is compared with what PyTorch's own classes compute (TensorDataset, nn.Sequential,
autograd) or with the textbook loop written out here; a resumed run must equal an uninterrupted
one bit for bit; and the numpy twin built from the reference parts of chapters 1-3 trains the
digits as well as torch does.
"""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR
from torch.utils.data import DataLoader, TensorDataset

from trainlab.checks import check_close
from trainlab.data import digits
from trainlab.grading import reference
from trainlab.loopcheck import check_debugged_training, check_evaluation, check_training_epoch

FAST = settings(max_examples=30, deadline=None)
KEYS = ("lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy")


def ref(name, chapter="06_training_loop"):
    return reference(chapter, name)


@pytest.fixture(scope="module")
def data():
    """The digits as float32 / int64 tensors: 300 for training, 100 for validation."""
    X, y = digits()
    X, y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    return X[:300], y[:300], X[300:400], y[300:400]


def loaders(data, seed, batch_size=32):
    X_train, y_train, X_val, y_val = data
    generator = torch.Generator().manual_seed(seed)
    train = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True, generator=generator)
    return train, DataLoader(TensorDataset(X_val, y_val), batch_size=64), generator


def sequential(seed, n_in=64, n_hidden=32, n_out=10, dropout=0.0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(n_hidden, n_out))


def test_dataset_serves_what_a_tensor_dataset_of_float32_and_int64_serves():
    X, y = digits()
    dataset = ref("DigitsDataset")(X, y.astype(np.int32))
    expected = TensorDataset(torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64))
    assert len(dataset) == len(expected) == 1797
    for i in (0, 1000, -1):
        for got, want in zip(dataset[i], expected[i]):
            assert got.dtype == want.dtype and torch.equal(got, want)
    for (x, labels), (x_want, labels_want) in zip(DataLoader(dataset, batch_size=500), DataLoader(expected, batch_size=500)):
        assert torch.equal(x, x_want) and torch.equal(labels, labels_want)


@pytest.mark.parametrize("dropout", [0.0, 0.4])
def test_mlp_is_linear_relu_dropout_linear_with_torchs_initialisation(dropout):
    torch.manual_seed(5)
    model = ref("MLP")(64, 32, 10, dropout=dropout)
    expected = sequential(5, dropout=dropout)
    for got, want in zip(model.parameters(), expected.parameters()):
        assert torch.equal(got, want)
    x = torch.randn(16, 64)
    for mode in (True, False):
        model.train(mode), expected.train(mode)
        torch.manual_seed(6)
        got = model(x)
        torch.manual_seed(6)
        assert torch.equal(got, expected(x))


def test_train_one_epoch_passes_the_step_check():
    check_training_epoch(ref("train_one_epoch"))


def test_train_one_epoch_matches_the_textbook_loop(data):
    results = []
    for train_fn in (ref("train_one_epoch"), None):
        model = sequential(1, dropout=0.2)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        train, _, _ = loaders(data, seed=2)
        torch.manual_seed(3)
        if train_fn is not None:
            losses = train_fn(model, train, optimizer, F.cross_entropy)
        else:
            model.train()
            losses = []
            for x, y in train:
                optimizer.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        results.append((losses, [p.detach().clone() for p in model.parameters()]))
    (losses, weights), (expected_losses, expected_weights) = results
    assert losses == expected_losses and len(losses) == 10
    assert all(torch.equal(w, e) for w, e in zip(weights, expected_weights))


def test_evaluate_passes_the_evaluation_check():
    check_evaluation(ref("evaluate"))


@pytest.mark.parametrize("make_scheduler, rates", [
    (lambda o: StepLR(o, step_size=2, gamma=0.1), [0.2, 0.2, 0.02, 0.02]),
    (lambda o: ExponentialLR(o, gamma=0.5), [0.2, 0.1, 0.05, 0.025]),
    (lambda o: None, [0.2] * 4),
])
def test_fit_matches_the_textbook_loop_with_one_scheduler_step_per_epoch(data, make_scheduler, rates):
    histories, calls = [], []
    for fit in (ref("fit"), None):
        model = sequential(7)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        scheduler = make_scheduler(optimizer)
        train, val, _ = loaders(data, seed=8)
        if fit is not None:
            history = fit(model, train, val, optimizer, scheduler, 4, F.cross_entropy,
                          on_epoch_end=lambda h: calls.append(len(h["train_loss"])), progress=False)
        else:
            history = {key: [] for key in KEYS}
            for _ in range(4):
                history["lr"].append(optimizer.param_groups[0]["lr"])
                losses = []
                for x, y in train:
                    optimizer.zero_grad()
                    loss = F.cross_entropy(model(x), y)
                    loss.backward()
                    optimizer.step()
                    losses.append(loss.item())
                history["train_loss"].append(float(np.mean(losses)))
                with torch.no_grad():
                    X_train, y_train = data[0], data[1]
                    history["train_accuracy"].append((model(X_train).argmax(1) == y_train).double().mean().item())
                    logits = torch.cat([model(x) for x, _ in val])
                    labels = torch.cat([y for _, y in val])
                history["val_loss"].append(F.cross_entropy(logits, labels).item())
                history["val_accuracy"].append((logits.argmax(1) == labels).double().mean().item())
                if scheduler is not None:
                    scheduler.step()
        histories.append(history)
    fitted, expected = histories
    assert calls == [1, 2, 3, 4]
    check_close(fitted["lr"], rates, rtol=1e-12, name="lr", quiet=True)
    for key in KEYS:
        check_close(fitted[key], expected[key], rtol=1e-6, atol=1e-9, name=key, quiet=True)
    assert fitted["train_loss"][-1] < fitted["train_loss"][0]


def test_train_and_validate_passes_the_debug_check():
    check_debugged_training(ref("train_and_validate"))


def test_train_and_validate_matches_the_textbook_loop_and_learns_the_digits(data):
    X_train, y_train, X_val, y_val = data
    results = []
    for train_fn in (ref("train_and_validate"), None):
        torch.manual_seed(3)
        model = nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        generator = torch.Generator().manual_seed(4)
        if train_fn is not None:
            history = train_fn(model, TensorDataset(X_train, y_train), TensorDataset(X_val, y_val), optimizer, 6,
                               32, generator)
        else:
            history = []
            for _ in range(6):
                model.train()
                for x, y in DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True,
                                       generator=generator):
                    optimizer.zero_grad()
                    F.cross_entropy(model(x), y).backward()
                    optimizer.step()
                model.eval()
                with torch.no_grad():
                    logits = model(X_val)
                accuracy = (logits.argmax(1) == y_val).double().mean().item()
                history.append((F.cross_entropy(logits, y_val).item(), accuracy))
        results.append(np.array(history))
    check_close(results[0], results[1], rtol=1e-5, atol=1e-7, quiet=True)
    assert results[0][-1, 1] > 0.85


@FAST
@given(st.integers(0, 2**32 - 1))
def test_seed_everything_seeds_random_numpy_torch_and_returns_a_seeded_generator(seed):
    import random

    generator = ref("seed_everything")(seed)
    draws = [random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=generator).item()]
    random.seed(seed), np.random.seed(seed), torch.manual_seed(seed)
    assert draws == [random.random(), np.random.rand(), torch.rand(1).item(),
                     torch.rand(1, generator=torch.Generator().manual_seed(seed)).item()]


@pytest.mark.parametrize("make_optimizer, make_scheduler", [
    (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), lambda o: StepLR(o, step_size=1, gamma=0.8)),
    (lambda p: torch.optim.Adam(p, lr=0.01), lambda o: CosineAnnealingLR(o, T_max=5)),
    (lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), lambda o: ExponentialLR(o, gamma=0.7)),
    (lambda p: torch.optim.Adagrad(p, lr=0.05), lambda o: StepLR(o, step_size=2, gamma=0.5)),
])
@pytest.mark.parametrize("done", [1, 3])
def test_a_run_resumed_from_a_checkpoint_equals_the_uninterrupted_run_bit_for_bit(
        data, tmp_path, make_optimizer, make_scheduler, done):
    fit = ref("fit")

    def build(seed):
        model = sequential(seed, dropout=0.3)
        optimizer = make_optimizer(model.parameters())
        train, val, generator = loaders(data, seed)
        return model, optimizer, make_scheduler(optimizer), train, val, generator

    model, optimizer, scheduler, train, val, _ = build(0)
    uninterrupted = fit(model, train, val, optimizer, scheduler, 5, progress=False)

    model, optimizer, scheduler, train, val, generator = build(0)
    before = fit(model, train, val, optimizer, scheduler, done, progress=False)
    ref("save_checkpoint")(tmp_path / "run.pt", model, optimizer, scheduler, generator, done)
    saved = torch.load(tmp_path / "run.pt", weights_only=True)  # plain data only
    assert saved["epoch"] == done
    model, optimizer, scheduler, train, val, generator = build(1)
    torch.rand(100)  # the global random state moves on; the checkpoint must restore it
    start = ref("load_checkpoint")(tmp_path / "run.pt", model, optimizer, scheduler, generator)
    after = fit(model, train, val, optimizer, scheduler, 5 - start, progress=False)
    for key in KEYS:
        assert before[key] + after[key] == uninterrupted[key], key


@FAST
@given(st.integers(1, 8), st.integers(2, 12), st.sampled_from([1.0, 30.0, 1e4]), st.integers(0, 2**32 - 1))
def test_cross_entropy_grad_matches_autograd(n, c, scale, seed):
    rng = np.random.default_rng(seed)
    logits, labels = rng.normal(size=(n, c)) * scale, rng.integers(0, c, n)
    z = torch.tensor(logits, requires_grad=True)
    F.cross_entropy(z, torch.tensor(labels)).backward()
    check_close(ref("cross_entropy_grad")(logits, labels), z.grad, rtol=1e-9, atol=1e-15, quiet=True)


def mlp_forward(params, X):
    """The notebook's given forward pass (not a solution cell, so written out here too)."""
    a1 = X @ params["W1"] + params["b1"]
    h1 = np.maximum(a1, 0)
    return h1 @ params["W2"] + params["b2"], (X, a1, h1, params)


@FAST
@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 7), st.integers(2, 4), st.integers(0, 2**32 - 1))
def test_mlp_backward_matches_autograd(n, d, h, c, seed):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h), "W2": rng.normal(size=(h, c)),
              "b2": rng.normal(size=c)}
    X, dlogits = rng.normal(size=(n, d)), rng.normal(size=(n, c))
    weights = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    logits = torch.relu(torch.tensor(X) @ weights["W1"] + weights["b1"]) @ weights["W2"] + weights["b2"]
    logits.backward(torch.tensor(dlogits))
    grads = ref("mlp_backward")(dlogits, mlp_forward(params, X)[1])
    assert sorted(grads) == sorted(params)
    for name, weight in weights.items():
        check_close(grads[name], weight.grad, rtol=1e-9, atol=1e-12, name=name, quiet=True)


def test_the_numpy_twin_with_the_reference_parts_trains_as_well_as_torch():
    """Section 9's loop, with chapters 1-3's reference parts: about torch's accuracy on the digits."""
    X, y = digits()
    order = np.random.default_rng(0).permutation(len(y))
    X_train, y_train, X_test, y_test = X[order[:1437]], y[order[:1437]], X[order[1437:]], y[order[1437:]]
    cross_entropy, minibatches = ref("cross_entropy", "01_losses"), ref("minibatches", "02_gradient_descent")
    adam, cosine_lr = ref("adam", "03_optimizers"), ref("cosine_lr", "03_optimizers")
    torch.manual_seed(0)
    W1, b1, W2, b2 = (p.detach().double().numpy() for p in ref("MLP")(64, 64, 10).parameters())
    params = {"W1": W1.T.copy(), "b1": b1, "W2": W2.T.copy(), "b2": b2}
    states, rng, epochs = {name: {} for name in params}, np.random.default_rng(0), 10
    for epoch in range(epochs):
        for batch in minibatches(len(y_train), 64, rng):
            logits, cache = mlp_forward(params, X_train[batch])
            grads = ref("mlp_backward")(ref("cross_entropy_grad")(logits, y_train[batch]), cache)
            for name in params:
                states[name]["lr"] = cosine_lr(epoch, 1e-2, 0.0, epochs)
                params[name], states[name] = adam(params[name], grads[name], states[name])
    logits = mlp_forward(params, X_test)[0]
    assert cross_entropy(logits, y_test) < 0.15
    assert np.mean(logits.argmax(1) == y_test) > 0.96
