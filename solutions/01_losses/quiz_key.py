"""Chapter 1 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/01_losses.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "What is cross-entropy?",
        options=[
            "The fraction of examples whose predicted class is wrong.",
            "The expected negative log-probability that the model's distribution $p$ gives to "
            "outcomes drawn from the target distribution $q$: $H(q, p) = -\\sum_c q_c \\log p_c$.",
            "The squared distance between the predicted probabilities and the one-hot labels.",
            "The entropy of the model's predictions, $-\\sum_c p_c \\log p_c$.",
        ],
        answer=1,
        explanation="Cross-entropy $H(q,p) = -\\sum_c q_c \\log p_c$ measures how well $p$ predicts samples "
                    "of $q$. With a one-hot label it is $-\\log p_y$, the negative log-likelihood of the true "
                    "class, so minimising it is maximum-likelihood training. It is smallest, equal to the "
                    "entropy of $q$, when $p = q$.",
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
            "The error rate is too expensive to compute on a mini-batch.",
            "The error rate is piecewise constant in the weights: its gradient is zero almost "
            "everywhere, so it says nothing about which way to move.",
            "The error rate can be negative.",
            "The error rate is only defined for two classes.",
        ],
        answer=1,
        explanation="A small change of the weights rarely flips a prediction, so the error rate does not "
                    "change and its gradient is 0 (and undefined at the jumps). Cross-entropy is a smooth "
                    "surrogate with an informative gradient.",
        hint="Look at the staircase in section 4.",
    ),
    Choice(
        "Assuming Gaussian noise on the targets, maximising the likelihood of a linear model is the same as "
        "minimising which loss?",
        options=["L1 (mean absolute error)", "Mean squared error", "Binary cross-entropy", "Hinge loss"],
        answer=1,
        explanation="The Gaussian negative log-likelihood is $\\frac N2\\log(2\\pi\\sigma^2) + "
                    "\\frac{1}{2\\sigma^2}\\sum_i (y_i-\\mu_i)^2$; only the sum of squares depends on the "
                    "weights. Laplace noise would give L1.",
        hint="Write out $-\\log \\mathcal{N}(y \\mid \\mu, \\sigma^2)$.",
    ),
    Choice(
        "For a confidently wrong positive example ($y = 1$, logit $z = -8$), which loss gives the larger "
        "gradient with respect to $z$?",
        options=["MSE on $\\sigma(z)$", "BCE on the logit", "Both give about the same gradient"],
        answer=1,
        explanation="BCE's gradient is $\\sigma(z) - y \\approx -1$. MSE's is $2(\\sigma(z)-y)\\,"
                    "\\sigma(z)(1-\\sigma(z)) \\approx -6.7\\times10^{-4}$: the sigmoid saturates and the "
                    "model barely learns from its worst mistakes.",
        hint="Differentiate both through the sigmoid, or look at the right panel of the plot in section 3.",
    ),
    Choice(
        "An autoregressive model is causal. What does that mean?",
        options=[
            "It is trained on data collected in chronological order.",
            "The logits it predicts for token $x_t$ depend only on $x_1, \\dots, x_{t-1}$.",
            "Each token is independent of the others.",
            "It predicts the whole sequence at once from its first token.",
        ],
        answer=1,
        explanation="Causality means that the future cannot influence the past: the prediction for "
                    "position $t$ may only read the prefix $x_{<t}$, which is what lets the chain rule "
                    "$p(x) = \\prod_t p(x_t \\mid x_{<t})$ be used both to score and to generate sequences.",
        hint="Think of what the model may read when it predicts position $t$.",
    ),
    Text(
        "Which `torch.nn` loss class should a binary classifier that outputs one logit per example use?",
        answers=["BCEWithLogitsLoss", "nn.BCEWithLogitsLoss", "torch.nn.BCEWithLogitsLoss"],
        explanation="`nn.BCEWithLogitsLoss` combines the sigmoid and BCE in the stable form "
                    "$\\max(z,0) - yz + \\log(1+e^{-|z|})$; `nn.BCELoss` takes probabilities and clamps.",
        hint="It takes logits, and its name says so.",
    ),
]
