"""Chapter 5 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/05_normalization.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "What is the difference between batch and layer normalization?",
        options=[
            "Batch norm normalises the inputs of the network once; layer norm normalises the weights of "
            "every layer.",
            "Batch norm standardises each feature with the mean and variance over the examples of the "
            "mini-batch (and keeps running averages of them for evaluation); layer norm standardises each "
            "example with the mean and variance over its own features, the same way in training and "
            "evaluation, whatever the batch.",
            "They compute the same statistics; layer norm only leaves out the learned $\\gamma$ and $\\beta$.",
            "Batch norm divides by the standard deviation; layer norm only subtracts the mean.",
        ],
        answer=1,
        explanation="For $X$ of shape $(N, D)$: batch norm averages over axis 0 (one $\\mu_j, \\sigma_j^2$ per "
                    "feature), layer norm over axis 1 (one $\\mu_n, \\sigma_n^2$ per example). Both then "
                    "apply a per-feature $\\gamma$ and $\\beta$. Only batch norm couples the examples of a "
                    "batch, and so only it needs running statistics and a separate evaluation mode.",
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
            "It works as usual; the statistics are just noisier.",
            "It silently switches to its running statistics.",
            "It raises `ValueError: Expected more than 1 value per channel when training`: with one example "
            "$x - \\mu = 0$, so the output would be $\\beta$ whatever the input, and the unbiased variance "
            "for the running statistics would be $0/0$.",
            "It returns NaN for every output.",
        ],
        answer=2,
        explanation="A batch of one carries no information through batch norm, and its NaN variance would "
                    "poison `running_var` for good. In eval mode a single example is fine (running "
                    "statistics), and layer norm never has the problem.",
        hint="Compute $\\mu$ and $x - \\mu$ for a batch of one.",
    ),
    Choice(
        "You evaluate a model with batch norm on the test set but forget `model.eval()`. What goes wrong?",
        options=[
            "Nothing: batch norm ignores the mode.",
            "Every test batch is normalised with its own statistics, so a prediction depends on the other "
            "examples in its batch (and on the batch size), and the running statistics are updated with test "
            "data.",
            "The gradients are not computed.",
            "The weights $\\gamma$ and $\\beta$ are reset to 1 and 0.",
        ],
        answer=1,
        explanation="In training mode batch norm uses batch statistics and updates its running averages. "
                    "`model.eval()` switches it to the stored running statistics, which makes every "
                    "prediction a function of its own input only. (`torch.no_grad()` is a separate switch: it "
                    "only stops recording the graph.)",
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
    Choice(
        "A 30-layer tanh MLP of width 128 starts with weights drawn from $\\mathcal N(0, 0.01^2)$, without "
        "normalization. What happens to the activations and gradients?",
        options=[
            "Each layer multiplies the spread of the signal by about $\\sqrt{128} \\cdot 0.01 \\approx 0.11$, "
            "so the activations vanish with depth, and so do the gradients: the first layers barely learn.",
            "The tanh units saturate at $\\pm 1$ and the gradients explode.",
            "Nothing: tanh keeps every signal in $(-1, 1)$, so the scale is always right.",
            "The activations explode, because the weights are positive.",
        ],
        answer=0,
        explanation="$\\operatorname{Var}(a) = n \\sigma^2 \\operatorname{Var}(h) = 128 \\cdot 10^{-4} \\cdot "
                    "\\operatorname{Var}(h) \\approx 0.013 \\operatorname{Var}(h)$ per layer while tanh is "
                    "nearly linear. Batch or layer norm restores unit variance at every layer whatever "
                    "the weights' scale.",
        hint="Multiply the variance by $n\\sigma^2$ per layer.",
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
