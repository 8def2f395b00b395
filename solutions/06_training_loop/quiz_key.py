"""Chapter 6 quiz, with its answers: instructors only.

`make release` seals it into lib/trainlab/quizzes/06_training_loop.json (answers hashed,
explanations encrypted); nbgrader does not copy this file into notebooks/.
"""

from trainlab.quiz import Choice, Numeric, Text

QUESTIONS = [
    Choice(
        "Why is the test set evaluated only once, at the very end, and not after every epoch?",
        options=[
            "Its examples would leak into the gradients if it were used during training.",
            "A score that guided any choice is optimistic; the test score must not be one.",
            "It is the most expensive evaluation, so it is saved for when training is done.",
            "Its loss is noisier than the validation loss and would mislead early stopping.",
        ],
        answer=1,
        explanation="Evaluating under `torch.no_grad()` trains nothing, so nothing leaks into the gradients. "
                    "The problem is selection: picking the epoch, the learning rate or the model by a score "
                    "fits them a little to that set, so that score overestimates performance on new data. "
                    "The validation set takes that role; the test set, looked at once, stays an honest "
                    "estimate.",
        hint="What happens to the validation accuracy of the model you picked because of it?",
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
        "The training set has 1150 digits and the `DataLoader` uses `batch_size=64` and "
        "`drop_last=False`. How many optimizer steps does one epoch take?",
        answer=18,
        tolerance=0.5,
        explanation="$\\lceil 1150 / 64 \\rceil = 18$: 17 full batches of 64 and a last batch of 62. "
                    "With `drop_last=True` it would be 17 and the 62 examples would wait for the next "
                    "epoch's shuffle.",
        hint="The last batch is smaller, but it is still a batch.",
    ),
    Choice(
        "In epoch 1 the training loss (the mean of the epoch's batch losses) is 1.69 and the validation "
        "loss 0.92. Why is the training loss the higher one?",
        options=[
            "The validation digits happen to be easier than the training digits.",
            "The training loss sums over batches, the validation loss averages.",
            "It averages over the epoch, while the weights were still improving.",
            "The model already overfits the validation set after one epoch.",
        ],
        answer=2,
        explanation="The first batches of epoch 1 are seen by an untrained network, the last by a much "
                    "better one; their mean is far above the loss of the weights at the end of the epoch, "
                    "which is what the validation loss measures (dropout, when on, adds to the gap). "
                    "Measured the same way after the epoch, the training accuracy is above the validation "
                    "accuracy, as expected.",
        hint="When is each of the two numbers measured, and with which weights?",
    ),
    Numeric(
        "The validation losses after epochs 1 to 6 are 0.90, 0.41, 0.30, 0.33, 0.29, 0.31. A callback keeps "
        "the weights of the lowest validation loss. After which epoch were the kept weights saved?",
        answer=5,
        tolerance=0.1,
        explanation="The lowest is 0.29, after epoch 5. The rise after epoch 3 was noise, not the start of "
                    "overfitting; early stopping with a patience of 1 epoch would have stopped after epoch 4 "
                    "and missed the best weights.",
        hint="Find the minimum; epochs count from 1.",
    ),
    Numeric(
        "A buggy loop uses `F.cross_entropy(..., reduction=\"sum\")` on batches of 64 with plain SGD at "
        "learning rate 0.1. With the default mean reduction, which learning rate takes exactly the same steps?",
        answer=6.4,
        tolerance=0.01,
        explanation="The summed loss is 64 times the mean, so is its gradient, and SGD's step "
                    "$\\eta\\,\\nabla L$ is the same for $\\eta = 0.1$ on the sum and $\\eta = 6.4$ on the "
                    "mean. (The last, smaller batch gets a different factor, and Adam, which divides by the "
                    "gradient's scale, barely notices.)",
        hint="How does the gradient of a sum of 64 terms compare with the gradient of their mean?",
    ),
    Choice(
        "What do `model.eval()` and `torch.no_grad()` each do?",
        options=[
            "`eval()` changes how dropout and batch norm compute; `no_grad()` stops recording the graph.",
            "Both switch gradient computation off, so using either one of them is enough for evaluation.",
            "`eval()` freezes the weights against the optimizer; `no_grad()` sets every `.grad` to zero.",
            "`no_grad()` switches dropout off; `eval()` only saves the memory and time of the graph.",
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
            "Only the initial weights: the rest of a run follows from them.",
            "Only the data order, which the `DataLoader` draws every epoch.",
            "None: floating-point arithmetic makes every run differ anyway.",
            "The initial weights, the data order and the dropout masks.",
        ],
        answer=3,
        explanation="Every random draw must repeat: `torch.manual_seed` fixes the weights and the dropout "
                    "masks, the `DataLoader`'s own generator the order of the batches, and "
                    "`random`/`np.random` whatever else draws from them (a `np.random.default_rng` "
                    "generator only from its own seed). Floating point is deterministic for the same "
                    "operations in the same order, on the same hardware and software.",
        hint="Section 7 lists three places where a run draws random numbers.",
    ),
    Choice(
        "You resume an Adam run with a cosine schedule from a checkpoint that holds only "
        "`model.state_dict()`. What happens?",
        options=[
            "Nothing: the weights are all that matter, and the run goes on unchanged.",
            "Adam's moments and the schedule restart, and the data order repeats.",
            "`torch.load` refuses to load weights that come without an optimizer.",
            "The run goes on exactly, but at the learning rate saved with the model.",
        ],
        answer=1,
        explanation="A checkpoint must hold everything the next step depends on: the model's, optimizer's "
                    "and scheduler's state dicts, the data order generator's state, the random state for "
                    "dropout, and the epoch. With all of it a resumed run matches the uninterrupted one "
                    "exactly. A model's state dict holds no learning rate.",
        hint="Section 8's table lists what each state dict carries.",
    ),
    Choice(
        "You train on a single batch of 20 examples for 300 steps, and the loss stays at about 1.5. What "
        "does that tell you?",
        options=[
            "The model generalises well; move on to the full data set.",
            "The batch is too small: memorising needs the whole data set.",
            "The learning rate decays too slowly; train for more epochs.",
            "Something is broken, e.g. a softmax before the loss.",
        ],
        answer=3,
        explanation="Overfitting one small batch is the cheapest test of the whole pipeline: a network "
                    "with thousands of weights should memorise 20 examples, and if the loss does not "
                    "approach 0 there, it will not do well on the full data either. A softmax in front of "
                    "`F.cross_entropy` stops at $-\\ln(e/(e+9)) \\approx 1.46$, the floor in section 6.",
        hint="Section 6 shows a model that cannot get below about 1.46.",
    ),
]
