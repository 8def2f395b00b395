"""Checks for a training loop and an evaluation loop, step by step, with readable reports.

``check_training_epoch(train_one_epoch)`` runs your ``train_one_epoch(model, loader, optimizer,
loss_fn)`` on a small problem while it watches every ``optimizer.step()``: one step per batch, the
model in training mode, and at each step the gradient a plain loop has there (that batch's loss at
the current weights, not summed over earlier batches). The losses you return must be those batch
losses. ``check_evaluation(evaluate)`` checks ``evaluate(model, loader, loss_fn)``: the mean loss per
example and the accuracy of the model in evaluation mode, computed without recording a graph, and the
weights left alone. ``check_debugged_training(train)`` watches a whole script, ``train(model,
train_set, val_set, optimizer, epochs, batch_size, generator)``: shuffled epochs, each step's gradient
(and which classic bug explains a wrong one), validation in evaluation mode without a graph, and the
validation history it returns. All raise :class:`~trainlab.checks.CheckFailed` with a hint when
something is off.

Every property is a check (trainlab.checks) that records what your code did as data; the expected
side is deferred (``oracle``): a plain torch loop (``reference_epoch``, ``reference_training``) on the
same problem from the same seed, never computed from your run, so the grader judges it outside the
kernel like any other check.
"""

import functools
from collections import OrderedDict

import numpy as np

from trainlab import records
from trainlab.checks import check, check_close, check_equal, oracle

ACCUMULATION_HINT = ("backward() adds into .grad: call optimizer.zero_grad() once per batch, "
                     "before loss.backward(), or every step uses the sum of all gradients so far.")
NO_GRADIENT_HINT = "some parameters had no gradient (.grad is None) at a step: call loss.backward() before optimizer.step()."


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


def _oracle(function):
    """``function`` leaving torch's global generator as it was: an oracle runs only where no grader watches
    (a DataLoader without a generator of its own draws from the global one), and the cells after it must
    see the same random numbers everywhere."""
    @functools.wraps(function)
    def leaving_torch_random_alone(*args, **kwargs):
        import torch

        with torch.random.fork_rng():
            return function(*args, **kwargs)
    return leaving_torch_random_alone


_fresh = _oracle(_problem)


def _flat(tensors):
    """One float64 array of a step's parameters or gradients (NaN for a gradient that is None)."""
    return np.concatenate([np.full(1, np.nan) if t is None else t.detach().cpu().double().numpy().ravel()
                           for t in tensors])


def _floats(values):
    """``values`` as an array of floats when it is a list of numbers (or of one-number tensors); else as it is."""
    try:
        return np.array([float(value) for value in values])
    except (TypeError, ValueError, RuntimeError):
        return values


def _watch(optimizer, parameters, model, also=lambda: None):
    """Record, before every optimizer.step(), the gradients, whether the model trains, and ``also()``."""
    steps = []
    step = optimizer.step

    def watched_step(*args, **kwargs):
        steps.append(([None if p.grad is None else p.grad.detach().clone() for p in parameters], model.training,
                      also()))
        return step(*args, **kwargs)

    optimizer.step = watched_step
    return steps


@_oracle
def reference_epoch(seed=0):
    """A plain loop's epoch on check_training_epoch's problem: each step's gradient (steps, parameters), the losses."""
    import torch
    import torch.nn.functional as F

    model, loader = _fresh(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    gradients, losses = [], []
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        gradients.append(_flat(p.grad for p in model.parameters()))
        optimizer.step()
        losses.append(loss.item())
    return np.stack(gradients), np.array(losses)


def check_training_epoch(train_one_epoch, seed=0):
    """Run ``train_one_epoch(model, loader, optimizer, loss_fn)`` once and check every step.

    The problem: 70 examples in 5 unshuffled batches (the last one of 6), a small MLP, SGD with
    momentum, cross-entropy. The model starts in evaluation mode, as it is after evaluate().
    """
    __tracebackhide__ = True
    import torch
    import torch.nn.functional as F

    model, loader = _problem(seed)
    model.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    steps = _watch(optimizer, list(model.parameters()), model)
    returned = train_one_epoch(model, loader, optimizer, F.cross_entropy)
    batches = len(loader)
    check_equal(len(steps), oracle(lambda: batches), name="optimizer steps", oracle="one per batch",
                hint="Call optimizer.step() once per batch, inside the loop over the loader.")
    check_equal([training for _, training, _ in steps], oracle(lambda: [True] * batches),
                name="training mode at each step", oracle="training mode at every step",
                hint="Call model.train() at the start of train_one_epoch: evaluate() leaves the model "
                     "in evaluation mode, where dropout is switched off.")
    check(np.stack([_flat(grads) for grads, _, _ in steps]) if steps else None,
          oracle(lambda: reference_epoch(seed)[0]), comparison="path", index_reads="(step, entry of all parameters one after another)", name="the gradient at each step",
          oracle="a plain loop's gradients (each batch's loss at the weights before its step)", rtol=1e-4, atol=1e-6,
          hint={"nonfinite": NO_GRADIENT_HINT, "shape": "One optimizer.step() per batch (see the check of the steps)."},
          step_hints=["Compute the loss of the batch with the model's output, then loss.backward()."]
          + [ACCUMULATION_HINT] * batches)
    check_close(_floats(returned), oracle(lambda: reference_epoch(seed)[1]), rtol=1e-5, atol=1e-7,
                name="the returned batch losses", oracle="each batch's loss before its step",
                hint="Return a list of floats: loss.item() of every batch, in order, computed before the step.")


@_oracle
def reference_evaluation(seed=0):
    """The mean loss per example and the accuracy of check_evaluation's model in evaluation mode."""
    import torch
    import torch.nn.functional as F

    model, loader = _fresh(seed, dropout=0.5)
    x, y = (torch.cat(tensors) for tensors in zip(*loader))
    model.eval()
    with torch.no_grad():
        logits = model(x)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).double().mean().item()


def check_evaluation(evaluate, seed=0):
    """Check ``evaluate(model, loader, loss_fn) -> (mean loss, accuracy)`` on a model with dropout.

    The model starts in training mode. Expected: the loss averaged over all 70 examples (the
    last batch is smaller) and the fraction classified correctly, in evaluation mode, with
    gradients off during every forward pass, and no change to the weights or their gradients.
    """
    __tracebackhide__ = True
    import torch
    import torch.nn.functional as F

    model, loader = _problem(seed, dropout=0.5)
    model.train()
    recorded = []
    model.register_forward_hook(
        lambda module, inputs, output: recorded.append((torch.is_grad_enabled(), module.training)))
    result = evaluate(model, loader, F.cross_entropy)
    check_equal(type(result).__name__ + (f" of {len(result)}" if isinstance(result, tuple) else ""),
                oracle(lambda: "tuple of 2"), name="what evaluate returns", oracle="a pair (mean loss, accuracy)")
    check_equal([len(recorded) > 0, any(training for _, training in recorded)], oracle(lambda: [True, False]),
                name="[the model was called, in training mode]", oracle="called, in evaluation mode only",
                hint="Call model.eval() before the loop, so that dropout is off while evaluating.")
    check_equal(any(grad_enabled for grad_enabled, _ in recorded), oracle(lambda: False),
                name="gradients enabled in a forward pass", oracle="never",
                hint="Wrap the loop in `with torch.no_grad():` (saves memory and time).")
    check_close(_flat(model.parameters()), oracle(lambda: _flat(_fresh(seed, dropout=0.5)[0].parameters())),
                rtol=0, atol=0, name="the weights after evaluate", oracle="the weights before",
                hint="Evaluation must not change the weights (no optimizer.step()).")
    pair = list(result) if isinstance(result, tuple) and len(result) == 2 else [None, None]
    check_close(_floats(pair[:1]), oracle(lambda: reference_evaluation(seed)[:1]), rtol=1e-5, atol=1e-7,
                name="mean loss", oracle="the loss averaged over all 70 examples in evaluation mode",
                hint="Average over examples, not batches: the last batch has 6 examples, not 16. "
                     "Add loss.item() * len(y) per batch and divide by the number of examples.")
    # k / 70: float32's rounding (up to 6e-8 relative) passes, one example off (1.4e-2) does not
    check_close(_floats(pair[1:]), oracle(lambda: reference_evaluation(seed)[1:]), rtol=1e-6,
                name="accuracy", oracle="the fraction of examples whose largest logit is the label",
                hint="Count (logits.argmax(dim=1) == y) over all batches and divide by the number of examples.")


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
    """The hint for a step whose gradient is not the batch's mean cross-entropy: which bug fits it, or None."""
    import torch

    def matches(expected):
        return all(g is not None and torch.allclose(g, e, rtol=1e-4, atol=1e-6) for g, e in zip(grads, expected))

    for reduction, softmax_first, hint in [
        ("mean", False, None),
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


def _debug_problem(seed, n_train, n_val):
    """check_debugged_training's problem: the model, and the training and validation sets."""
    import torch

    model, _ = _problem(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    x_all = torch.randn(n_train + n_val, 5, generator=generator)
    y_all = torch.randint(0, 3, (n_train + n_val,), generator=generator)
    return (model, torch.utils.data.TensorDataset(x_all[:n_train], y_all[:n_train]),
            torch.utils.data.TensorDataset(x_all[n_train:], y_all[n_train:]))


@_oracle
def reference_training(seed=0, n_train=70, n_val=30, batch_size=16, epochs=2):
    """A plain loop on check_debugged_training's problem: each step's gradient (steps, parameters), and the
    (validation loss, accuracy) after each epoch."""
    import torch
    import torch.nn.functional as F

    model, train_set, val_set = _debug_problem(seed, n_train, n_val)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed + 2))
    gradients, history = [], []
    for _ in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            gradients.append(_flat(p.grad for p in model.parameters()))
            optimizer.step()
        model.eval()
        with torch.no_grad():
            x, y = val_set.tensors
            logits = model(x)
        history.append([F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).double().mean().item()])
    return np.stack(gradients), np.array(history)


def check_debugged_training(train, seed=0, n_train=70, n_val=30, batch_size=16, epochs=2):
    """Check a fixed ``train(model, train_set, val_set, optimizer, epochs, batch_size, generator)``.

    It must return one (validation loss, validation accuracy) pair per epoch. Watched on a small
    problem (70 training and 30 validation examples, batches of 16, 2 epochs, SGD with momentum):
    every epoch serves each training example once in a new shuffled order; every optimizer step is
    taken in training mode with the gradient a plain loop has there (that batch's mean cross-entropy
    of the logits, the batches drawn by DataLoader(train_set, batch_size, shuffle=True,
    generator=generator)); every validation pass runs in evaluation mode without a graph; the returned
    pairs are the mean loss per example and the accuracy of the weights at the end of each epoch.
    """
    __tracebackhide__ = True
    import torch

    model, train_set, val_set = _debug_problem(seed, n_train, n_val)
    x_all = torch.cat([train_set.tensors[0], val_set.tensors[0]])
    y_all = torch.cat([train_set.tensors[1], val_set.tensors[1]])
    row_index = {tuple(row.tolist()): i for i, row in enumerate(x_all)}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    names = [name for name, _ in model.named_parameters()]
    parameters = list(model.parameters())
    forwards = []
    model.register_forward_hook(lambda module, inputs, output: forwards.append(
        ([row_index.get(tuple(row.tolist()), -1) for row in inputs[0].detach().cpu()],
         module.training, torch.is_grad_enabled())))
    steps = _watch(optimizer, parameters, model, also=lambda: ([p.detach().clone() for p in parameters], len(forwards)))
    returned = train(model, train_set, val_set, optimizer, epochs, batch_size, torch.Generator().manual_seed(seed + 2))

    per_epoch = -(-n_train // batch_size)
    check_equal(len(steps), oracle(lambda: epochs * per_epoch), name=f"optimizer steps in {epochs} epochs",
                oracle=f"one per batch, {per_epoch} batches per epoch",
                hint="One optimizer.step() per training batch, inside the loop over the loader.")
    training = [np.array(rows, dtype=np.int64) for rows, _, grad in forwards if rows and rows[0] < n_train and grad]
    for epoch in range(epochs):
        check(training[epoch * per_epoch:(epoch + 1) * per_epoch],
              oracle(lambda: dict(n=n_train, sizes=[batch_size] * (n_train // batch_size) + [n_train % batch_size])),
              comparison="batches", name=f"the training batches of epoch {epoch + 1}",
              hint="Loop once over a DataLoader of train_set per epoch.")
    orders = [np.concatenate(training[e * per_epoch:(e + 1) * per_epoch] or [np.zeros(0, np.int64)])
              for e in range(epochs)]
    shuffle = ("Shuffle: DataLoader(train_set, batch_size, shuffle=True, generator=generator), a new order "
               "every epoch (and the argument generator makes it reproducible).")
    check(orders[0], oracle(np.arange, n_train), comparison="differs", name="the order of epoch 1",
          oracle="the order of the data set", hint=shuffle)
    check(orders, comparison="distinct", name="the orders of the epochs", oracle="each other", hint=shuffle)
    check_equal([training for _, training, _ in steps], oracle(lambda: [True] * (epochs * per_epoch)),
                name="training mode at each step", oracle="training mode at every step",
                hint="Call model.train() at the start of every epoch: the validation pass of the epoch before "
                     "switched the model to evaluation mode.")
    step_hints = None
    if not records.graded():   # the hint for each step: which classic bug explains the gradient used there
        step_hints = []
        for number, (grads, _, (weights, forwards_before)) in enumerate(steps):
            rows = [rows for rows, _, grad in forwards[:forwards_before] if rows and rows[0] < n_train and grad]
            hint = _diagnose_gradient(model, names, weights, grads, x_all[rows[-1]], y_all[rows[-1]]) if rows else None
            step_hints.append(ACCUMULATION_HINT if number and hint and hint.startswith("the gradient should") else hint)
    check(np.stack([_flat(grads) for grads, _, _ in steps]) if steps else None,
          oracle(lambda: reference_training(seed, n_train, n_val, batch_size, epochs)[0]), comparison="path", index_reads="(step, entry of all parameters one after another)",
          name="the gradient at each step", oracle="a plain loop's gradients (each batch's mean cross-entropy)",
          rtol=1e-4, atol=1e-6, step_hints=step_hints,
          hint={"nonfinite": NO_GRADIENT_HINT, "shape": "One optimizer.step() per batch (see the check of the steps)."})
    validation = [(is_training, grad) for rows, is_training, grad in forwards if rows and rows[0] >= n_train]
    check_equal([any(t for t, _ in validation), any(g for _, g in validation)], oracle(lambda: [False, False]),
                name="[validation in training mode, with a graph]", oracle="evaluation mode, no graph",
                hint="Call model.eval() before the validation loop (dropout and batch norm behave differently), "
                     "and run it under `with torch.no_grad():`; adding up loss tensors (not loss.item()) would "
                     "also keep every batch's graph alive.")
    try:
        history = np.array([[float(loss), float(accuracy)] for loss, accuracy in returned])
    except (TypeError, ValueError, RuntimeError):
        history = returned
    check_close(history, oracle(lambda: reference_training(seed, n_train, n_val, batch_size, epochs)[1]), rtol=1e-5,
                atol=1e-7, name="the returned (validation loss, accuracy) per epoch",
                oracle="the mean loss per example and the accuracy of the weights at each epoch's end",
                hint="Return one pair per epoch. Average the loss over examples (add loss.item() * len(y) per "
                     "batch, divide by the number of examples); count the correct predictions over the whole "
                     "validation set.")


HISTORY_KEYS = ("lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy")


def reference_fit(model, train_loader, val_loader, optimizer, scheduler, epochs):
    """A plain loop's history, as fit (chapter 6) keeps it: a dict of lists of HISTORY_KEYS, one entry per epoch.

    Per epoch: the learning rate, the mean batch loss (cross-entropy), then, in evaluation mode, the accuracy
    on train_loader's whole data set and the mean loss per example and accuracy on val_loader; then one
    scheduler step (if any). Trains ``model`` with ``optimizer`` in place; torch's global generator
    is drawn from by dropout only.
    """
    import torch
    import torch.nn.functional as F

    def assess(loader):
        x, y = (torch.cat(tensors) for tensors in zip(*loader))
        with torch.no_grad():
            logits = model(x)
        return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).double().mean().item()

    history = {key: [] for key in HISTORY_KEYS}
    in_order = torch.utils.data.DataLoader(train_loader.dataset, batch_size=len(train_loader.dataset))
    for _ in range(epochs):
        history["lr"].append(optimizer.param_groups[0]["lr"])
        model.train()
        losses = []
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history["train_loss"].append(float(np.mean(losses)))
        model.eval()
        history["train_accuracy"].append(assess(in_order)[1])
        val_loss, val_accuracy = assess(val_loader)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        if scheduler is not None:
            scheduler.step()
    return history
