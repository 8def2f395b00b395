"""Right answers written differently, for every chapter: each must earn full marks
(tests/test_different_submissions.py grades them in one batch).

Each case is one exercise's solution cell (by grade_id) as a student might write it: another order of
operations, an equivalent formula, the notebook's own helpers or helpers of their own, extra prints,
dict keys or state, list comprehensions, copies. Cases that do not interact share a notebook: NOTEBOOKS
maps each chapter to its notebooks, each a list of cases.

Two of them lost points to the grader before its verdicts left the kernel (issue 14): a student's own
``sigmoid`` in chapter 2 (the set-up cell, run again before each test cell, put scipy's back: 3 points)
and a ``fit`` with one more history key in chapter 6 ("expected 6 checks and saw 7": 1 point).
"""

import json
from pathlib import Path

SOLUTIONS_DIR = Path(__file__).resolve().parent.parent / "solutions"


def rewritten(chapter, cell, *replacements):
    """The reference's solution cell ``cell`` (without its solution markers), with each (old, new) of
    ``replacements`` made: for cells that hold a whole class of which the exercise is a few methods."""
    def code():
        notebook = json.loads(next((SOLUTIONS_DIR / chapter).glob("*.ipynb")).read_text())
        source = next("".join(c["source"]) for c in notebook["cells"]
                      if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == cell)
        source = "\n".join(line for line in source.splitlines() if line.strip() not in (
            "### BEGIN SOLUTION", "### END SOLUTION")) + "\n"
        for old, new in replacements:
            assert source.count(old) == 1, f"{chapter} {cell}: {old!r} is not in the reference once"
            source = source.replace(old, new)
        return source
    return code


CHAPTER_1 = {
    "sigmoid": ('def sigmoid(z):\n    """The logistic sigmoid, as tanh: 1 / (1 + exp(-z)) = (1 + tanh(z / 2)) / 2."""\n'
                '    z = np.asarray(z)\n    return 0.5 * (1 + np.tanh(z / 2))\n', "the tanh identity"),
    "mse": ('def mse(pred, target):\n    errors = target - pred\n    print("mse of", errors.size, "errors")\n'
            '    return (errors * errors).sum() / errors.size\n', "sum / size, a print"),
    "l1": ("def l1(pred, target):\n    return np.abs(target - pred).sum() / np.size(pred)\n", "sum / size"),
    "bce": ('def bce(p, y):\n    with np.errstate(divide="ignore"):\n'
            '        terms = y * np.clip(np.log(p), -100, None) + (1 - y) * np.clip(np.log1p(-p), -100, None)\n'
            "    return -terms.mean()\n", "np.clip and log1p(-p)"),
    "bce_with_logits": ("def bce_with_logits(z, y):\n    return np.mean(np.logaddexp(0, z) - z * y)\n",
                        "softplus as np.logaddexp"),
    "log_softmax": ("from scipy.special import logsumexp\n\n\ndef log_softmax(z):\n"
                    "    return z - logsumexp(z, axis=-1, keepdims=True)\n", "z - logsumexp(z) (scipy)"),
    "cross_entropy": ("def cross_entropy(logits, target):\n"
                      "    picked = np.take_along_axis(log_softmax(logits), target[:, None], axis=1)\n"
                      "    return -picked.mean()\n", "np.take_along_axis"),
    "cross_entropy_grad": ("def cross_entropy_grad(logits, target):\n"
                           "    p = np.exp(logits - logits.max(axis=1, keepdims=True))\n"
                           "    p = p / p.sum(axis=1, keepdims=True)\n"
                           "    one_hot = np.eye(logits.shape[1], dtype=logits.dtype)[target]\n"
                           "    return (p - one_hot) / len(target)\n", "softmax minus an identity row, own softmax"),
    "sequence_nll": ("def sequence_nll(next_token_logits, tokens):\n"
                     "    return -float(sum(log_softmax(next_token_logits(tokens[:t]))[token]\n"
                     "                      for t, token in enumerate(tokens)))\n", "a generator expression"),
}

CHAPTER_2 = {
    "gradient_step": ('def gradient_step(w, dw, config):\n    new_w = np.array(w, copy=True)\n'
                      '    new_w -= config["lr"] * dw\n    return new_w, config\n', "in place on a copy"),
    "classify_stationary_point": (
        "def classify_stationary_point(hessian, tol=1e-8):\n    eigenvalues = np.linalg.eigvalsh(hessian)\n"
        "    positive, negative = np.sum(eigenvalues > tol), np.sum(eigenvalues < -tol)\n"
        '    if positive and negative:\n        return "saddle"\n'
        '    return {len(eigenvalues): "minimum", -len(eigenvalues): "maximum"}.get(positive - negative if '
        'positive + negative == len(eigenvalues) else None, "degenerate")\n', "counting eigenvalues"),
    "mse_gradient": ("def mse_gradient(X, y, w):\n    residual = X @ w - y\n    return 2 * (residual @ X) / len(X)\n",
                     "residual @ X"),
    "bce_gradient": ("def sigmoid(z, temperature=1.0):\n"
                     '    """My own sigmoid, from chapter 1, with a temperature."""\n'
                     "    return 0.5 * (1 + np.tanh(z / (2 * temperature)))\n\n\n"
                     "def bce_gradient(X, y, w):\n    return X.T @ (sigmoid(X @ w, temperature=1.0) - y) / len(y)\n",
                     "their own sigmoid, with an argument more than the set-up's"),
    "numerical_gradient": (
        'def numerical_gradient(f, x, h, method="central"):\n    if method not in ("forward", "central"):\n'
        '        raise ValueError(method)\n    x = np.array(x, dtype=np.float64)\n    grad = np.zeros(x.size)\n'
        "    for i in range(x.size):\n        step = np.zeros(x.size)\n        step[i] = h\n"
        "        step = step.reshape(x.shape)\n"
        '        if method == "forward":\n            grad[i] = (float(f(x + step)) - float(f(x))) / h\n'
        "        else:\n            grad[i] = (float(f(x + step)) - float(f(x - step))) / (2 * h)\n"
        "    return grad.reshape(x.shape)\n", "a step vector per coordinate, f(x) recomputed"),
    "minibatches": ("def minibatches(n, batch_size, rng):\n"
                    "    return np.array_split(rng.permutation(n), range(batch_size, n, batch_size))\n",
                    "np.array_split"),
    "train": ("def train(grad_fn, loss_fn, w0, X, y, lr, epochs, batch_size, rng):\n"
              "    w = np.asarray(w0, dtype=np.float64).copy()\n    losses = [loss_fn(X, y, w)]\n"
              "    for epoch in range(epochs):\n        for batch in minibatches(len(y), batch_size, rng):\n"
              "            w = w - lr * grad_fn(X[batch], y[batch], w)\n        losses.append(loss_fn(X, y, w))\n"
              '        print(f"epoch {epoch + 1}: loss {losses[-1]:.4f}")\n    return w, np.array(losses)\n',
              "its own step, a print per epoch"),
    "largest_stable_lr": (
        "def largest_stable_lr(hessian_vector_product, dim, iterations=500, seed=0):\n"
        "    v = np.random.default_rng(seed).normal(size=dim)\n    v = v / np.sqrt(v @ v)\n"
        "    for _ in range(iterations):\n        Hv = hessian_vector_product(v)\n        rayleigh = float(v @ Hv)\n"
        "        v = Hv / np.sqrt(Hv @ Hv)\n    return 2.0 / rayleigh\n", "norms as square roots"),
}

DEFAULTS = {"sgd_momentum": '    config.setdefault("lr", 1e-2)\n    config.setdefault("momentum", 0.9)\n'
                            '    config.setdefault("weight_decay", 0.0)\n',
            "adagrad": '    config.setdefault("lr", 1e-2)\n    config.setdefault("eps", 1e-10)\n'
                       '    config.setdefault("weight_decay", 0.0)\n',
            "rmsprop": '    config.setdefault("lr", 1e-2)\n    config.setdefault("alpha", 0.99)\n'
                       '    config.setdefault("eps", 1e-8)\n    config.setdefault("weight_decay", 0.0)\n',
            "adam": '    config.setdefault("lr", 1e-3)\n    config.setdefault("beta1", 0.9)\n'
                    '    config.setdefault("beta2", 0.999)\n    config.setdefault("eps", 1e-8)\n'
                    '    config.setdefault("weight_decay", 0.0)\n'}


def optimizer(name, body, defaults=None):
    return (f"def {name}(w, dw, config=None):\n    config = {{}} if config is None else config\n"
            f"{DEFAULTS[defaults or name]}{body}")


CHAPTER_3 = {
    "sgd_momentum": (optimizer("sgd_momentum", (
        '    dw = dw + config["weight_decay"] * w\n    velocity = config.get("velocity")\n'
        '    velocity = dw.copy() if velocity is None else config["momentum"] * velocity + dw\n'
        '    config["velocity"] = velocity\n    return w - config["lr"] * velocity, config\n')),
        "the first velocity is the gradient, as torch starts it"),
    "nesterov": (optimizer("nesterov", (
        '    dw = dw + config["weight_decay"] * w\n'
        '    config["velocity"] = config["momentum"] * config.get("velocity", 0.0) + dw\n'
        '    step = dw + config["momentum"] * config["velocity"]\n    return w - config["lr"] * step, config\n'),
        "sgd_momentum"), "the step computed apart"),
    "adagrad": (optimizer("adagrad", (
        '    dw = dw + config["weight_decay"] * w\n    config.setdefault("sum_sq", np.zeros_like(w))\n'
        '    config["sum_sq"] += dw**2\n    config["steps"] = config.get("steps", 0) + 1\n'
        '    return w - config["lr"] * dw / (np.sqrt(config["sum_sq"]) + config["eps"]), config\n')),
        "state updated in place, a step count of its own"),
    "rmsprop": (optimizer("rmsprop", (
        '    dw = dw + config["weight_decay"] * w\n'
        '    square_avg = config.get("square_avg", np.zeros_like(w)) * config["alpha"]\n'
        '    square_avg = square_avg + (1 - config["alpha"]) * dw**2\n    config["square_avg"] = square_avg\n'
        '    return w - config["lr"] * dw / (np.sqrt(square_avg) + config["eps"]), config\n')),
        "torch's order: alpha times the average, then the new term"),
    "adam": (optimizer("adam", (
        '    dw = dw + config["weight_decay"] * w\n    beta1, beta2 = config["beta1"], config["beta2"]\n'
        '    t = config["t"] = config.get("t", 0) + 1\n'
        '    m = config["m"] = beta1 * config.get("m", 0.0) + (1 - beta1) * dw\n'
        '    v = config["v"] = beta2 * config.get("v", 0.0) + (1 - beta2) * dw * dw\n'
        '    step_size = config["lr"] / (1 - beta1**t)\n'
        '    denominator = np.sqrt(v) / np.sqrt(1 - beta2**t) + config["eps"]\n'
        '    return w - step_size * m / denominator, config\n')), "torch's formula: step size and denominator"),
    "adamw": (optimizer("adamw", (
        '    beta1, beta2, lr = config["beta1"], config["beta2"], config["lr"]\n'
        '    w = w - lr * config["weight_decay"] * w\n    t = config["t"] = config.get("t", 0) + 1\n'
        '    m = config["m"] = beta1 * config.get("m", 0.0) + (1 - beta1) * dw\n'
        '    v = config["v"] = beta2 * config.get("v", 0.0) + (1 - beta2) * dw * dw\n'
        '    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)\n'
        '    return w - lr * m_hat / (np.sqrt(v_hat) + config["eps"]), config\n'), "adam").replace(
        'config.setdefault("weight_decay", 0.0)', 'config.setdefault("weight_decay", 1e-2)'),
        "written out, not through adam"),
    "decay_schedules": (
        "def linear_lr(t, lr0, lr_end, total):\n    return np.interp(t, [0, total], [lr0, lr_end])\n\n\n"
        "def exponential_lr(t, lr0, c, s):\n    return lr0 * np.exp(np.log(c) * np.asarray(t) / s)\n\n\n"
        "def cosine_lr(t, lr0, lr_min, total):\n"
        "    return lr_min + (lr0 - lr_min) * np.cos(np.pi * np.asarray(t) / (2 * total)) ** 2\n",
        "np.interp, exp(log c), cos squared"),
    "power_and_warmup": (
        "def power_lr(t, lr0, s, c):\n    return lr0 / (1 + np.asarray(t) / s) ** -c\n\n\n"
        "def transformer_lr(t, d_model, warmup):\n    t = np.asarray(t, dtype=float)\n"
        "    return np.where(t < warmup, t / warmup**1.5, 1 / np.sqrt(t)) / np.sqrt(d_model)\n",
        "a division, np.where for the warmup"),
    "state_per_parameter": (
        "def state_per_parameter(optimizer, model):\n    parameters = list(model.parameters())\n    stored = 0\n"
        "    for parameter in parameters:\n        for value in optimizer.state.get(parameter, {}).values():\n"
        "            if isinstance(value, torch.Tensor) and value.shape == parameter.shape:\n"
        "                stored += value.numel()\n    return stored / sum(p.numel() for p in parameters)\n",
        "loops over the model's parameters"),
    "init": ("def xavier_uniform(fan_in, fan_out, rng):\n    limit = (6.0 / (fan_in + fan_out)) ** 0.5\n"
             "    return rng.uniform(low=-limit, high=limit, size=(fan_in, fan_out))\n\n\n"
             "def he_normal(fan_in, fan_out, rng):\n"
             "    return rng.normal(loc=0.0, scale=(2.0 / fan_in) ** 0.5, size=(fan_in, fan_out))\n",
             "powers of 0.5, keyword arguments"),
}

CHAPTER_6 = {
    "dataset": ('class DigitsDataset(Dataset):\n    def __init__(self, X, y):\n'
                '        self.X = torch.from_numpy(np.asarray(X, dtype=np.float32))\n'
                '        self.y = torch.tensor(np.asarray(y)).long()\n\n'
                '    def __len__(self):\n        return self.X.shape[0]\n\n'
                '    def __getitem__(self, i):\n        return self.X[i], self.y[i]\n', "from_numpy, .long()"),
    "mlp": ("class MLP(nn.Module):\n    def __init__(self, n_in=64, n_hidden=64, n_out=10, dropout=0.0):\n"
            "        super().__init__()\n        self.layers = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(),\n"
            "                                    nn.Dropout(dropout), nn.Linear(n_hidden, n_out))\n\n"
            "    def forward(self, x):\n        return self.layers(x)\n", "an nn.Sequential inside"),
    "train_one_epoch": (
        "def train_one_epoch(model, loader, optimizer, loss_fn=F.cross_entropy):\n    model.train(True)\n"
        "    losses = []\n    for x, y in tqdm(loader, desc=\"batches\", leave=False):\n"
        "        optimizer.zero_grad(set_to_none=True)\n"
        "        loss = loss_fn(model(x.to(device)), y.to(device))\n        loss.backward()\n"
        "        optimizer.step()\n        losses.append(float(loss))\n    return losses\n",
        "the notebook's own progress bar over the batches"),
    "train_one_epoch:own tqdm": (
        "class tqdm:  # my own progress bar: none\n"
        "    def __init__(self, iterable, **options):\n        self.iterable = iterable\n\n"
        "    def __iter__(self):\n        return iter(self.iterable)\n\n"
        "    def set_postfix(self, **values):\n        pass\n\n\n"
        "def train_one_epoch(model, loader, optimizer, loss_fn=F.cross_entropy):\n    model.train()\n    losses = []\n"
        "    for x, y in tqdm(loader, leave=False):\n        optimizer.zero_grad()\n"
        "        loss = loss_fn(model(x), y)\n        loss.backward()\n        optimizer.step()\n"
        "        losses.append(loss.item())\n    return losses\n", "a tqdm of their own"),
    "evaluate": (
        "def evaluate(model, loader, loss_fn=F.cross_entropy):\n    model.eval()\n    losses, sizes, hits = [], [], 0\n"
        "    with torch.inference_mode():\n        for x, y in loader:\n"
        "            logits = model(x.to(device))\n            losses.append(loss_fn(logits, y.to(device)).item())\n"
        "            sizes.append(len(y))\n            hits += int((logits.argmax(-1).cpu() == y).sum())\n"
        "    return float(np.average(losses, weights=sizes)), hits / sum(sizes)\n",
        "inference_mode, np.average with weights"),
    "evaluate:float32 accuracy": (
        "def evaluate(model, loader, loss_fn=F.cross_entropy):\n    model.eval()\n    total, accuracy, count = 0.0, 0.0, 0\n"
        "    with torch.no_grad():\n        for x, y in loader:\n            logits = model(x)\n"
        "            total += loss_fn(logits, y).item() * len(y)\n"
        "            accuracy += (logits.argmax(1) == y).float().mean().item() * len(y)\n            count += len(y)\n"
        "    return total / count, accuracy / count\n", "each batch's accuracy a float32 mean"),
    "fit": (
        "def fit(model, train_loader, val_loader, optimizer, scheduler, epochs, loss_fn=F.cross_entropy,\n"
        "        on_epoch_end=None, progress=True):\n"
        '    history = {key: [] for key in ("lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy", '
        '"batches")}\n'
        "    for epoch in tqdm(range(epochs), disable=not progress):\n"
        '        history["lr"].append(optimizer.param_groups[0]["lr"])\n'
        "        losses = train_one_epoch(model, train_loader, optimizer, loss_fn)\n"
        '        history["batches"].append(len(losses))\n        history["train_loss"].append(sum(losses) / len(losses))\n'
        "        in_order = DataLoader(train_loader.dataset, batch_size=256)\n"
        '        history["train_accuracy"].append(evaluate(model, in_order, loss_fn)[1])\n'
        "        for key, value in zip((\"val_loss\", \"val_accuracy\"), evaluate(model, val_loader, loss_fn)):\n"
        "            history[key].append(value)\n        if scheduler:\n            scheduler.step()\n"
        "        if on_epoch_end:\n            on_epoch_end(history)\n    return history\n",
        "a history key of its own (batches per epoch), sum / len"),
    "train_and_validate": (
        "def train_and_validate(model, train_set, val_set, optimizer, epochs, batch_size=64, generator=None):\n"
        "    device = next(model.parameters()).device\n"
        "    batches = DataLoader(train_set, batch_size, shuffle=True, generator=generator)\n    history = []\n"
        "    for _ in range(epochs):\n        model.train()\n        for x, y in batches:\n"
        "            optimizer.zero_grad()\n            F.cross_entropy(model(x.to(device)), y.to(device)).backward()\n"
        "            optimizer.step()\n        model.eval()\n        with torch.no_grad():\n"
        "            x, y = map(torch.stack, zip(*[val_set[i] for i in range(len(val_set))]))\n"
        "            logits = model(x.to(device))\n"
        "            loss = F.cross_entropy(logits, y.to(device), reduction='sum').item() / len(val_set)\n"
        "            accuracy = (logits.argmax(1).cpu() == y).float().mean().item()\n"
        "        history.append((loss, accuracy))\n    return history\n",
        "the validation set in one batch, accuracy as a float32 mean"),
    "seed_everything": ("def seed_everything(seed):\n    torch.manual_seed(seed)\n    np.random.seed(seed)\n"
                        "    random.seed(seed)\n    generator = torch.Generator()\n    generator.manual_seed(seed)\n"
                        "    return generator\n", "another order"),
    "checkpoint": (
        "def save_checkpoint(path, model, optimizer, scheduler, generator, epoch):\n"
        "    state = {\"weights\": model.state_dict(), \"optim\": optimizer.state_dict(),\n"
        "             \"sched\": scheduler.state_dict(), \"data_order\": generator.get_state(),\n"
        "             \"torch_rng\": torch.get_rng_state(), \"epochs_done\": epoch, \"note\": \"my checkpoint\"}\n"
        "    torch.save(state, str(path))\n\n\n"
        "def load_checkpoint(path, model, optimizer, scheduler, generator):\n    state = torch.load(str(path))\n"
        "    model.load_state_dict(state[\"weights\"])\n    optimizer.load_state_dict(state[\"optim\"])\n"
        "    scheduler.load_state_dict(state[\"sched\"])\n    generator.set_state(state[\"data_order\"])\n"
        "    torch.set_rng_state(state[\"torch_rng\"])\n    return state[\"epochs_done\"]\n",
        "other key names, an extra entry, the CPU only"),
    "cross_entropy_grad": (
        "def cross_entropy_grad(logits, y):\n    z = logits - logits.max(axis=1, keepdims=True)\n"
        "    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n"
        "    return (np.exp(log_p) - np.eye(logits.shape[1])[y]) / len(y)\n", "exp of log-softmax"),
    "mlp_backward": (
        "def mlp_backward(dlogits, cache):\n    X, a1, h1, params = cache\n"
        "    da1 = np.where(a1 > 0, dlogits @ params[\"W2\"].T, 0.0)\n"
        "    grads = dict(W2=h1.T @ dlogits, b2=np.sum(dlogits, axis=0), W1=X.T @ da1, b1=np.sum(da1, axis=0))\n"
        "    grads[\"X\"] = da1 @ params[\"W1\"].T  # the input's gradient too\n    return grads\n",
        "np.where, another key order, an extra key"),
}

CHAPTER_4 = {
    "affine": ('def affine_forward(x, W, b):\n    return np.einsum("nd,dm->nm", x, W) + b, (x, W, b)\n\n\n'
               'def affine_backward(dout, cache):\n    x, W, _ = cache\n'
               '    return np.einsum("nm,dm->nd", dout, W), np.einsum("nd,nm->dm", x, dout), np.sum(dout, axis=0)\n',
               "np.einsum, the bias in the cache too"),
    "two_layer": ('def two_layer_forward(X, params):\n    a1, first = affine_forward(X, params["W1"], params["b1"])\n'
                  '    out, second = affine_forward(np.tanh(a1), params["W2"], params["b2"])\n'
                  '    return out, {"first": first, "a1": a1, "second": second}\n\n\n'
                  'def two_layer_backward(dout, cache):\n    dh1, dW2, db2 = affine_backward(dout, cache["second"])\n'
                  '    _, dW1, db1 = affine_backward(dh1 / np.cosh(cache["a1"]) ** 2, cache["first"])\n'
                  '    return dict(b2=db2, W2=dW2, b1=db1, W1=dW1)\n', "a dict cache, tanh' as 1 / cosh²"),
    "forward_trace": (rewritten("04_backprop", "forward_trace",
                                ("dv4 = np.cos(v2) * dv2", "dv4 = dv2 * np.cos(v2)"),
                                ("dv5 = v5 * dv3", "dv5 = np.exp(v3) * dv3"),
                                ("dv7 = dv5 + dv6", "dv7 = dv6 + dv5")), "other orders, exp recomputed"),
    "dual": (rewritten("04_backprop", "dual",
                       ("return Dual(self.primal * other.primal, self.tangent * other.primal + self.primal * "
                        "other.tangent)", "return Dual(other.primal * self.primal, other.primal * self.tangent + "
                        "other.tangent * self.primal)"),
                       ("quotient = self.primal / other.primal\n        return Dual(quotient, (self.tangent - "
                        "quotient * other.tangent) / other.primal)",
                        "return Dual(self.primal / other.primal,\n                    (self.tangent * other.primal"
                        " - self.primal * other.tangent) / other.primal**2)"),
                       ("s = 0.5 * (1 + np.tanh(0.5 * self.primal))", "s = np.exp(-np.logaddexp(0.0, -self.primal))"),
                       ("return Dual(np.log(self.primal), self.tangent / self.primal)",
                        "return Dual(np.log(self.primal), self.tangent * (1 / self.primal))")),
             "the quotient rule, sigmoid through logaddexp"),
    "reverse_trace": (rewritten("04_backprop", "reverse_trace",
                                ("v3_bar = v5_bar * v5 + v6_bar", "v3_bar = v6_bar + v5_bar * np.exp(v3)"),
                                ("v2_bar = v3_bar * v1 + v4_bar * np.cos(v2)",
                                 "v2_bar = np.cos(v2) * v4_bar + v1 * v3_bar")), "other orders"),
    "topological_order": (
        "def topological_order(root):\n    order, seen, stack = [], {id(root)}, [(root, iter(root.parents))]\n"
        "    while stack:\n        node, parents = stack[-1]\n        for parent in parents:\n"
        "            if id(parent) not in seen:\n                seen.add(id(parent))\n"
        "                stack.append((parent, iter(parent.parents)))\n                break\n"
        "        else:\n            stack.pop()\n            order.append(node)\n    return order\n",
        "a depth-first search with an iterator per node: another valid order"),
    "value": (rewritten("04_backprop", "value",
                        ("self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
                         "self.grad += out.grad * other.data\n            other.grad += out.grad * self.data"),
                        ("self.grad += out.data * out.grad", "self.grad += math.exp(self.data) * out.grad"),
                        ("self.grad += (self.data > 0) * out.grad", "self.grad += out.grad if self.data > 0 else 0.0"),
                        ("order = topological_order(self)\n        for node in order:\n            if node.parents:\n"
                         "                node.grad = 0.0",
                         "order = topological_order(self)\n        for node in [n for n in order if n.parents]:\n"
                         "            node.grad = 0.0")), "other orders, exp recomputed, a list comprehension"),
    "jacobians": (
        "def jacobian_forward(f, x):\n    n = len(x)\n"
        "    return np.column_stack([[out.tangent for out in f([Dual(x[k], float(k == j)) for k in range(n)])]\n"
        "                            for j in range(n)]).astype(float)\n\n\n"
        "def jacobian_reverse(f, x):\n    inputs = [Value(value) for value in x]\n    J = []\n"
        "    for output in f(inputs):\n        for v in inputs:\n            v.grad = 0.0\n        output.backward()\n"
        "        J.append([v.grad for v in inputs])\n    return np.asarray(J, dtype=np.float64)\n",
        "np.column_stack of comprehensions"),
    "jacobian_rows": ("def jacobian_rows(f, x):\n    x = x.clone().requires_grad_()\n    y = f(x)\n    rows = []\n"
                      "    for i in range(y.shape[0]):\n        (row,) = torch.autograd.grad(y[i], [x], retain_graph=True)\n"
                      "        rows.append(row)\n    return torch.vstack(rows)\n", "clone, vstack"),
    "accumulated_gradients": (
        "def accumulated_gradients(model, loss_fn, X, y, micro_batch):\n    for p in model.parameters():\n"
        "        p.grad = None\n    for X_k, y_k in zip(X.split(micro_batch), y.split(micro_batch)):\n"
        "        loss = loss_fn(model(X_k), y_k) * (len(X_k) / len(X))\n        loss.backward()\n",
        "grads set to None, tensor.split"),
}

CHAPTER_5 = {
    "batchnorm_forward": (rewritten(
        "05_normalization", "batchnorm_forward",
        ("        mean = x.mean(axis=0)\n        xc = x - mean\n        var = (xc**2).mean(axis=0)\n",
         "        mean, var = np.mean(x, axis=0), np.var(x, axis=0)\n        xc = x - mean\n"),
        ('bn_param["running_var"] = (1 - momentum) * running_var + momentum * var * N / (N - 1)',
         'bn_param["running_var"] = running_var + momentum * (np.var(x, axis=0, ddof=1) - running_var)'),
        ("out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
         "scale = gamma / np.sqrt(running_var + eps)\n        out = x * scale + (beta - running_mean * scale)")),
        "np.var with ddof=1, running averages as r + m (s - r), evaluation as one scale and shift"),
    "batchnorm_backward": (
        "def batchnorm_backward(dout, cache):\n    xhat, xc, std, gamma = cache\n"
        "    dxhat = dout * gamma\n"
        "    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std\n"
        "    return dx, np.einsum('nd,nd->d', dout, xhat), dout.sum(0)\n", "the closed form, with means"),
    "batchnorm_backward_closed_form": (
        "def batchnorm_backward_closed_form(dout, cache):\n    xhat, _, std, gamma = cache\n    N = dout.shape[0]\n"
        "    dbeta, dgamma = dout.sum(axis=0), (dout * xhat).sum(axis=0)\n"
        "    return (gamma / std) * (dout - dbeta / N - xhat * dgamma / N), dgamma, dbeta\n", "divided through by N"),
    "layernorm_forward": (
        'def layernorm_forward(x, gamma, beta, ln_param):\n    eps = ln_param.get("eps", 1e-5)\n'
        "    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)\n    xhat = (x - x.mean(axis=1, keepdims=True)) / std\n"
        "    return xhat * gamma + beta, {'xhat': xhat, 'std': std, 'gamma': gamma, 'x': x}\n",
        "np.var, a dict cache with an extra entry"),
    "layernorm_backward": (
        "def layernorm_backward(dout, cache):\n    xhat, std, gamma = cache['xhat'], cache['std'], cache['gamma']\n"
        "    dxhat = dout * gamma\n    dx = (dxhat - dxhat.mean(axis=1, keepdims=True)\n"
        "          - xhat * (dxhat * xhat).mean(axis=1, keepdims=True)) / std\n"
        "    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)\n", "means instead of sums over D"),
    "rmsnorm": (
        'def rmsnorm_forward(x, gamma, rms_param):\n    eps = rms_param.get("eps", 1e-5)\n'
        "    rms = np.sqrt(np.mean(np.square(x), axis=1, keepdims=True) + eps)\n"
        "    return x * (gamma / rms), (x / rms, rms, gamma)\n\n\n"
        "def rmsnorm_backward(dout, cache):\n    xhat, rms, gamma = cache\n    dxhat = dout * gamma\n"
        "    projection = np.einsum('nd,nd->n', dxhat, xhat)[:, None] / xhat.shape[1]\n"
        "    return dxhat / rms - xhat * projection / rms, np.einsum('nd,nd->d', dout, xhat)\n\n\n"
        "x_check = np.random.default_rng(0).normal(size=(64, 256))\n"
        "print(f\"{seconds_per_call(rmsnorm_forward, x_check, np.ones(256), {}) * 1e6:.0f} µs per call\")\n",
        "x * (gamma / rms), einsum, timed with the notebook's seconds_per_call: the timing demo that defines "
        "it is skipped when grading, except where the student's code needs it"),
}

SOLUTIONS = {"01_losses": CHAPTER_1, "02_gradient_descent": CHAPTER_2, "03_optimizers": CHAPTER_3,
             "04_backprop": CHAPTER_4, "05_normalization": CHAPTER_5, "06_training_loop": CHAPTER_6}


def cell_of(case):
    """The grade_id a case replaces: "train_one_epoch:own tqdm" is a second way to write train_one_epoch."""
    return case.split(":")[0]


def code(chapter, case):
    """The source of a case's solution cell."""
    source = SOLUTIONS[chapter][case][0]
    return source() if callable(source) else source


def notebooks(chapter):
    """The chapter's cases packed into as few notebooks as can be, no two cases for the same cell in one."""
    packed = [[]]
    for case in SOLUTIONS[chapter]:
        for notebook in packed:
            if cell_of(case) not in map(cell_of, notebook):
                notebook.append(case)
                break
        else:
            packed.append([case])
    return packed


NOTEBOOKS = {chapter: notebooks(chapter) for chapter in SOLUTIONS}
