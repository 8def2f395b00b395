"""A synthetic class for chapter 5: what each student handed in and the score it must earn.

Out of 21 points: 6 exercises with 7 visible tests (1 point each) and 7 hidden tests (2 each);
batchnorm_forward has two of each (training mode; running statistics and evaluation mode).
See autograder/samples/01_losses.py for the format.
"""

# batchnorm_forward's first lines, as the released notebook gives them
HEAD = (
    "def batchnorm_forward(x, gamma, beta, bn_param):\n"
    "    mode = bn_param['mode']\n"
    "    eps = bn_param.get('eps', 1e-5)\n"
    "    momentum = bn_param.get('momentum', 0.1)\n"
    "    N, D = x.shape\n"
    "    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))\n"
    "    running_var = bn_param.get('running_var', np.ones(D, dtype=x.dtype))\n"
)

SUBMISSIONS = [
    dict(student="ada", about="everything right", base="solution", cells={}, score=21),
    dict(student="bo", about="handed in untouched", base="release", cells={}, score=0),
    dict(
        student="cal",
        about="batch norm with the statistics over axis 1 (per example, which is layer norm)",
        base="solution",
        cells={"batchnorm_forward": HEAD + (
            "    if mode == 'train':\n"
            "        mean = x.mean(axis=1, keepdims=True)\n"
            "        var = x.var(axis=1, keepdims=True)\n"
            "        std = np.sqrt(var + eps)\n"
            "        xhat = (x - mean) / std\n"
            "        out = gamma * xhat + beta\n"
            "        bn_param['running_mean'] = (1 - momentum) * running_mean + momentum * mean\n"
            "        bn_param['running_var'] = (1 - momentum) * running_var + momentum * var * D / (D - 1)\n"
            "        cache = (xhat, x - mean, std, gamma)\n"
            "    else:\n"
            "        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta\n"
            "        cache = None\n"
            "    return out, cache\n")},
        score=9,  # every batch-norm test fails (both backward passes get the wrong cache); layer norm and RMSNorm keep 9
    ),
    dict(
        student="dee",
        about="batch norm that updates the running statistics in evaluation mode too",
        base="solution",
        cells={"batchnorm_forward": HEAD + (
            "    mean, var = x.mean(axis=0), x.var(axis=0)\n"
            "    bn_param['running_mean'] = (1 - momentum) * running_mean + momentum * mean\n"
            "    bn_param['running_var'] = (1 - momentum) * running_var + momentum * x.var(axis=0, ddof=1)\n"
            "    if mode == 'train':\n"
            "        std = np.sqrt(var + eps)\n"
            "        xhat = (x - mean) / std\n"
            "        out = gamma * xhat + beta\n"
            "        cache = (xhat, x - mean, std, gamma)\n"
            "    else:\n"
            "        out = gamma * (x - bn_param['running_mean']) / np.sqrt(bn_param['running_var'] + eps) + beta\n"
            "        cache = None\n"
            "    return out, cache\n")},
        score=18,  # the running-statistics tests (1 + 2) fail; the rest passes
    ),
]
