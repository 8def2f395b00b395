"""Chapter 1 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/01_losses.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "What is the cross-entropy of a model's distribution $p$ relative to a target distribution $q$?",
        options=[
            "The fraction of examples whose most probable class under $p$ is not the label.",
            "$-\\sum_c q_c \\log p_c$: the mean surprise of $p$ on samples drawn from $q$.",
            "$\\sum_c (p_c - q_c)^2$: the squared distance of the probabilities from the labels.",
            "$-\\sum_c p_c \\log p_c$: the entropy of the model's own predicted distribution.",
        ],
        answer=1,
        explanation="Cross-entropy $H(q,p) = -\\sum_c q_c \\log p_c$ measures how well $p$ predicts samples "
                    "of $q$. With a one-hot label it is $-\\log p_y$, the negative log-likelihood of the true "
                    "class, so minimising it is maximum-likelihood training. It equals $H(q) + "
                    "\\mathrm{KL}(q\\,\\|\\,p)$, smallest (the entropy of $q$) when $p = q$.",
        hint="Think of what a one-hot label turns the formula into, and of section 5.",
    ),
    Numeric(
        "A freshly initialised 10-class classifier outputs all logits equal. What cross-entropy "
        "(natural logarithm) do you expect on any example? Give 3 decimals.",
        answer=2.302585,
        tolerance=0.005,
        explanation="Equal logits give the uniform distribution, $p_y = 1/10$, so the loss is "
                    "$-\\log(1/10) = \\log 10 \\approx 2.303$. A first loss far from $\\log C$ hints at a bug.",
        hint="Equal logits: what does softmax return?",
    ),
    Numeric(
        "What is `F.binary_cross_entropy_with_logits` for the logit $z = -1000$ and the label $y = 1$?",
        answer=1000.0,
        tolerance=0.5,
        explanation="$\\max(z,0) - yz + \\log(1+e^{-|z|}) = 0 + 1000 + \\log(1 + e^{-1000}) = 1000$. "
                    "BCE on the probability $\\sigma(-1000)$, which is 0 in floating point, would be "
                    "clamped to 100 instead.",
        hint="Use the stable formula of exercise 5 with $z=-1000$, $y=1$.",
    ),
    Choice(
        "Why is a classifier not trained by gradient descent on its error rate?",
        options=[
            "The error rate is too expensive to evaluate on every mini-batch of examples.",
            "It is piecewise constant in the weights: its gradient is 0 almost everywhere.",
            "It is bounded in $[0, 1]$, so its gradient is too small to move the weights.",
            "autograd cannot differentiate `argmax`, so `backward()` raises an error.",
        ],
        answer=1,
        explanation="A small change of the weights rarely flips a prediction, so the error rate does not "
                    "change and its gradient is 0 (and undefined at the jumps). A zero gradient is not a "
                    "small one: it carries no direction at all. Cross-entropy is a smooth surrogate with an "
                    "informative gradient.",
        hint="Look at the staircase in section 4.",
    ),
    Choice(
        "Assuming Gaussian noise on the targets, maximising the likelihood of a linear model is the same as "
        "minimising which loss?",
        options=["Mean absolute error (L1)", "Mean squared error", "Binary cross-entropy", "Hinge loss"],
        answer=1,
        explanation="The Gaussian negative log-likelihood is $\\frac N2\\log(2\\pi\\sigma^2) + "
                    "\\frac{1}{2\\sigma^2}\\sum_i (y_i-\\mu_i)^2$; only the sum of squares depends on the "
                    "weights. Laplace noise would give L1.",
        hint="Write out $-\\log \\mathcal{N}(y \\mid \\mu, \\sigma^2)$.",
    ),
    Choice(
        "For a confidently wrong positive example ($y = 1$, logit $z = -8$), which loss gives the larger "
        "gradient with respect to $z$?",
        options=[
            "MSE on $\\sigma(z)$: its loss $(\\sigma(z) - 1)^2 \\approx 1$ is the larger one",
            "BCE on the logit: its gradient $\\sigma(z) - y \\approx -1$ does not saturate",
            "Both about the same: either way the gradient is $\\sigma(z) - y$",
        ],
        answer=1,
        explanation="BCE's gradient is $\\sigma(z) - y \\approx -1$. MSE's is $2(\\sigma(z)-y)\\,"
                    "\\sigma(z)(1-\\sigma(z)) \\approx -6.7\\times10^{-4}$: the sigmoid saturates and the "
                    "model barely learns from its worst mistakes. A large loss does not mean a large gradient.",
        hint="Differentiate both through the sigmoid, or look at the right panel of the plot in section 3.",
    ),
    Numeric(
        "Three classes, logits $\\mathbf z = (\\ln 2, 0, 0)$, true class the first. What is "
        "$\\partial L / \\partial z_1$ of the cross-entropy $L = -\\log \\mathrm{softmax}(\\mathbf z)_1$?",
        answer=-0.5,
        tolerance=0.01,
        explanation="$\\mathrm{softmax}(\\mathbf z) = (2, 1, 1)/4$ and $\\nabla_{\\mathbf z} L = \\mathbf p - "
                    "\\mathrm{onehot}(y) = (0.5 - 1, 0.25, 0.25)$, so $-0.5$: raising the true logit lowers the loss.",
        hint="The gradient of softmax cross-entropy is $\\mathbf p - \\mathrm{onehot}(y)$ (section 5).",
    ),
    Choice(
        "An autoregressive model is causal. What does that mean?",
        options=[
            "It is trained on sequences whose tokens were collected in chronological order.",
            "Its prediction for $x_t$ depends only on the earlier tokens $x_1, \\dots, x_{t-1}$.",
            "Its prediction for token $x_t$ may read every token of the sequence except $x_t$.",
            "It treats the tokens as independent of each other: $p(\\mathbf x) = \\prod_t p(x_t)$.",
        ],
        answer=1,
        explanation="Causality means that the future cannot influence the past: the prediction for "
                    "position $t$ may only read the prefix $x_{<t}$, which is what lets the chain rule "
                    "$p(x) = \\prod_t p(x_t \\mid x_{<t})$ be used both to score and to generate sequences. "
                    "A model that reads the later tokens cannot generate, since they do not exist yet.",
        hint="Think of what the model may read when it predicts position $t$.",
    ),
    Choice(
        "A batch holds 4 sequences of 10 tokens. `nn.CrossEntropyLoss()` at its defaults gets all "
        "40 tokens' logits and targets. What does it return?",
        options=[
            "The mean of the 40 per-token losses: the loss per token.",
            "The sum over each sequence's tokens, averaged over the 4 sequences.",
            "The sum of the 40 per-token losses: the loss of the batch.",
            "The loss of each sequence's last token only, averaged over the 4 sequences.",
        ],
        answer=0,
        explanation="`reduction='mean'` averages over every target that is not `ignore_index`, here 40 "
                    "tokens. The sum per sequence (the sequence's negative log-likelihood) is 10 times larger.",
        hint="Look at the `reduction` argument's default.",
    ),
    Numeric(
        "A language model's mean cross-entropy on a text is 2.0 nats per token. What is its perplexity?",
        answer=7.389,
        tolerance=0.05,
        explanation="Perplexity is $e^{\\text{cross-entropy per token}} = e^2 \\approx 7.39$: the model is as "
                    "unsure as a uniform choice among about 7.4 tokens at each step.",
        hint="Perplexity undoes the logarithm of the mean cross-entropy (section 6).",
    ),
    Text(
        "Which `torch.nn` loss class should a binary classifier that outputs one logit per example use?",
        answers=["BCEWithLogitsLoss", "nn.BCEWithLogitsLoss", "torch.nn.BCEWithLogitsLoss"],
        explanation="`nn.BCEWithLogitsLoss` combines the sigmoid and BCE in the stable form "
                    "$\\max(z,0) - yz + \\log(1+e^{-|z|})$; `nn.BCELoss` takes probabilities and clamps.",
        hint="It takes logits, and its name says so.",
    ),
]
