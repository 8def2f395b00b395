"""A synthetic class for chapter 1: what each student handed in and the score it must earn.

Each submission starts from the released notebook ("release") or from the reference
solution ("solution") and replaces the named solution cells (by grade_id) with the code
given. Out of 27 points: 9 exercises, 1 point per visible test and 2 per hidden test.
"""

SUBMISSIONS = [
    dict(student="ada", about="everything right", base="solution", cells={}, score=27),
    dict(student="bo", about="handed in untouched", base="release", cells={}, score=0),
    dict(
        student="cy",
        about="BCE from sigmoid probabilities; log-softmax without subtracting the max",
        base="solution",
        cells={
            "bce_with_logits": (
                "def bce_with_logits(z, y):\n"
                "    p = 1 / (1 + np.exp(-z))\n"
                "    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))\n"),
            "log_softmax": (
                "def log_softmax(z):\n"
                "    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))\n"),
        },
        # bce_with_logits, log_softmax, and cross_entropy and cross_entropy_grad (which call it) lose 3 points each
        score=15,
    ),
    dict(
        student="dee",
        about="a syntax error in mse",
        base="solution",
        cells={"mse": "def mse(pred, target)\n    return np.mean((pred - target) ** 2)\n"},
        score=24,
    ),
    dict(
        student="eve",
        about="l1 raises: it calls torch on numpy arrays",
        base="solution",
        cells={"l1": "def l1(pred, target):\n    return F.l1_loss(pred, target)\n"},
        score=24,
    ),
    dict(
        student="fay",
        about="the textbook sigmoid: right values, but exp overflows, which the tests raise as an error",
        base="solution",
        cells={"sigmoid": "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"},
        score=24,  # the exercise is stability: its tests run under np.errstate(over="raise")
    ),
]
