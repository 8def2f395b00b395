"""A progress bar that leaves what it wraps alone: ``tqdm``, as chapter 6's set-up cell imports it.

It is tqdm's own bar, a widget in JupyterLab and text elsewhere (``tqdm.autonotebook``, without its
warning). ``tqdm.auto``'s bar adds tqdm's asyncio support, which calls ``iter(iterable)`` as soon as
the bar is made; a DataLoader draws a number from its generator for every iterator it starts, so a
shuffled loader wrapped in that bar serves other batches than the same loader unwrapped. This bar
starts the one iterator the loop uses, when the loop starts it.
"""

import warnings

from tqdm.std import TqdmExperimentalWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=TqdmExperimentalWarning)
    from tqdm.autonotebook import tqdm, trange

__all__ = ["tqdm", "trange"]
