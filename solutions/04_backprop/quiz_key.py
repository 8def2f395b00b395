"""Chapter 4 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/04_backprop.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "What is the disadvantage of forward-mode automatic differentiation?",
        options=[
            "It is inexact: like finite differences, its error depends on a step size.",
            "One forward pass gives the derivative along one input direction only, so the gradient of a "
            "scalar loss with respect to $n$ weights takes $n$ passes. Networks have millions of weights "
            "and one loss, so reverse mode (one sweep for all of them) is used instead.",
            "It needs to store every intermediate value of the computation until the end.",
            "It cannot differentiate functions with more than one output.",
        ],
        answer=1,
        explanation="A forward pass computes one Jacobian-vector product $J\\dot{\\mathbf x}$, one column of "
                    "the Jacobian. It is exact and needs little memory (values can be forgotten as soon as "
                    "their children are computed), and it handles many outputs in the same pass. Its cost "
                    "grows with the number of inputs, which is the wrong way round for training.",
        hint="Section 4 counts the passes each mode needs for $n$ inputs and 1 output.",
    ),
    Choice(
        "Why do we call `optimizer.zero_grad()` before `loss.backward()` in a training loop?",
        options=[
            "It frees the computational graph so that the next forward pass can build a new one.",
            "It resets the learning rate schedule for the next step.",
            "`backward()` adds the new gradients to what each parameter's `.grad` already holds. Without "
            "resetting, every step would use the sum of the gradients of all previous steps.",
            "It sets the weights to zero before the update, as weight decay does.",
        ],
        answer=2,
        explanation="Accumulation is how reverse mode works inside one graph (a weight used twice gets "
                    "two contributions) and it is kept across `backward()` calls on purpose, e.g. to add "
                    "the gradients of micro-batches. In an ordinary loop the old gradients must go, and "
                    "`zero_grad()` (by default it sets `.grad` to `None`) does that.",
        hint="Section 6 calls `backward()` twice and prints `w.grad`.",
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
            "$\\bar v_2 = \\bar v_3 v_1 + \\bar v_4 \\cos v_2$",
            "$\\bar v_2 = \\bar v_3 v_2 + \\bar v_4 \\sin v_2$",
            "$\\bar v_2 = \\bar v_3 v_1$",
        ],
        answer=1,
        explanation="$v_2$ has two children, $v_3 = v_1 v_2$ (local derivative $v_1$) and $v_4 = \\sin v_2$ "
                    "(local derivative $\\cos v_2$), and its adjoint adds one term per child. An adjoint "
                    "never appears on both sides of its own equation.",
        hint="List the children of $v_2$ and the derivative of each with respect to $v_2$.",
    ),
    Choice(
        "In a reverse-mode engine, why must `_backward` add to a parent's gradient (`+=`) instead of "
        "assigning it (`=`)?",
        options=[
            "Because floating-point assignment loses precision.",
            "Because a value used by several children receives one contribution from each, and the chain "
            "rule sums them; `=` would keep only the last one.",
            "Because the gradient must grow at every training step.",
            "It makes no difference as long as the topological order is right.",
        ],
        answer=1,
        explanation="$\\bar v_i = \\sum_{j \\in \\text{children}(i)} \\bar v_j\\, \\partial v_j/\\partial v_i$. "
                    "For `x * x` both parents are the same node, and with `=` its gradient would be $x$ "
                    "instead of $2x$.",
        hint="Try `x * x` by hand.",
    ),
    Choice(
        "Why does reverse mode need more memory than forward mode?",
        options=[
            "It stores the primal values of the whole trace until the backward sweep has used them.",
            "It stores the full Jacobian matrix.",
            "It keeps a copy of the weights for every output.",
            "It does not: both need the same memory.",
        ],
        answer=0,
        explanation="The local derivatives in the backward sweep need the primal values (e.g. $v_1$ and "
                    "$v_2$ for $v_3 = v_1v_2$), and the sweep starts only after the forward pass ends. "
                    "This is why activations dominate the memory of training, and why tricks such as "
                    "gradient checkpointing recompute some of them instead.",
        hint="What does the local rule of a product need?",
    ),
    Text(
        "Which keyword argument of `backward()` or `torch.autograd.grad` keeps the graph alive for a second "
        "backward sweep through it?",
        answers=["retain_graph", "retain_graph=True"],
        explanation="`retain_graph=True` keeps the saved tensors; by default torch frees them after one "
                    "sweep to save memory, and a second sweep raises a RuntimeError.",
        hint="Exercise 9 needed it for all but the last row.",
    ),
]
