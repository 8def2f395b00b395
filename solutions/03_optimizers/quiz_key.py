"""Chapter 3 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/03_optimizers.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "What is the most widely used optimizer for training deep networks today, with its typical settings?",
        options=[
            "SGD without momentum, learning rate 0.1, no weight decay and a constant schedule.",
            "AdamW: lr about $10^{-3}$ (less for large models), $\\beta = (0.9, 0.999)$, decay 0.01 to 0.1.",
            "Adagrad with learning rate 1 and $\\epsilon = 10^{-10}$; it needs neither a schedule nor a warmup.",
            "RMSProp with $\\alpha = 0.5$, momentum 0.99 and a learning rate of 0.1, without decay.",
        ],
        answer=1,
        explanation="Adam (Kingma & Ba) and its decoupled-decay variant AdamW are the default for "
                    "transformers and a safe first choice elsewhere. PyTorch's defaults are "
                    "`lr=1e-3, betas=(0.9, 0.999), eps=1e-8`; AdamW adds `weight_decay=1e-2`. Large language "
                    "models use $\\beta_2 = 0.95$ and learning rates of a few $10^{-4}$.",
        hint="Section 3 gives the paper's defaults, section 4 the variant used for large models.",
    ),
    Numeric(
        "SGD with momentum $\\mu = 0.9$ and learning rate $\\eta = 0.01$ sees the same gradient $g = 1$ "
        "for many steps. How far does the weight move per step in the long run?",
        answer=0.1,
        tolerance=0.002,
        explanation="The buffer is a geometric series $g(1 + \\mu + \\mu^2 + \\dots) \\to g/(1-\\mu) = 10$, "
                    "so each step is $\\eta \\cdot 10 = 0.1$: the effective learning rate is $\\eta/(1-\\mu)$.",
        hint="Sum the geometric series of past gradients in the buffer.",
    ),
    Choice(
        "The same SGD ($\\mu = 0.9$, $\\eta = 0.01$) now sees a gradient that alternates: $+1, -1, +1, \\dots$ "
        "How long is each step in the long run?",
        options=[
            "$\\eta/(1-\\mu) = 0.1$, as for a constant gradient",
            "$\\eta/(1+\\mu) \\approx 0.0053$: the terms alternate",
            "$\\eta = 0.01$: the sign flips cancel out the momentum",
            "0: the buffer cancels and the weight stops moving",
        ],
        answer=1,
        explanation="Unrolled, the buffer is $\\pm(1 - \\mu + \\mu^2 - \\dots) \\to \\pm 1/(1+\\mu)$, so each step "
                    "is $\\eta/(1+\\mu) \\approx 0.0053$, about half a plain step: momentum damps oscillations "
                    "while it speeds up consistent directions by $1/(1-\\mu)$.",
        hint="Unroll $b_t = \\mu b_{t-1} + g_t$ with $g_t = (-1)^t$.",
    ),
    Numeric(
        "Adam with bias correction, lr $= 10^{-3}$ and $\\epsilon$ negligible, sees the gradient $g = 250$ in one "
        "coordinate at its first step. How far does that coordinate move? Answer in units of $10^{-3}$.",
        answer=1.0,
        tolerance=0.02,
        explanation="At $t = 1$, $\\hat m_1 = g$ and $\\hat v_1 = g^2$, so the step is $\\eta\\, g/|g| = \\eta$ "
                    "whatever the size of $g$: Adam's first step is the learning rate.",
        hint="Write $\\hat m_1$ and $\\hat v_1$ for $t = 1$.",
    ),
    Numeric(
        "Without bias correction ($\\beta_1 = 0.9$, $\\beta_2 = 0.999$, $\\epsilon$ negligible), how many times "
        "longer is Adam's first step than with it?",
        answer=3.162,
        tolerance=0.02,
        explanation="$m_1 = 0.1 g$ and $v_1 = 0.001 g^2$, so $m_1/\\sqrt{v_1} = 0.1/\\sqrt{0.001} \\approx 3.16$: "
                    "the uncorrected first steps are too long, not too short, because $v$ starts further "
                    "below its target than $m$ does.",
        hint="$(1 - \\beta_1)/\\sqrt{1 - \\beta_2}$.",
    ),
    Choice(
        "Your Adam follows `torch.optim.Adam` exactly at step 1 and parts from it at step 2. Which mistake "
        "fits that failure?",
        options=[
            "The step count $t$ is never incremented, so the bias correction stays at $t = 1$.",
            "There is no bias correction at all: $m/\\sqrt v$ is used in place of $\\hat m/\\sqrt{\\hat v}$.",
            "$\\epsilon$ is added inside the square root, $\\sqrt{\\hat v + \\epsilon}$, instead of outside it.",
            "Weight decay is added to the gradient without being multiplied by the decay $\\lambda$.",
        ],
        answer=0,
        explanation="With $t$ stuck at 1 the first step is right and every later one is corrected by "
                    "$1/(1-\\beta)$ instead of $1/(1-\\beta^t)$. No correction at all already differs at "
                    "step 1; $\\epsilon$ inside the root gives tiny differences that grow late, where $\\hat v$ is small.",
        hint="Which mistakes leave step 1 right?",
    ),
    Choice(
        "In *Attention Is All You Need* (Vaswani et al., 2017), which optimizer and learning-rate "
        "schedule trained the Transformer?",
        options=[
            "SGD with momentum 0.9 and a step decay of the learning rate by 10 every 30 epochs.",
            "Adam, $\\beta_2 = 0.98$, $\\epsilon = 10^{-9}$, warmup over 4000 steps, then $\\propto t^{-1/2}$.",
            "AdamW, weight decay 0.1, $\\beta_2 = 0.95$, and a cosine schedule down to 10% of the peak.",
            "Adam at its defaults ($\\beta_2 = 0.999$, $\\epsilon = 10^{-8}$) with a constant learning rate throughout.",
        ],
        answer=1,
        explanation="Section 5.3 of the paper: Adam with $\\beta_1 = 0.9$, $\\beta_2 = 0.98$, $\\epsilon = 10^{-9}$, and the "
                    "warmup + inverse-square-root schedule you implemented as `transformer_lr`, "
                    "with 4000 warmup steps.",
        hint="Section 5 quotes the paper's settings.",
    ),
    Numeric(
        "With the Transformer schedule, $d_{\\text{model}} = 512$ and 4000 warmup steps, what is the "
        "peak learning rate? Answer in units of $10^{-4}$ with two decimals.",
        answer=6.988,
        tolerance=0.02,
        explanation="The peak is at $t = w$, where both branches equal $d^{-1/2} w^{-1/2} = "
                    "1/\\sqrt{512 \\cdot 4000} \\approx 6.99 \\cdot 10^{-4}$.",
        hint="At the end of the warmup, $t^{-1/2} = t \\cdot w^{-3/2}$.",
    ),
    Choice(
        "Which optimizer settings trained LLaMA and GPT-3?",
        options=[
            "SGD with momentum 0.9 and a step decay, as for the ImageNet models of the 2010s.",
            "Adagrad for LLaMA and RMSProp for GPT-3, each with a constant learning rate and no decay.",
            "Adam(W), decay 0.1, $\\beta_2 = 0.95$, warmup, cosine decay to 10%, clipping at 1.0.",
            "Adam at its defaults, $\\beta_2 = 0.999$, without weight decay or any warmup.",
        ],
        answer=2,
        explanation="The LLaMA paper: AdamW, $\\beta_1 = 0.9$, $\\beta_2 = 0.95$, peak learning rate $3\\cdot10^{-4}$ "
                    "(7B, 13B) or $1.5\\cdot10^{-4}$ (33B, 65B), cosine schedule to 10%, weight decay 0.1, "
                    "clipping 1.0, 2000 warmup steps. GPT-3: Adam with the same betas, $\\epsilon = 10^{-8}$, "
                    "clipping 1.0, cosine decay to 10%, warmup over the first 375M tokens, weight decay 0.1. "
                    "The smaller $\\beta_2$ makes $\\hat v$ react faster to sudden large gradients.",
        hint="Both use the variant from section 4 and the schedule that closes section 5.",
    ),
    Numeric(
        "Training with Adam in float32, how many numbers per weight does the machine hold for the "
        "weights, their gradients and the optimizer state together?",
        answer=4,
        tolerance=0.5,
        explanation="The weight, its gradient, and Adam's $m$ and $v$: four numbers, 16 bytes per "
                    "parameter in float32, before any activations.",
        hint="Your `state_per_parameter` gave Adam's share.",
    ),
    Choice(
        "Why is weight decay in AdamW not the same as an L2 penalty added to Adam's gradient?",
        options=[
            "They are the same update; AdamW only computes it faster, in one fused kernel.",
            "With L2, $\\lambda w$ is divided by $\\sqrt{\\hat v}$: weights with big gradients hardly decay.",
            "AdamW applies the decay only at the end of training, once the training loss has fully converged.",
            "With L2 the decay is not multiplied by the learning rate, so it is far too strong.",
        ],
        answer=1,
        explanation="For SGD both forms coincide; with adaptive methods the L2 gradient is rescaled "
                    "per coordinate. AdamW shrinks every weight by $(1-\\eta\\lambda)$ per step regardless of its "
                    "gradient history. The experiment in section 4 shows it where the decay term is small "
                    "next to the noisy weight's gradient.",
        hint="Follow the term $\\lambda w$ through Adam's update.",
    ),
    Choice(
        "Which is RMSProp's update of its average $r$ of squared gradients (PyTorch's `alpha` is $\\alpha$)?",
        options=[
            "$r \\leftarrow \\alpha r + (1 - \\alpha)\\, g^2$",
            "$r \\leftarrow r + (1 - \\alpha)\\, g^2$",
            "$r \\leftarrow \\alpha r + (1 - \\alpha)\\, g$",
            "$r \\leftarrow (1-\\alpha) r + \\alpha\\, g^2$",
        ],
        answer=0,
        explanation="An exponential moving average replaces $r$ (`=`, not `+=`): with `+=` it only grows, like "
                    "Adagrad's sum, and the steps die out. With $\\alpha = 0.99$ it averages about the last 100 "
                    "squared gradients.",
        hint="It forgets old gradients; Adagrad's sum does not.",
    ),
    Text(
        "Every weight and bias of an MLP's hidden layer starts at 0.5, and so does every weight from those "
        "units to the next layer. After 1000 steps of gradient descent, how many different hidden units "
        "(distinct incoming weight vectors) does the layer have? Answer with a number or a word.",
        answers=["1", "one"],
        explanation="Identical units with identical outgoing weights compute the same value and get the same "
                    "gradient, so they take identical steps: the symmetry is never broken and the layer behaves "
                    "like a single unit. If the outgoing weights differed, the units would receive different "
                    "gradients and separate. Section 7 checks both cases.",
        hint="Compare the gradients two identical units receive.",
    ),
]
