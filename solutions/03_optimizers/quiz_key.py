"""Chapter 3 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/03_optimizers.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "What is the most widely used optimizer for training deep networks today, and what are its "
        "typical parameters?",
        options=[
            "SGD without momentum, learning rate 0.1, no weight decay.",
            "Adam, or AdamW when weight decay is wanted: learning rate around $10^{-3}$ (smaller, "
            "e.g. $3 \\cdot 10^{-4}$, for large models), $\\beta_1 = 0.9$, $\\beta_2 = 0.999$ "
            "(0.95 for large language models), $\\epsilon = 10^{-8}$, weight decay 0.01 to 0.1.",
            "Adagrad with learning rate 1 and $\\epsilon = 10^{-10}$.",
            "RMSProp with $\\alpha = 0.5$ and momentum 0.99.",
        ],
        answer=1,
        explanation="Adam (Kingma & Ba) and its decoupled-decay variant AdamW are the default for "
                    "transformers and a safe first choice elsewhere. PyTorch's defaults are "
                    "`lr=1e-3, betas=(0.9, 0.999), eps=1e-8`; AdamW adds `weight_decay=1e-2`.",
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
        "Why does momentum raise the effective learning rate from $\\eta$ to $\\eta/(1-\\mu)$?",
        options=[
            "Because PyTorch multiplies the learning rate by $1/(1-\\mu)$ when momentum is set.",
            "Because the velocity is a sum of past gradients weighted by $1, \\mu, \\mu^2, \\dots$; when "
            "the gradient stays about the same, the sum tends to $g/(1-\\mu)$, so the step is "
            "$\\eta g/(1-\\mu)$.",
            "Because momentum doubles the gradient at every step.",
            "Because momentum divides each coordinate by the root of its squared gradients.",
        ],
        answer=1,
        explanation="$\\mathbf b_t = \\sum_{k<t} \\mu^k \\mathbf g_{t-k}$. Along directions where the "
                    "gradient keeps its sign the terms add up to $\\mathbf g/(1-\\mu)$; where it "
                    "alternates they cancel, which is why momentum also damps zig-zags.",
        hint="Unroll the buffer update for a constant gradient.",
    ),
    Choice(
        "In *Attention Is All You Need* (Vaswani et al., 2017), which optimizer and learning-rate "
        "schedule trained the Transformer?",
        options=[
            "SGD with momentum 0.9 and a step decay by 10 every 30 epochs.",
            "Adam with $\\beta_1 = 0.9$, $\\beta_2 = 0.98$, $\\epsilon = 10^{-9}$, and "
            "$\\eta = d_{\\text{model}}^{-1/2} \\min(t^{-1/2},\\ t \\cdot w^{-3/2})$: linear warmup for "
            "$w = 4000$ steps, then inverse square-root decay.",
            "AdamW with weight decay 0.1 and a cosine schedule to 10% of the peak.",
            "Adagrad with a constant learning rate of 0.01.",
        ],
        answer=1,
        explanation="Section 5.3 of the paper: Adam with $\\beta_2 = 0.98$, $\\epsilon = 10^{-9}$, and the "
                    "warmup + inverse-square-root schedule you implemented as `transformer_lr`, "
                    "with 4000 warmup steps.",
        hint="It is the last row of the table in section 5.",
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
        "Which optimizers were LLaMA and GPT-3 trained with?",
        options=[
            "Both with plain SGD and momentum 0.9.",
            "LLaMA with Adagrad, GPT-3 with RMSProp.",
            "Both with Adam-style optimizers with decoupled weight decay 0.1 and $\\beta_1 = 0.9$, "
            "$\\beta_2 = 0.95$: AdamW for LLaMA, Adam ($\\epsilon = 10^{-8}$) with weight decay 0.1 for "
            "GPT-3, each with a linear warmup, cosine decay to 10% of the peak and gradient clipping at 1.0.",
            "Both with Adam at its defaults $\\beta_2 = 0.999$ and a constant learning rate.",
        ],
        answer=2,
        explanation="The LLaMA paper: AdamW, $\\beta_1 = 0.9$, $\\beta_2 = 0.95$, cosine schedule to 10%, "
                    "weight decay 0.1, clipping 1.0, 2000 warmup steps. GPT-3: Adam with the same betas, "
                    "$\\epsilon = 10^{-8}$, clipping 1.0, cosine decay to 10%, warmup over the first 375M "
                    "tokens, weight decay 0.1. The smaller $\\beta_2$ makes $\\hat v$ react faster to "
                    "sudden large gradients.",
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
            "They are the same; AdamW is only faster.",
            "With L2 the decay term $\\lambda w$ is divided by $\\sqrt{\\hat v}$ like the rest of the "
            "gradient, so weights with large gradients are hardly decayed; AdamW shrinks every weight "
            "by $(1-\\eta\\lambda)$ regardless of its gradient history.",
            "AdamW applies the decay only at the end of training.",
            "L2 increases the weights instead of shrinking them.",
        ],
        answer=1,
        explanation="For SGD both forms coincide; with adaptive methods the L2 gradient is rescaled "
                    "per coordinate. The noise experiment in section 4 shows a quiet weight crushed "
                    "and a noisy one untouched by Adam + L2, while AdamW treats both alike.",
        hint="Follow the term $\\lambda w$ through Adam's update.",
    ),
    Text(
        "Every weight of a hidden layer starts at 0.5. After 1000 steps of gradient descent, how many "
        "different hidden units (distinct weight vectors) does that layer have? Answer with a number "
        "or a word.",
        answers=["1", "one"],
        explanation="Identical units get identical gradients and take identical steps: the symmetry is "
                    "never broken, so the layer behaves like a single unit. That is why weights are "
                    "initialised randomly.",
        hint="Compare the gradients two identical units receive.",
    ),
]
