"""Checks for a training loop and an evaluation loop, step by step, with readable reports.

``check_training_epoch(train_one_epoch)`` runs your ``train_one_epoch(model, loader, optimizer,
loss_fn)`` on a small problem while it watches every ``optimizer.step()``: one step per batch,
in the loader's order, the model in training mode, and at each step gradients that are exactly
those of that batch's loss at the current weights (not summed over earlier batches). The losses
you return must be those batch losses. ``check_evaluation(evaluate)`` checks ``evaluate(model,
loader, loss_fn)``: the mean loss per example and the accuracy of the model in evaluation mode,
computed without recording a graph, and the weights left alone. ``check_debugged_training(train)``
watches a whole script, ``train(model, train_set, val_set, optimizer, epochs, batch_size, generator)``:
shuffled epochs, each step's gradient (and which classic bug explains a wrong one), validation in
evaluation mode without a graph, and the validation history it returns. All raise
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
    # k / 70: float32's rounding (up to 6e-8 relative) passes, one example off (1.4e-2) does not
    check_close(result[1], accuracy, rtol=1e-6, name="accuracy", quiet=True,
                oracle="the fraction of examples whose largest logit is the label",
                hint="Count (logits.argmax(dim=1) == y) over all batches and divide by the number of examples.")
    print(f"✓ evaluate: loss {result[0]:.4f} and accuracy {result[1]:.3f} over 70 examples, in evaluation "
          "mode, without gradients, weights untouched")


def _batch_gradients(model, names, weights, x, y, reduction="mean", softmax_first=False):
    """The gradients of one batch's cross-entropy at ``weights``, optionally with a classic bug in the loss."""
    import torch
    import torch.nn.functional as F
    from torch.func import functional_call

    current = [w.detach().clone().requires_grad_() for w in weights]
    outputs = functional_call(model, dict(zip(names, current)), (x,))
    if softmax_first:
        outputs = F.softmax(outputs, dim=1)
    loss = F.cross_entropy(outputs, y, reduction=reduction)
    return torch.autograd.grad(loss, current), loss.item()


def _diagnose_gradient(model, names, weights, grads, x, y):
    """The hint for a step whose gradient is not the batch's mean cross-entropy: which bug fits it."""
    import torch

    def matches(expected):
        return all(torch.allclose(g, e, rtol=1e-4, atol=1e-6) for g, e in zip(grads, expected))

    for reduction, softmax_first, hint in [
        ("sum", False, "the gradient is len(batch) times too large: the loss is summed over the batch. "
                       "Use the mean (F.cross_entropy's default reduction), which the learning rate assumes."),
        ("mean", True, "the loss sees probabilities: F.cross_entropy applies log-softmax itself, so give it "
                       "the logits, model(x), with no softmax before it."),
        ("sum", True, "two bugs in the loss: a softmax before F.cross_entropy (give it the logits) and "
                      "reduction='sum' (use the mean)."),
    ]:
        if matches(_batch_gradients(model, names, weights, x, y, reduction, softmax_first)[0]):
            return hint
    return "the gradient should be that of F.cross_entropy(model(x), y) for this batch alone, at these weights."


def check_debugged_training(train, seed=0, n_train=70, n_val=30, batch_size=16, epochs=2):
    """Check a fixed ``train(model, train_set, val_set, optimizer, epochs, batch_size, generator)``.

    It must return one (validation loss, validation accuracy) pair per epoch. Watched on a small
    problem (70 training and 30 validation examples, batches of 16, 2 epochs, SGD with momentum):
    every epoch serves each training example once in a new shuffled order; every optimizer step is
    taken in training mode with the gradient of that batch's mean cross-entropy of the logits at the
    current weights; every validation pass runs in evaluation mode without a graph; the returned
    pairs are the mean loss per example and the accuracy of the weights at the end of each epoch.
    The first difference found raises CheckFailed with a hint naming the likely bug.
    """
    __tracebackhide__ = True
    import torch
    import torch.nn.functional as F

    model, _ = _problem(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    x_all = torch.randn(n_train + n_val, 5, generator=generator)
    y_all = torch.randint(0, 3, (n_train + n_val,), generator=generator)
    train_set = torch.utils.data.TensorDataset(x_all[:n_train], y_all[:n_train])
    val_set = torch.utils.data.TensorDataset(x_all[n_train:], y_all[n_train:])
    row_index = {tuple(row.tolist()): i for i, row in enumerate(x_all)}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    names = [name for name, _ in model.named_parameters()]
    parameters = list(model.parameters())
    forwards, steps = [], []
    model.register_forward_hook(lambda module, inputs, output: forwards.append(
        ([row_index.get(tuple(row.tolist()), -1) for row in inputs[0].detach().cpu()],
         module.training, torch.is_grad_enabled())))
    step = optimizer.step

    def watched_step(*args, **kwargs):
        steps.append(([p.detach().clone() for p in parameters],
                      [None if p.grad is None else p.grad.detach().clone() for p in parameters],
                      model.training, len(forwards)))
        return step(*args, **kwargs)

    optimizer.step = watched_step
    returned = train(model, train_set, val_set, optimizer, epochs, batch_size,
                     torch.Generator().manual_seed(seed + 2))
    final_weights = [p.detach().clone() for p in parameters]

    per_epoch = -(-n_train // batch_size)
    if len(steps) != epochs * per_epoch:
        _fail(f"{len(steps)} optimizer steps in {epochs} epochs of {per_epoch} batches each; expected "
              f"{epochs * per_epoch}.", "One optimizer.step() per training batch, inside the loop over the loader.")
    training = [(rows, is_training, grad) for rows, is_training, grad in forwards
                if rows and rows[0] < n_train and grad]
    validation = [(rows, is_training, grad) for rows, is_training, grad in forwards if rows and rows[0] >= n_train]
    if any(-1 in rows for rows, _, _ in forwards):
        _fail("the model was called on inputs that are not examples of the two data sets.")
    orders = [sum((rows for rows, _, _ in training[e * per_epoch:(e + 1) * per_epoch]), [])
              for e in range(epochs)]
    for epoch, order in enumerate(orders):
        if sorted(order) != list(range(n_train)):
            _fail(f"epoch {epoch + 1} did not serve each of the {n_train} training examples exactly once.",
                  "Loop once over a DataLoader of train_set per epoch.")
    if orders[0] == list(range(n_train)) or any(a == b for a, b in zip(orders, orders[1:])):
        _fail("the training examples come in the same order every epoch" +
              (", the order of the data set." if orders[0] == list(range(n_train)) else "."),
              "Shuffle: DataLoader(train_set, batch_size, shuffle=True, generator=generator), a new order "
              "every epoch (and the argument generator makes it reproducible).")

    expected_history = []
    for number, (weights, grads, in_training_mode, forwards_before) in enumerate(steps):
        epoch = number // per_epoch
        if not in_training_mode:
            _fail(f"step {number} (epoch {epoch + 1}) was taken in evaluation mode.",
                  "Call model.train() at the start of every epoch: the validation pass of the epoch before "
                  "switched the model to evaluation mode.")
        if any(g is None for g in grads):
            _fail(f"at step {number} some parameters had no gradient.", "Call loss.backward() before optimizer.step().")
        rows = [rows for rows, _, grad in forwards[:forwards_before] if rows and rows[0] < n_train and grad][-1]
        x, y = x_all[rows], y_all[rows]
        expected, _ = _batch_gradients(model, names, weights, x, y)
        if not all(torch.allclose(g, e, rtol=1e-4, atol=1e-6) for g, e in zip(grads, expected)):
            hint = _diagnose_gradient(model, names, weights, grads, x, y)
            if number and hint.startswith("the gradient should"):
                hint = ACCUMULATION_HINT
            _fail(f"the gradient used at step {number} (epoch {epoch + 1}) is not that of the batch's mean "
                  "cross-entropy at the current weights.", hint)
    for rows, is_training, grad_enabled in validation:
        if is_training:
            _fail("the validation examples went through the model in training mode.",
                  "Call model.eval() before the validation loop (dropout and batch norm behave differently).")
        if grad_enabled:
            _fail("the validation pass recorded a graph.", "Run it under `with torch.no_grad():`; adding up "
                  "loss tensors (not loss.item()) would also keep every batch's graph alive.")
    epoch_ends = [steps[(e + 1) * per_epoch][0] for e in range(epochs - 1)] + [final_weights]
    for weights in epoch_ends:
        with torch.no_grad():
            logits = torch.func.functional_call(model.eval(), dict(zip(names, weights)), (x_all[n_train:],))
        expected_history.append([F.cross_entropy(logits, y_all[n_train:]).item(),
                                 (logits.argmax(1) == y_all[n_train:]).double().mean().item()])
    try:
        returned = np.array([[float(loss), float(accuracy)] for loss, accuracy in returned])
    except (TypeError, ValueError, RuntimeError):
        _fail(f"train should return a list of {epochs} pairs (validation loss, validation accuracy), one per epoch.")
    check_close(returned, np.array(expected_history), rtol=1e-5, atol=1e-7, quiet=True,
                name="the returned (validation loss, accuracy) per epoch",
                oracle="the mean loss per example and the accuracy of the weights at each epoch's end",
                hint="Average the loss over examples (add loss.item() * len(y) per batch, divide by the "
                     "number of examples); count the correct predictions over the whole validation set.",
                oracle_uses_student=True)
    print(f"✓ the fixed script: {epochs} shuffled epochs, {len(steps)} steps each with its batch's own mean "
          "gradient in training mode, validation in evaluation mode without a graph, the history matches")
