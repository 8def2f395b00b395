"""Chapter 6 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/06_training_loop.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "Why do we call `optimizer.zero_grad()` once per batch?",
        options=[
            "To set the weights back to zero before each step.",
            "Because `loss.backward()` adds the new gradient to what `.grad` already holds; without "
            "clearing it, every step would follow the sum of the gradients of all batches so far.",
            "To free the memory of the computational graph after the step.",
            "Because momentum would otherwise grow without bound.",
        ],
        answer=1,
        explanation="Adding is deliberate: a parameter used in several places collects the gradient of "
                    "every use, and the gradients of several small batches can be summed before one "
                    "step (gradient accumulation). In the plain loop each step must start from zero, so "
                    "`zero_grad()` comes before `loss.backward()`. The graph is freed by `backward()` "
                    "itself.",
        hint="Section 3 calls `backward()` three times on the same loss.",
    ),
    Numeric(
        "A freshly initialised classifier for $C = 10$ classes outputs logits close to 0. About what "
        "cross-entropy loss do you expect on the first batch? (natural logarithm, two decimals)",
        answer=2.302585,
        tolerance=0.02,
        explanation="Logits near 0 give a softmax near uniform, probability $1/C$ for the true class, so "
                    "the loss is $-\\ln(1/C) = \\ln 10 \\approx 2.30$. For ImageNet's 1000 classes it would "
                    "be $\\ln 1000 \\approx 6.91$. A clearly different first loss points to a bug.",
        hint="What probability does a uniform softmax give the true class?",
    ),
    Numeric(
        "The training set has 1437 digits and the `DataLoader` uses `batch_size=64` and "
        "`drop_last=False`. How many optimizer steps does one epoch take?",
        answer=23,
        tolerance=0.5,
        explanation="$\\lceil 1437 / 64 \\rceil = 23$: 22 full batches of 64 and a last batch of 29. "
                    "With `drop_last=True` it would be 22 and the 29 examples would wait for the next "
                    "epoch's shuffle.",
        hint="The last batch is smaller, but it is still a batch.",
    ),
    Choice(
        "What do `model.eval()` and `torch.no_grad()` each do?",
        options=[
            "`model.eval()` switches layers such as dropout and batch norm to their inference behaviour; "
            "`torch.no_grad()` stops autograd from recording the graph. They are independent, and "
            "evaluation uses both.",
            "The same thing: both switch off gradient computation.",
            "`model.eval()` freezes the weights so that the optimizer cannot change them; "
            "`torch.no_grad()` sets every `.grad` to zero.",
            "`torch.no_grad()` switches dropout off; `model.eval()` saves memory.",
        ],
        answer=0,
        explanation="`eval()` only sets `module.training = False` in every submodule, and the layers that "
                    "care (dropout, batch norm) change what they compute. `no_grad()` changes nothing "
                    "in the results; it saves the memory and time of a graph nobody will backpropagate "
                    "through. Call `model.train()` again before the next epoch.",
        hint="One of them changes what the layers compute, the other what autograd records.",
    ),
    Text(
        "After evaluating, which method call puts the model back into training mode? (write the call)",
        answers=["model.train()", "train()", "model.train(True)", "model.train(mode=True)"],
        explanation="`model.train()` sets `training = True` in every submodule, so dropout drops again "
                    "and batch norm uses batch statistics and updates its running ones. That is why "
                    "`train_one_epoch` starts with it.",
        hint="It is the counterpart of `model.eval()`.",
    ),
    Choice(
        "Two runs of the same script with the same seed should give exactly the same losses. Which "
        "random choices must the seeds fix?",
        options=[
            "Only the initial weights.",
            "Only the order of the data.",
            "The initial weights, the order in which the `DataLoader` shuffles the data, and the "
            "dropout masks (and, on a GPU, only deterministic kernels may be used).",
            "None: floating-point arithmetic makes every run different anyway.",
        ],
        answer=2,
        explanation="Every random draw must repeat: `torch.manual_seed` fixes the weights and the dropout "
                    "masks, the `DataLoader`'s own generator the order of the batches, and "
                    "`random`/`np.random` whatever else draws from them. Floating point is deterministic "
                    "for the same operations in the same order, on the same hardware and software.",
        hint="Section 7 lists three places where a run draws random numbers.",
    ),
    Choice(
        "You resume an Adam run with a cosine schedule from a checkpoint that holds only "
        "`model.state_dict()`. What happens?",
        options=[
            "Nothing: the weights are all that matter, and the run continues as if uninterrupted.",
            "`torch.load` refuses to load weights without the optimizer.",
            "The weights are loaded as zeros.",
            "Adam starts again from zero moment estimates and step count 0, the schedule starts again "
            "from its first learning rate, and the data order repeats the first epochs': the run "
            "differs from the uninterrupted one.",
        ],
        answer=3,
        explanation="A checkpoint must hold everything the next step depends on: the model's, optimizer's "
                    "and scheduler's state dicts, the data order generator's state, the random state for "
                    "dropout, and the epoch. With all of it a resumed run matches the uninterrupted one "
                    "exactly.",
        hint="Section 8's table lists what each state dict carries.",
    ),
    Choice(
        "You train on a single batch of 20 examples for 300 steps, and the loss stays at about 1.5. What "
        "does that tell you?",
        options=[
            "The model generalises well; train on the full data.",
            "The batch is too small: overfitting needs the whole data set.",
            "Something in the model, the loss or the loop is broken (for example a softmax before a "
            "loss that expects logits, a missing `optimizer.step()`, parameters not given to the "
            "optimizer): a network with thousands of weights should memorise 20 examples.",
            "The learning rate schedule decays too slowly; train for more epochs.",
        ],
        answer=2,
        explanation="Overfitting one small batch is the cheapest test of the whole pipeline: if the loss "
                    "does not approach 0 there, it will not do well on the full data either. A softmax "
                    "in front of `F.cross_entropy` stops at $-\\ln(e/(e+9)) \\approx 1.46$, the floor "
                    "in section 6.",
        hint="Section 6 shows a model that cannot get below about 1.46.",
    ),
]
