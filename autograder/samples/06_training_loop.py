"""A synthetic class for chapter 6: what each student handed in and the score it must earn.

Out of 30 points: 10 exercises, 1 point per visible test and 2 per hidden test.
See autograder/samples/01_losses.py for the format.
"""

SUBMISSIONS = [
    dict(student="ada", about="everything right", base="solution", cells={}, score=30),
    dict(student="bo", about="handed in untouched", base="release", cells={}, score=0),
    dict(
        student="cy",
        about="train_one_epoch without optimizer.zero_grad(): gradients accumulate over the batches",
        base="solution",
        cells={"train_one_epoch": (
            "def train_one_epoch(model, loader, optimizer, loss_fn=F.cross_entropy):\n"
            "    model.train()\n"
            "    device = next(model.parameters()).device\n"
            "    losses = []\n"
            "    for x, y in loader:\n"
            "        x, y = x.to(device), y.to(device)\n"
            "        loss = loss_fn(model(x), y)\n"
            "        loss.backward()\n"
            "        optimizer.step()\n"
            "        losses.append(loss.item())\n"
            "    return losses\n")},
        # train_one_epoch loses 3; fit, which calls it, its hidden test (2); and the visible
        # checkpoint test (1): the stale gradients are not in the checkpoint, so the resumed run differs
        score=24,
    ),
    dict(
        student="dan",
        about="a checkpoint without the optimizer's state: Adam's moments start again from zero",
        base="solution",
        cells={"checkpoint": (
            "def save_checkpoint(path, model, optimizer, scheduler, generator, epoch):\n"
            "    torch.save({'model': model.state_dict(), 'scheduler': scheduler.state_dict(),\n"
            "                'generator': generator.get_state(), 'rng': torch.get_rng_state(),\n"
            "                'epoch': epoch}, path)\n"
            "\n"
            "\n"
            "def load_checkpoint(path, model, optimizer, scheduler, generator):\n"
            "    checkpoint = torch.load(path)\n"
            "    model.load_state_dict(checkpoint['model'])\n"
            "    scheduler.load_state_dict(checkpoint['scheduler'])\n"
            "    generator.set_state(checkpoint['generator'])\n"
            "    torch.set_rng_state(checkpoint['rng'])\n"
            "    return checkpoint['epoch']\n")},
        score=27,
    ),
]
