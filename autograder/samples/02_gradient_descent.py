"""A synthetic class for chapter 2: what each student handed in and the score it must earn.

Out of 24 points: 8 exercises, 1 point per visible test and 2 per hidden test.
See autograder/samples/01_losses.py for the format.
"""

SUBMISSIONS = [
    dict(student="ada", about="everything right", base="solution", cells={}, score=24),
    dict(student="bo", about="handed in untouched", base="release", cells={}, score=0),
    dict(
        student="cy",
        about="mini-batches without shuffling",
        base="solution",
        cells={
            "minibatches": (
                "def minibatches(n, batch_size, rng):\n"
                "    order = np.arange(n)\n"
                "    return [order[start:start + batch_size] for start in range(0, n, batch_size)]\n"),
        },
        # minibatches loses 3; train loses 3: both its tests cut the batches from the seed as
        # minibatches should (the expected value depends only on the test's inputs).
        score=18,
    ),
    dict(
        student="dee",
        about="MSE gradient without the factor 2",
        base="solution",
        cells={"mse_gradient": "def mse_gradient(X, y, w):\n    return X.T @ (X @ w - y) / len(y)\n"},
        score=21,  # only mse_gradient's tests use it: train's tests bring their own gradients
    ),
    dict(
        student="eve",
        about="gradient_step changes w in place",
        base="solution",
        cells={
            "gradient_step": (
                "def gradient_step(w, dw, config):\n"
                "    w -= config[\"lr\"] * dw\n"
                "    return w, config\n"),
        },
        score=21,  # the right values, but both gradient_step tests check that w is left alone
    ),
]
