"""Chapter 5 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/05_normalization.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "Which statistics do batch norm and layer norm compute for a batch $X$ of shape $(N, D)$?",
        options=[
            "Batch norm: per example, over its $D$ features; layer norm: per feature, over the $N$ examples.",
            "Batch norm: per feature, over the $N$ examples; layer norm: per example, over its $D$ features.",
            "Both: per feature over the batch; layer norm only leaves out the learned $\\gamma$ and $\\beta$.",
            "Both: per example; batch norm divides by the spread, layer norm only subtracts the mean.",
        ],
        answer=1,
        explanation="Batch norm averages over axis 0 (one $\\mu_j, \\sigma_j^2$ per feature), layer norm over "
                    "axis 1 (one $\\mu_n, \\sigma_n^2$ per example). Both then apply a per-feature $\\gamma$ "
                    "and $\\beta$. Only batch norm couples the examples of a batch, and so only it needs "
                    "running statistics and a separate evaluation mode.",
        hint="Which axis of the $(N, D)$ batch does each one average over?",
    ),
    Numeric(
        "A fresh `torch.nn.BatchNorm1d(1)` (momentum 0.1) sees, in training mode, one batch of two "
        "examples with the values 3 and 7. What is its `running_var` afterwards?",
        answer=1.7,
        tolerance=0.01,
        explanation="The batch variance is $((3-5)^2 + (7-5)^2)/2 = 4$ (biased, used to normalise); the "
                    "running variance stores the unbiased one, $8/(2-1) = 8$. Starting from 1: "
                    "$0.9 \\cdot 1 + 0.1 \\cdot 8 = 1.7$.",
        hint="Running statistics start at mean 0 and variance 1, and use the variance divided by $N - 1$.",
    ),
    Numeric(
        "A fresh batch-norm layer with momentum 0.1 trains on three batches; in each, a feature has mean 2. "
        "What is that feature's `running_mean` afterwards?",
        answer=0.542,
        tolerance=0.002,
        explanation="Each step keeps 0.9 of the old value: $2\\,(1 - 0.9^3) = 0.542$. The running mean "
                    "approaches the true mean slowly, which is why a model evaluated after only a few "
                    "steps of training can behave oddly in eval mode.",
        hint="running = 0.9 running + 0.1 · 2, three times, from 0.",
    ),
    Choice(
        "What happens when a `torch.nn.BatchNorm1d` layer in training mode gets a batch of a single example?",
        options=[
            "It outputs $\\beta$ for every input, since $x - \\mu = 0$, and carries on.",
            "It switches silently to its running statistics for that batch.",
            "It raises a `ValueError`: the variance for its running average is $0/0$.",
            "It trains as usual; the batch statistics are only noisier.",
        ],
        answer=2,
        explanation="With one example $x - \\mu = 0$, so the output would be $\\beta$ whatever the input, and "
                    "the unbiased variance for the running statistics would be $0/0$, a NaN that would "
                    "poison `running_var` for good. PyTorch refuses: \"Expected more than 1 value per "
                    "channel when training\". In eval mode a single example is fine, and layer norm never "
                    "has the problem.",
        hint="Compute $\\mu$, $x - \\mu$ and the unbiased variance for a batch of one.",
    ),
    Choice(
        "You evaluate a model with batch norm on held-out data but forget `model.eval()`. What goes wrong?",
        options=[
            "Nothing: a trained batch-norm layer computes the same thing in both of its modes.",
            "The graph is still recorded, so the evaluation only costs more memory and time.",
            "Predictions depend on the batch, and held-out data enters the running statistics.",
            "$\\gamma$ and $\\beta$ are set back to 1 and 0 for the duration of the evaluation.",
        ],
        answer=2,
        explanation="In training mode batch norm uses batch statistics and updates its running averages. "
                    "`model.eval()` switches it to the stored running statistics, which makes every "
                    "prediction a function of its own input only. (`torch.no_grad()` is a separate switch: it "
                    "only stops recording the graph.) Section 7 measures it: 95% in evaluation mode, 39% in "
                    "training mode with batches of 2.",
        hint="Which statistics does training mode normalise with?",
    ),
    Numeric(
        "How many learnable parameters does `torch.nn.LayerNorm(768)` have?",
        answer=1536,
        tolerance=0.5,
        explanation="A $\\gamma$ and a $\\beta$ per feature: $2 \\cdot 768 = 1536$. The statistics are computed "
                    "afresh for every example, so layer norm has no running buffers; `BatchNorm1d(768)` has "
                    "the same 1536 parameters plus running_mean, running_var and a batch counter as buffers.",
        hint="The statistics are not parameters.",
    ),
    Numeric(
        "How many learnable parameters does `torch.nn.RMSNorm(512)` have?",
        answer=512,
        tolerance=0.5,
        explanation="RMSNorm divides by the root mean square and multiplies by a per-feature $\\gamma$; it "
                    "has no $\\beta$. So 512, half of `LayerNorm(512)`'s 1024.",
        hint="Which of $\\gamma$ and $\\beta$ does RMSNorm keep?",
    ),
    Choice(
        "A 30-layer tanh MLP of width 128 starts with weights drawn from $\\mathcal N(0, 0.01^2)$, without "
        "normalization. What happens to the activations and gradients?",
        options=[
            "The tanh units saturate at $\\pm 1$, and the gradients explode towards the input.",
            "Their spread shrinks by about $\\sqrt{128} \\cdot 0.01 \\approx 0.11$ per layer: both vanish.",
            "Nothing: tanh keeps every signal inside $(-1, 1)$, so the scale always stays right.",
            "The activations vanish layer after layer, but the gradients keep their size.",
        ],
        answer=1,
        explanation="$\\operatorname{Var}(a) = n \\sigma^2 \\operatorname{Var}(h) = 128 \\cdot 10^{-4} \\cdot "
                    "\\operatorname{Var}(h) \\approx 0.013 \\operatorname{Var}(h)$ per layer while tanh is "
                    "nearly linear, so the spread shrinks by $\\sqrt{0.013} \\approx 0.11$. The backward pass "
                    "multiplies by the same small weights, so the gradients vanish too. Batch or layer norm "
                    "restores unit variance at every layer whatever the weights' scale.",
        hint="Multiply the variance by $n\\sigma^2$ per layer; the backward pass uses the same weights.",
    ),
    Choice(
        "`nn.Linear(64, 128)` feeds `nn.BatchNorm1d(128)` in training mode. What is the gradient of the "
        "linear layer's bias?",
        options=[
            "Zero: the batch mean removes any constant added to a feature.",
            "The gradient of $\\beta$, since both shift the same feature.",
            "As without batch norm: the bias is still in the forward pass.",
            "As without batch norm, only divided by the batch's spread.",
        ],
        answer=0,
        explanation="A bias adds the same number to every example of a feature, and $x - \\mu$ subtracts it "
                    "again: the output does not depend on it, so its gradient is exactly 0. That is why the "
                    "layer before batch norm is built with `bias=False`; $\\beta$ does the shifting.",
        hint="Add a constant $b$ to a column and standardise it.",
    ),
    Text(
        "Which normalization layer do the original Transformer (Vaswani et al., 2017) and BERT use? "
        "Two words, or the `torch.nn` class name.",
        answers=["layer normalization", "layer normalisation", "layer norm", "layernorm", "nn.LayerNorm",
                 "torch.nn.LayerNorm", "LN"],
        explanation="Layer norm: it needs no batch statistics, so it works for sequences of any length, "
                    "any batch size, and generation one token at a time. Many recent language models "
                    "(LLaMA, for instance) use RMSNorm, layer norm without the mean subtraction.",
        hint="It normalises each token's vector over its features.",
    ),
]
