"""Randomness a test controls whatever else draws random numbers: for chapter 6's tests of training loops.

A right training loop may start an extra DataLoader iterator it never uses (tqdm.auto's progress bar
does), iterate a loader without a generator (each iterator draws a number from torch's global
generator) or draw nothing where another loop draws: none of that is a mistake, so the same-seed
tests must not depend on it.

- :func:`shuffled_loader`: a loader whose order depends only on its seed and the epochs it served.
- :class:`SeededDropout`: dropout whose masks come from a generator of its own.
"""

import torch
from torch.utils.data import DataLoader, RandomSampler


def shuffled_loader(dataset, batch_size, seed):
    """A DataLoader over ``dataset`` in batches of ``batch_size``, in a new order every epoch.

    Its sampler has a generator of its own (seeded with ``seed``), drawn from only when an epoch's
    first batch is served; the numbers every started iterator draws come from the loader's own
    generator, another one. So the k-th epoch's order is the same however many iterators were
    started and left unused, and torch's global generator is never drawn from.
    """
    sampler = RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, generator=torch.Generator().manual_seed(seed))


def fixed_loader(dataset, batch_size):
    """A DataLoader over ``dataset`` in order, which never draws from torch's global generator."""
    return DataLoader(dataset, batch_size=batch_size, generator=torch.Generator().manual_seed(0))


class SeededDropout(torch.nn.Module):
    """``nn.Dropout(p)`` with masks drawn from a generator of its own, seeded with ``seed``.

    In training mode each forward pass zeroes each activation with probability p and scales the
    others by 1 / (1 - p); in evaluation mode it passes x through. x: any shape, on the CPU.
    """

    def __init__(self, p, seed):
        super().__init__()
        self.p, self.generator = p, torch.Generator().manual_seed(seed)

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.generator) >= self.p
        return x * keep.to(x.device) / (1 - self.p)
