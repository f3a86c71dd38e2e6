"""Course-wide settings: smoke mode, seeding, progress bars and the repository root.

Smoke mode (environment variable COURSE_SMOKE=1) shrinks sizes and repeats so that every notebook
runs in well under a minute on two CPU cores; continuous integration and the grader use it.
"""
import os
import random
import sys
from pathlib import Path

import numpy as np

SMOKE = os.environ.get("COURSE_SMOKE", "").strip().lower() in {"1", "true", "yes"}

ROOT = Path(__file__).resolve().parent.parent  # the folder that holds assignment/ and notebooks/


def smoke_or(full, smoke):
    """`smoke` in smoke mode, `full` otherwise, e.g. `repeat = smoke_or(full=7, smoke=2)`."""
    return smoke if SMOKE else full


def seed_everything(seed=0):
    """Seed Python's, numpy's and (if it is already imported) torch's random generators.

    Returns a fresh `np.random.Generator` seeded with `seed`, the recommended way to draw numbers.
    torch is not imported here, so notebooks that do not use it stay light.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)


class progress:
    """A progress bar (tqdm's; a widget in a notebook) that a saved notebook shows finished.

        for shift in progress(shifts, desc="shifts"): ...
        bar = progress(total=1000, desc="training"); bar.update(); bar.set_postfix_str("loss 0.3"); bar.close()

    A notebook keeps the text a widget had when it was displayed (0%): the bar is displayed again, finished,
    when it closes, so the saved notebook holds one complete line per bar instead of a stale one."""

    def __init__(self, iterable=None, total=None, desc=None, initial=0, disable=False):
        from tqdm.auto import tqdm
        from tqdm.notebook import tqdm_notebook

        self.iterable, self.handle = iterable, None
        notebook = not disable and issubclass(tqdm, tqdm_notebook)
        self.bar = tqdm(iterable, total=total, desc=desc, initial=initial, disable=disable, leave=True,
                        **({"display": False} if notebook else {}))
        if notebook:
            from IPython.display import display
            self.handle = display(self.bar.container, display_id=True)

    def __iter__(self):
        try:
            yield from self.bar
        finally:
            self.close()

    def __len__(self):
        return len(self.bar)

    def update(self, n=1):
        self.bar.update(n)

    def set_postfix_str(self, text, refresh=True):
        self.bar.set_postfix_str(text, refresh=refresh)

    def close(self):
        if self.handle is not None:
            self.bar.close()
            self.handle.update(self.bar.container)
            self.handle = None
        else:
            self.bar.close()
