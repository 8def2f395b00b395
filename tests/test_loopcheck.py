"""The training-loop checks pass a correct loop and catch the usual mistakes with the right hint."""

import re

import pytest
import torch

from trainlab.checks import CheckFailed
from trainlab.loopcheck import check_debugged_training, check_evaluation, check_training_epoch


def train_one_epoch(model, loader, optimizer, loss_fn, zero_grad=True, train_mode=True, loss_after_step=False):
    if train_mode:
        model.train()
    losses = []
    for x, y in loader:
        if zero_grad:
            optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss_fn(model(x), y).item() if loss_after_step else loss.item())
    return losses


def evaluate(model, loader, loss_fn, eval_mode=True, no_grad=True, mean_of_batches=False):
    if eval_mode:
        model.eval()
    total, correct, count, means = 0.0, 0, 0, []
    with torch.set_grad_enabled(not no_grad):
        for x, y in loader:
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            means.append(loss_fn(logits, y).item())
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
    return (sum(means) / len(means) if mean_of_batches else total / count), correct / count


def test_a_correct_training_epoch_passes(capsys):
    check_training_epoch(train_one_epoch)
    assert capsys.readouterr().out.startswith("✓ optimizer steps: 5, as one per batch")


def test_zeroing_after_the_step_is_as_good_as_before_the_backward_pass():
    def zero_at_the_end(model, loader, optimizer, loss_fn):
        model.train()
        losses = []
        for x, y in loader:
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            model.zero_grad()
            losses.append(loss.item())
        return losses

    check_training_epoch(zero_at_the_end)


@pytest.mark.parametrize("mistake, message", [
    (dict(zero_grad=False), "zero_grad"),
    (dict(train_mode=False), "model.train()"),
    (dict(loss_after_step=True), "returned batch losses"),
])
def test_a_wrong_training_epoch_fails_with_its_hint(mistake, message):
    with pytest.raises(CheckFailed, match=r"(?s)" + message.replace("(", r"\(").replace(")", r"\)")):
        check_training_epoch(lambda *args: train_one_epoch(*args, **mistake))


def test_steps_that_do_not_match_the_batches_fail():
    def twice(model, loader, optimizer, loss_fn):
        return train_one_epoch(model, list(loader) * 2, optimizer, loss_fn)

    with pytest.raises(CheckFailed, match="optimizer steps: got 10, expected 5"):
        check_training_epoch(twice)


def test_a_training_epoch_that_returns_nothing_fails():
    with pytest.raises(CheckFailed, match="returned batch losses"):
        check_training_epoch(lambda *args: train_one_epoch(*args) and None)


def test_a_correct_evaluation_passes(capsys):
    check_evaluation(evaluate)
    assert "✓ mean loss matches" in capsys.readouterr().out


def test_an_evaluation_that_restores_training_mode_afterwards_passes():
    def evaluate_then_train(model, loader, loss_fn):
        result = evaluate(model, loader, loss_fn)
        model.train()
        return result

    check_evaluation(evaluate_then_train)


@pytest.mark.parametrize("mistake, message", [
    (dict(eval_mode=False), "training mode"),
    (dict(no_grad=False), "torch.no_grad"),
    (dict(mean_of_batches=True), "Average over examples"),
])
def test_a_wrong_evaluation_fails_with_its_hint(mistake, message):
    with pytest.raises(CheckFailed, match=r"(?s)" + message.replace(".", r"\.")):
        check_evaluation(lambda *args: evaluate(*args, **mistake))


def test_an_evaluation_that_trains_fails():
    def evaluate_and_step(model, loader, loss_fn):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.1)
        return evaluate(model, loader, loss_fn)

    with pytest.raises(CheckFailed, match="must not change the weights"):
        check_evaluation(evaluate_and_step)


def train_and_validate(model, train_set, val_set, optimizer, epochs, batch_size, generator, shuffle=True,
                       softmax_first=False, reduction="mean", zero_grad=True, train_mode=True, eval_mode=True,
                       no_grad=True):
    loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=shuffle, generator=generator)
    history = []
    for _ in range(epochs):
        if train_mode:
            model.train()
        for x, y in loader:
            if zero_grad:
                optimizer.zero_grad()
            outputs = model(x)
            loss = torch.nn.functional.cross_entropy(outputs.softmax(1) if softmax_first else outputs, y,
                                                     reduction=reduction)
            loss.backward()
            optimizer.step()
        if eval_mode:
            model.eval()
        with torch.set_grad_enabled(not no_grad):
            x, y = val_set.tensors
            logits = model(x)
            history.append((torch.nn.functional.cross_entropy(logits, y).item(),
                            (logits.argmax(1) == y).double().mean().item()))
    return history


def test_a_correctly_debugged_script_passes(capsys):
    check_debugged_training(train_and_validate)
    assert "✓ the gradient at each step matches a plain loop" in capsys.readouterr().out


@pytest.mark.parametrize("bug, message", [
    (dict(shuffle=False), "which is the order of the data set"),
    (dict(softmax_first=True), "the loss sees probabilities"),
    (dict(reduction="sum"), "len(batch) times too large"),
    (dict(softmax_first=True, reduction="sum"), "two bugs in the loss"),
    (dict(zero_grad=False), "zero_grad"),
    (dict(train_mode=False), "model.train() at the start of every epoch"),
    (dict(eval_mode=False), "model.eval()"),
    (dict(no_grad=False), "torch.no_grad"),
])
def test_each_classic_bug_fails_with_the_hint_that_names_it(bug, message):
    with pytest.raises(CheckFailed, match=r"(?s)" + re.escape(message)):
        check_debugged_training(lambda *args: train_and_validate(*args, **bug))


def test_a_history_averaged_over_batches_or_from_the_wrong_weights_fails():
    def one_epoch_late(*args):
        history = train_and_validate(*args)
        return [history[0]] + history[:-1]

    with pytest.raises(CheckFailed, match="validation loss, accuracy"):
        check_debugged_training(one_epoch_late)
