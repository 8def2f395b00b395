"""Running optimizers with the course's update signature.

Every optimizer in the course is a function ``update(w, dw, config) -> (w, config)``:
it takes the weights ``w`` and their gradient ``dw`` (arrays of one shape) and a dict
``config`` holding its hyperparameters (``lr``, ``momentum``, ``beta1``, ``beta2``, ``eps``,
``weight_decay``, ...) and its state (velocities, moment estimates, the step count), and
returns the new weights and the updated dict.

``follow`` runs such an update for a number of steps; ``torch_update`` wraps a
``torch.optim`` optimizer in the same signature, so torch serves as the oracle, and as a
racer in the trajectory widget, without any other glue.
"""

import inspect

import numpy as np


def follow(update, grad, w0, steps, config=None, lrs=None, along=None):
    """Run ``steps`` updates from ``w0``; return every iterate.

    update: ``update(w, dw, config) -> (w, config)``.
    grad: ``grad(w) -> dw``, the gradient at ``w`` (same shape).
    w0: the start (it is not modified); config: hyperparameters (copied, not modified).
    lrs: optional learning rate per step (length ``steps``), set as ``config["lr"]``
        before each update: a learning-rate schedule.
    along: optional path of shape (steps + 1, *w0.shape) (e.g. ``glide``): update t then gets the
        gradient at ``along[t - 1]`` instead of at w. Two implementations of one optimizer fed
        the same gradients stay within rounding of each other; left to their own gradients,
        an optimizer that steps by about lr whatever the gradient's size (RMSprop, Adam near a
        minimum) can amplify a difference in the last bit to one in the second digit.
    Returns an array of shape (steps + 1, *w0.shape) whose row t is w after t updates.
    Once an iterate is NaN or infinite (a diverging run) the remaining rows are NaN.
    """
    w = np.array(w0, dtype=np.float64)
    config = dict(config or {})
    path = np.full((steps + 1, *w.shape), np.nan)
    path[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            if lrs is not None:
                config["lr"] = lrs[t - 1]
            w, config = update(w, grad(w if along is None else along[t - 1]), config)
            path[t] = w
            if not np.all(np.isfinite(path[t])):
                break
    return path


def glide(w0, steps, target=0.0, rate=0.97):
    """Points gliding from ``w0`` towards ``target``: row t is target + (w0 - target) * rate**t.

    Shape (steps + 1, *w0.shape). As ``along`` for ``follow``, they make the gradients two
    optimizers get the same at every step, whatever either did before (see follow).
    """
    w0 = np.asarray(w0, dtype=np.float64)
    t = rate ** np.arange(steps + 1).reshape(-1, *[1] * w0.ndim)
    return target + (w0 - target) * t


# config keys -> the torch.optim argument each one sets
_TORCH_ARGUMENTS = {"lr": "lr", "momentum": "momentum", "alpha": "alpha", "eps": "eps",
                    "weight_decay": "weight_decay", "lr_decay": "lr_decay"}


def torch_update(optimizer_class, **options):
    """A ``torch.optim`` optimizer with the course's update signature.

    ``torch_update(torch.optim.Adam)`` returns ``update(w, dw, config)``. On its first call it
    builds the optimizer for one float64 parameter, taking ``lr``, ``momentum``, ``alpha``,
    ``eps``, ``weight_decay``, ``lr_decay`` and ``beta1``/``beta2`` (as ``betas``) from
    ``config`` where the class accepts them, plus ``options`` (e.g. ``nesterov=True``); it keeps
    the optimizer in ``config["torch_optimizer"]``. Each call then runs one ``step()`` with
    the learning rate ``config["lr"]`` holds at that moment (so schedules apply).
    """
    import torch

    accepted = inspect.signature(optimizer_class).parameters

    def update(w, dw, config=None):
        config = {} if config is None else config
        if "torch_optimizer" not in config:
            arguments = {arg: config[key] for key, arg in _TORCH_ARGUMENTS.items()
                         if key in config and arg in accepted}
            if "betas" in accepted and ("beta1" in config or "beta2" in config):
                arguments["betas"] = (config.get("beta1", 0.9), config.get("beta2", 0.999))
            parameter = torch.zeros(np.shape(w), dtype=torch.float64, requires_grad=True)
            config["torch_optimizer"] = optimizer_class([parameter], **arguments, **options)
        optimizer = config["torch_optimizer"]
        if "lr" in config:
            optimizer.param_groups[0]["lr"] = config["lr"]
        parameter = optimizer.param_groups[0]["params"][0]
        with torch.no_grad():
            parameter.copy_(torch.as_tensor(np.asarray(w, dtype=np.float64)))
        parameter.grad = torch.as_tensor(np.array(dw, dtype=np.float64))
        optimizer.step()
        return parameter.detach().numpy().copy(), config

    update.__name__ = f"torch_{optimizer_class.__name__}"
    return update


def scheduled_lrs(scheduler_class, lr, steps, **options):
    """The learning rates a ``torch.optim.lr_scheduler`` class gives for steps 0 .. steps - 1.

    ``scheduled_lrs(torch.optim.lr_scheduler.ExponentialLR, 0.1, 50, gamma=0.9)``: an SGD
    optimizer starting at ``lr`` is stepped with the scheduler once per step. Returns (steps,).
    """
    import torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = scheduler_class(optimizer, **options)
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(lrs)
