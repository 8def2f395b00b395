"""Chapter 2 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/02_gradient_descent.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "What does the gradient $\\nabla L(\\mathbf w)$ tell you about the loss at $\\mathbf w$?",
        options=[
            "The direction in which the loss decreases fastest, with that rate as its length.",
            "The direction in which the loss increases fastest, with that rate as its length.",
            "The direction from $\\mathbf w$ towards the nearest minimum of the loss.",
            "The step that gradient descent should take, the learning rate included.",
        ],
        answer=1,
        explanation="The directional derivative along a unit vector $\\mathbf u$ is $\\nabla L^\\top\\mathbf u$, "
                    "largest (equal to $\\|\\nabla L\\|$) for $\\mathbf u = \\nabla L / \\|\\nabla L\\|$. So the "
                    "gradient points uphill, and gradient descent steps along $-\\nabla L$, the direction of "
                    "steepest descent. It says nothing about where the minimum is or how far to go.",
        hint="Cauchy-Schwarz bounds $\\nabla L^\\top \\mathbf u$ over unit vectors $\\mathbf u$.",
    ),
    Choice(
        "At a point where $\\nabla L = \\mathbf 0$, the Hessian has the eigenvalues $3$, $0.5$ and $-2$. "
        "What kind of stationary point is it?",
        options=["A local minimum", "A local maximum", "A saddle point",
                 "The second-derivative test cannot decide"],
        answer=2,
        explanation="The loss curves upwards along the eigenvectors with positive eigenvalues and downwards "
                    "along the one with eigenvalue $-2$: eigenvalues of both signs make a saddle point.",
        hint="Look at the signs of the eigenvalues, as in the table of section 2.",
    ),
    Choice(
        "Which is the gradient of the mean squared error $\\frac1N\\|X\\mathbf w - \\mathbf y\\|^2$ of linear "
        "regression, and of the mean binary cross-entropy of logistic regression with $p = \\sigma(X\\mathbf w)$?",
        options=[
            "$\\frac2N X^\\top(X\\mathbf w - \\mathbf y)$ and $\\frac1N X^\\top(\\sigma(X\\mathbf w) - \\mathbf y)$",
            "$\\frac2N X^\\top(\\mathbf y - X\\mathbf w)$ and $\\frac1N X^\\top(\\mathbf y - \\sigma(X\\mathbf w))$",
            "$\\frac1N X^\\top(X\\mathbf w - \\mathbf y)$ and $\\frac1N X^\\top\\big((\\sigma(X\\mathbf w) - \\mathbf y)"
            "\\odot\\sigma'(X\\mathbf w)\\big)$",
            "$\\frac2N X(X^\\top\\mathbf w - \\mathbf y)$ and $\\frac2N X^\\top(\\sigma(X\\mathbf w) - \\mathbf y)$",
        ],
        answer=0,
        explanation="MSE: $\\partial/\\partial w_j$ of $\\frac1N\\sum_i r_i^2$ with $r = X\\mathbf w - \\mathbf y$ is "
                    "$\\frac2N\\sum_i r_i X_{ij}$. BCE: the loss of one logit is $\\log(1+e^z) - yz$, whose "
                    "derivative is $\\sigma(z) - y$ (the sigmoid's derivative cancels against the logarithm's), "
                    "so $\\nabla = \\frac1N X^\\top(\\sigma(X\\mathbf w) - \\mathbf y)$. The sign-flipped option "
                    "points uphill.",
        hint="Chain rule through $\\mathbf z = X\\mathbf w$; for BCE write the loss of one logit as "
             "$\\log(1+e^z) - yz$.",
    ),
    Choice(
        "Which is true of finite-difference gradients with step $h$?",
        options=[
            "The smaller $h$, the more accurate both differences, all the way down to $h = 10^{-16}$.",
            "Truncation error $O(h)$ forward, $O(h^2)$ central; both add round-off $\\sim\\varepsilon/h$.",
            "Both have an $O(h^2)$ truncation error; the central one just needs fewer evaluations of $f$.",
            "Truncation error $O(h^2)$ forward, $O(h)$ central; in float64 neither suffers from round-off.",
        ],
        answer=1,
        explanation="Taylor: $(f(x+h) - f(x))/h = f'(x) + \\frac h2 f''(x) + \\dots$, while in "
                    "$(f(x+h) - f(x-h))/2h$ the $f''$ terms cancel and $\\frac{h^2}{6}f'''(x)$ remains. Rounding "
                    "each value of $f$ adds an error of about $\\varepsilon|f|/h$, so the best $h$ is about "
                    "$\\varepsilon^{1/2}$ (forward) and $\\varepsilon^{1/3}$ (central), and the central difference "
                    "costs two evaluations per weight instead of one.",
        hint="Look at the slopes in the log-log plot of section 4.",
    ),
    Choice(
        "What is an epoch?",
        options=[
            "One update of the weights, whatever the number of examples it uses.",
            "One pass over the training set, however many updates it takes.",
            "One mini-batch of examples, drawn at random from the training set.",
            "The number of updates it takes the training loss to fall by half.",
        ],
        answer=1,
        explanation="An epoch is one pass over all $N$ training examples: one update for batch gradient "
                    "descent, $\\lceil N/B\\rceil$ updates for mini-batches of $B$, and $N$ for SGD.",
        hint="Count the updates per epoch of the three methods in section 5.",
    ),
    Numeric(
        "A training set has $N = 50\\,000$ examples. How many updates make one epoch of mini-batch SGD with "
        "batch size $B = 128$ (the last batch smaller)?",
        answer=391,
        tolerance=0.5,
        explanation="$\\lceil 50\\,000/128\\rceil = \\lceil 390.6\\rceil = 391$: 390 full batches of 128 and a last "
                    "one of 80 examples.",
        hint="Divide, and do not forget the last, smaller batch.",
    ),
    Numeric(
        "Mini-batches are drawn from a very large data set ($N \\gg B$). When the batch size grows from 32 to 128, "
        "by what factor is the variance of the mini-batch gradient multiplied?",
        answer=0.25,
        tolerance=0.01,
        explanation="The variance is $\\frac{N-B}{N-1}\\,\\sigma^2/B \\approx \\sigma^2/B$ for $N \\gg B$: four times "
                    "the batch size divides it by 4 (and halves the standard deviation), for four times the "
                    "compute per update.",
        hint="The variance of an average of $B$ independent terms.",
    ),
    Numeric(
        "Gradient descent runs on $L(w_1, w_2) = 1.5\\,w_1^2 + w_1 w_2 + 1.5\\,w_2^2$. Above which learning rate "
        "does it diverge (from almost every starting point)?",
        answer=0.5,
        tolerance=0.01,
        explanation="The Hessian is $\\begin{pmatrix}3 & 1\\\\ 1 & 3\\end{pmatrix}$ with eigenvalues 4 and 2, so "
                    "the bound is $2/\\lambda_{\\max} = 2/4 = 0.5$. The largest entry, 3, would give the wrong "
                    "answer $2/3$.",
        hint="Write down the Hessian, then its largest eigenvalue.",
    ),
    Numeric(
        "Gradient descent with the best constant learning rate runs on a quadratic whose Hessian has the "
        "eigenvalues 1 and 9. By what factor does the distance to the minimum shrink per step, at worst?",
        answer=0.8,
        tolerance=0.01,
        explanation="The best constant step is $2/(\\lambda_{\\min} + \\lambda_{\\max}) = 0.2$; both extreme "
                    "directions then shrink by $|1 - 0.2\\lambda| = 0.8 = (\\kappa - 1)/(\\kappa + 1)$ with "
                    "$\\kappa = 9$. About $\\kappa/2$ steps divide the error by $e$.",
        hint="Section 7: the rate $(\\kappa-1)/(\\kappa+1)$ with the condition number $\\kappa = \\lambda_{\\max}/\\lambda_{\\min}$.",
    ),
    Choice(
        "Why is the training set shuffled again at the start of every epoch?",
        options=[
            "So that each batch is a random sample, even when the data are stored in some order.",
            "To make each epoch cheaper: shuffled batches need fewer gradient evaluations.",
            "Because the gradient of a shuffled batch equals the full-batch gradient exactly.",
            "To make runs reproducible: a shuffle fixes the order in which examples are seen.",
        ],
        answer=0,
        explanation="Data sets are often stored sorted (by label, date, source); consecutive examples would give "
                    "biased batches, and a fixed order would repeat the same sequence of updates every epoch. "
                    "Shuffling makes every batch a random sample without replacement, while each example is "
                    "still used exactly once per epoch.",
        hint="What would the batches look like if the data were sorted by label?",
    ),
    Text(
        "Which `torch.optim` class implements plain (mini-batch) gradient descent, $\\mathbf w \\leftarrow "
        "\\mathbf w - \\eta\\,\\nabla L$?",
        answers=["SGD", "optim.SGD", "torch.optim.SGD"],
        explanation="`torch.optim.SGD(params, lr=...)`. With `momentum=0` (its default) its `step()` is exactly "
                    "`w - lr * grad`, your `gradient_step`; fed mini-batches, it is mini-batch SGD.",
        hint="Three letters.",
    ),
]
