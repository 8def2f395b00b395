"""Checks for a training loop and an evaluation loop, step by step, with readable reports.

``check_training_epoch(train_one_epoch)`` runs your ``train_one_epoch(model, loader, optimizer,
loss_fn)`` on a small problem while it watches every ``optimizer.step()``: one step per batch,
in the loader's order, the model in training mode, and at each step gradients that are exactly
those of that batch's loss at the current weights (not summed over earlier batches). The losses
you return must be those batch losses. ``check_evaluation(evaluate)`` checks ``evaluate(model,
loader, loss_fn)``: the mean loss per example and the accuracy of the model in evaluation mode,
computed without recording a graph, and the weights left alone. Both raise
:class:`~trainlab.checks.CheckFailed` with a hint when something is off.

The oracle recomputes each batch's gradient with ``torch.func.functional_call``; no training
loop is written here.
"""

from collections import OrderedDict

import numpy as np

from trainlab.checks import CheckFailed, check_close

ACCUMULATION_HINT = ("backward() adds into .grad: call optimizer.zero_grad() once per batch, "
                     "before loss.backward(), or every step uses the sum of all gradients so far.")


def _problem(seed, n=70, batch_size=16, dropout=0.0):
    """A small classification problem: a model (5 -> 8 -> 3), and a loader over 70 examples, unshuffled."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=generator)
    y = torch.randint(0, 3, (n,), generator=generator)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(OrderedDict(hidden=torch.nn.Linear(5, 8), tanh=torch.nn.Tanh(),
                                            dropout=torch.nn.Dropout(dropout), output=torch.nn.Linear(8, 3)))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size)
    return model, loader


def _fail(message, hint=None):
    __tracebackhide__ = True
    raise CheckFailed(f"✗ {message}" + (f"\n  hint: {hint}" if hint else ""))


def check_training_epoch(train_one_epoch, seed=0):
    """Run ``train_one_epoch(model, loader, optimizer, loss_fn)`` once and check every step.

    The problem: 70 examples in 5 unshuffled batches (the last one of 6), a small MLP, SGD with
    momentum, cross-entropy. The model starts in evaluation mode, as it is after evaluate().
    Prints a one-line report on success.
    """
    __tracebackhide__ = True
    import torch
    import torch.nn.functional as F
    from torch.func import functional_call

    model, loader = _problem(seed)
    model.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    names = [name for name, _ in model.named_parameters()]
    parameters = list(model.parameters())
    steps = []
    step = optimizer.step

    def watched_step(*args, **kwargs):
        steps.append(([p.detach().clone() for p in parameters],
                      [None if p.grad is None else p.grad.detach().clone() for p in parameters],
                      model.training))
        return step(*args, **kwargs)

    optimizer.step = watched_step
    returned = train_one_epoch(model, loader, optimizer, F.cross_entropy)
    batches = list(loader)
    if len(steps) != len(batches):
        _fail(f"train_one_epoch took {len(steps)} optimizer steps for {len(batches)} batches.",
              "Call optimizer.step() once per batch, inside the loop over the loader.")

    expected_losses = []
    for number, ((weights, grads, training), (x, y)) in enumerate(zip(steps, batches)):
        if not training:
            _fail(f"at step {number} the model was in evaluation mode.",
                  "Call model.train() at the start of train_one_epoch: evaluate() leaves the model "
                  "in evaluation mode, where dropout is switched off.")
        if any(g is None for g in grads):
            _fail(f"at step {number} some parameters had no gradient (.grad is None).",
                  "Call loss.backward() before optimizer.step().")
        current = [w.requires_grad_() for w in weights]
        loss = F.cross_entropy(functional_call(model, dict(zip(names, current)), (x,)), y)
        expected = torch.autograd.grad(loss, current)
        expected_losses.append(loss.item())
        for name, got, want in zip(names, grads, expected):
            check_close(got, want, name=f"the gradient of {name} at step {number}", rtol=1e-4, atol=1e-6,
                        oracle=f"the gradient of batch {number}'s loss at the weights before the step",
                        hint=ACCUMULATION_HINT if number else
                        "Compute the loss of the batch with the model's output, then loss.backward().",
                        quiet=True, oracle_uses_student=True)
    try:
        returned = [float(value) for value in returned]
    except (TypeError, ValueError, RuntimeError):
        returned = None
    if returned is None or len(returned) != len(batches):
        _fail(f"train_one_epoch should return a list of {len(batches)} floats, one loss per batch.",
              "Append loss.item() (a float, not the tensor) for every batch and return the list.")
    check_close(np.array(returned), np.array(expected_losses), rtol=1e-5, atol=1e-7,
                name="the returned batch losses", oracle="each batch's loss before its step", quiet=True,
                hint="Return loss.item() of every batch, in order.", oracle_uses_student=True)
    print(f"✓ train_one_epoch: {len(batches)} steps, each with its own batch's gradient at the current "
          f"weights, in training mode; the {len(batches)} losses returned match")


def check_evaluation(evaluate, seed=0):
    """Check ``evaluate(model, loader, loss_fn) -> (mean loss, accuracy)`` on a model with dropout.

    The model starts in training mode. Expected: the loss averaged over all 70 examples (the
    last batch is smaller) and the fraction classified correctly, in evaluation mode, with
    gradients off during every forward pass, and no change to the weights or their gradients.
    Prints a one-line report on success.
    """
    __tracebackhide__ = True
    import torch
    import torch.nn.functional as F

    model, loader = _problem(seed, dropout=0.5)
    model.train()
    recorded = []
    model.register_forward_hook(
        lambda module, inputs, output: recorded.append((torch.is_grad_enabled(), module.training)))
    before = [p.detach().clone() for p in model.parameters()]
    result = evaluate(model, loader, F.cross_entropy)
    if not (isinstance(result, tuple) and len(result) == 2):
        _fail(f"evaluate returned {type(result).__name__} {result!r:.80}; expected a tuple (mean loss, accuracy).")
    if not recorded:
        _fail("evaluate never called the model.")
    if any(training for _, training in recorded):
        _fail("the model ran in training mode, so dropout was active while evaluating.",
              "Call model.eval() before the loop.")
    if any(grad_enabled for grad_enabled, _ in recorded):
        _fail("the model ran with gradients enabled: torch recorded a graph it will never use.",
              "Wrap the loop in `with torch.no_grad():` (saves memory and time).")
    if any(not torch.equal(p, b) for p, b in zip(model.parameters(), before)):
        _fail("evaluate changed the weights.", "Evaluation must not call optimizer.step().")

    x, y = (torch.cat(tensors) for tensors in zip(*loader))
    model.eval()
    with torch.no_grad():
        logits = model(x)
    loss, accuracy = F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).double().mean().item()
    check_close(result[0], loss, rtol=1e-5, atol=1e-7, name="mean loss", quiet=True,
                oracle="the loss averaged over all 70 examples in evaluation mode",
                hint="Average over examples, not batches: the last batch has 6 examples, not 16. "
                     "Add loss.item() * len(y) per batch and divide by the number of examples.")
    check_close(result[1], accuracy, rtol=1e-9, name="accuracy", quiet=True,
                oracle="the fraction of examples whose largest logit is the label",
                hint="Count (logits.argmax(dim=1) == y) over all batches and divide by the number of examples.")
    print(f"✓ evaluate: loss {result[0]:.4f} and accuracy {result[1]:.3f} over 70 examples, in evaluation "
          "mode, without gradients, weights untouched")
