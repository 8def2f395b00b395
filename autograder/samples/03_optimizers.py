"""A synthetic class for chapter 3: what each student handed in and the score it must earn.

Out of 30 points: 10 exercises, 1 point per visible test and 2 per hidden test.
See autograder/samples/01_losses.py for the format.
"""

SUBMISSIONS = [
    dict(student="ada", about="everything right", base="solution", cells={}, score=30),
    dict(student="bo", about="handed in untouched", base="release", cells={}, score=0),
    dict(
        student="cal",
        about="Adam without bias correction",
        base="solution",
        cells={"adam": (
            "def adam(w, dw, config=None):\n"
            "    config = {} if config is None else config\n"
            "    for key, value in [('lr', 1e-3), ('beta1', 0.9), ('beta2', 0.999), ('eps', 1e-8),\n"
            "                       ('weight_decay', 0.0)]:\n"
            "        config.setdefault(key, value)\n"
            "    dw = dw + config['weight_decay'] * w\n"
            "    config['m'] = config['beta1'] * config.get('m', 0.0) + (1 - config['beta1']) * dw\n"
            "    config['v'] = config['beta2'] * config.get('v', 0.0) + (1 - config['beta2']) * dw**2\n"
            "    return w - config['lr'] * config['m'] / (np.sqrt(config['v']) + config['eps']), config\n")},
        score=24,  # adam loses 3, and so does adamw, which calls it
    ),
    dict(
        student="dan",
        about="AdamW with the weight decay added to the gradient (L2) instead of decoupled",
        base="solution",
        cells={"adamw": (
            "def adamw(w, dw, config=None):\n"
            "    config = {} if config is None else config\n"
            "    config.setdefault('lr', 1e-3)\n"
            "    config.setdefault('weight_decay', 1e-2)\n"
            "    return adam(w, dw, config)\n")},
        score=27,
    ),
    dict(
        student="eli",
        about="momentum in the textbook form v = mu v - lr dw: right until the learning rate changes",
        base="solution",
        cells={"sgd_momentum": (
            "def sgd_momentum(w, dw, config=None):\n"
            "    config = {} if config is None else config\n"
            "    config.setdefault('lr', 1e-2)\n"
            "    config.setdefault('momentum', 0.9)\n"
            "    config.setdefault('weight_decay', 0.0)\n"
            "    dw = dw + config['weight_decay'] * w\n"
            "    config['velocity'] = config['momentum'] * config.get('velocity', 0.0) - config['lr'] * dw\n"
            "    return w + config['velocity'], config\n")},
        score=27,  # both sgd_momentum tests run a learning-rate schedule
    ),
]
