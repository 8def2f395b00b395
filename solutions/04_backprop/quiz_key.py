"""Chapter 4 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/04_backprop.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "You need the whole Jacobian of $f: \\mathbb R^3 \\to \\mathbb R^{1000}$. Which mode of automatic "
        "differentiation takes the fewest passes, and how many?",
        options=[
            "Reverse mode, 1 sweep, as for any loss",
            "Forward mode, 3 passes, one per input",
            "Reverse mode, 3 sweeps, one per input",
            "Forward mode, 1000 passes, one per output",
        ],
        answer=1,
        explanation="A forward pass seeded with $\\dot{\\mathbf x} = \\mathbf e_j$ gives one column of the "
                    "$1000 \\times 3$ Jacobian ($J\\mathbf e_j$), so 3 passes give all of it. A reverse sweep "
                    "gives one row ($\\bar{\\mathbf y}^\\top J$), so it would take 1000 sweeps. Reverse mode "
                    "wins only when there are fewer outputs than inputs, as for a scalar loss.",
        hint="One forward pass gives one column of the Jacobian, one reverse sweep one row.",
    ),
    Numeric(
        "A network has one scalar loss and $10^6$ weights. How many forward-mode passes does the full "
        "gradient take? (Reverse mode needs one sweep.)",
        answer=1e6,
        tolerance=1,
        explanation="One pass per input direction: seeding $\\dot{\\mathbf x} = \\mathbf e_j$ gives "
                    "$\\partial L/\\partial w_j$ only, so $10^6$ passes, against a single reverse sweep.",
        hint="One pass gives one column of the $1 \\times n$ Jacobian.",
    ),
    Choice(
        "Why do we call `optimizer.zero_grad()` before `loss.backward()` in a training loop?",
        options=[
            "`backward()` adds into `.grad`, so old gradients would join every step.",
            "It frees the old graph, so that the next forward pass can build a new one.",
            "It resets the learning-rate schedule before the next step of the optimizer.",
            "It sets the weights to zero before the update, just as weight decay does.",
        ],
        answer=0,
        explanation="Accumulation is how reverse mode works inside one graph (a weight used twice gets "
                    "two contributions) and it is kept across `backward()` calls on purpose, e.g. to add "
                    "the gradients of micro-batches. In an ordinary loop the old gradients must go, and "
                    "`zero_grad()` (by default it sets `.grad` to `None`) does that. The graph is freed by "
                    "`backward()` itself.",
        hint="Section 6 calls `backward()` twice and prints `w.grad`.",
    ),
    Numeric(
        "With dual numbers ($\\varepsilon^2 = 0$), $(3 + \\varepsilon)^2 = 9 + c\\,\\varepsilon$. What is $c$?",
        answer=6,
        tolerance=0.01,
        explanation="$(3 + \\varepsilon)^2 = 9 + 6\\varepsilon + \\varepsilon^2 = 9 + 6\\varepsilon$: the "
                    "tangent is $2 \\cdot 3 = 6$, the derivative of $x^2$ at 3.",
        hint="Expand the square and drop $\\varepsilon^2$.",
    ),
    Choice(
        "In the trace of $f(x_1, x_2) = x_1x_2 + \\exp(x_1x_2) - \\sin x_2$ with $v_3 = v_1 v_2$, "
        "$v_4 = \\sin v_2$, $v_5 = \\exp v_3$, $v_6 = v_3 - v_4$, $v_7 = v_5 + v_6$, what is the adjoint $\\bar v_2$?",
        options=[
            "$\\bar v_2 = \\bar v_2 v_1 + \\bar v_4 \\cos v_2$",
            "$\\bar v_2 = \\bar v_3 v_2 + \\bar v_4 \\sin v_2$",
            "$\\bar v_2 = \\bar v_3 v_1$",
            "$\\bar v_2 = \\bar v_3 v_1 + \\bar v_4 \\cos v_2$",
        ],
        answer=3,
        explanation="$v_2$ has two children, $v_3 = v_1 v_2$ (local derivative $v_1$) and $v_4 = \\sin v_2$ "
                    "(local derivative $\\cos v_2$), and its adjoint adds one term per child. An adjoint "
                    "never appears on both sides of its own equation.",
        hint="List the children of $v_2$ and the derivative of each with respect to $v_2$.",
    ),
    Numeric(
        "Same trace, at $x_1 = 1$, $x_2 = 0$, with $\\bar v_7 = 1$. What is the value of $\\bar v_2$?",
        answer=1,
        tolerance=0.01,
        explanation="$v_3 = 0$, so $\\bar v_5 = \\bar v_6 = 1$, $\\bar v_3 = \\bar v_5 e^{v_3} + \\bar v_6 = 2$ "
                    "and $\\bar v_4 = -\\bar v_6 = -1$. Then $\\bar v_2 = \\bar v_3 v_1 + \\bar v_4 \\cos v_2 = "
                    "2 - 1 = 1$, which is $\\partial f/\\partial x_2 = x_1 + x_1 e^{x_1x_2} - \\cos x_2$ at (1, 0).",
        hint="Sweep backwards from $\\bar v_7 = 1$: $\\bar v_5$ and $\\bar v_6$ first, then $\\bar v_3$ and $\\bar v_4$.",
    ),
    Choice(
        "In a reverse-mode engine, why must `_backward` add to a parent's gradient (`+=`) instead of "
        "assigning it (`=`)?",
        options=[
            "Assigning a float loses the precision that adding keeps.",
            "It makes no difference once the order is topological.",
            "A node used twice gets a term per use; `=` keeps one.",
            "The gradient has to grow a little at every training step.",
        ],
        answer=2,
        explanation="$\\bar v_i = \\sum_{j \\in \\text{children}(i)} \\bar v_j\\, \\partial v_j/\\partial v_i$. "
                    "For `x * x` both parents are the same node, and with `=` its gradient would be $x$ "
                    "instead of $2x$. The topological order only makes sure every term has arrived before "
                    "the node passes its gradient on.",
        hint="Try `x * x` by hand.",
    ),
    Choice(
        "Why does reverse mode need more memory than forward mode?",
        options=[
            "It keeps the trace's values until the backward sweep uses them.",
            "It stores the full Jacobian of every operation as a matrix.",
            "It keeps a separate copy of the weights for every output.",
            "It does not: both modes need the same memory for a gradient.",
        ],
        answer=0,
        explanation="The local derivatives in the backward sweep need the primal values (e.g. $v_1$ and "
                    "$v_2$ for $v_3 = v_1v_2$), and the sweep starts only after the forward pass ends. "
                    "This is why activations dominate the memory of training, and why tricks such as "
                    "gradient checkpointing recompute some of them instead. No Jacobian is ever stored: "
                    "each step computes a vector-Jacobian product.",
        hint="What does the local rule of a product need?",
    ),
    Choice(
        "Leaves `a` and `b` require gradients. For which loss does a second `loss.backward()` (without "
        "`retain_graph=True`) raise an error?",
        options=[
            "`(a + b).sum()`: every graph is freed after the first sweep.",
            "Both: torch refuses any second sweep through the same graph.",
            "Neither: that error comes only from in-place modifications.",
            "`(a * b).sum()`: the product saved `a` and `b`, now freed.",
        ],
        answer=3,
        explanation="`backward()` frees the tensors a graph saved for its backward pass. A product saves "
                    "its inputs (its local derivatives are the other factor); a sum saves nothing, so a "
                    "second sweep through an add-only graph still works, and adds into `.grad` again.",
        hint="What does the backward pass of `a + b` need to remember? And that of `a * b`?",
    ),
    Text(
        "Which keyword argument of `backward()` or `torch.autograd.grad` keeps the graph alive for a second "
        "backward sweep through it?",
        answers=["retain_graph", "retain_graph=True"],
        explanation="`retain_graph=True` keeps the saved tensors; by default torch frees them after one "
                    "sweep to save memory, and a second sweep through an operation that saved tensors "
                    "raises a RuntimeError.",
        hint="Exercise 9 needed it for all but the last row.",
    ),
]
