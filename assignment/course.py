"""Course-wide settings: smoke mode, seeding and the repository root.

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
