"""Allocates far more memory than any machine has."""
import numpy as np


def __getattr__(name):
    def answer(*args, **kwargs):
        blocks = []
        while True:
            blocks.append(np.ones(1 << 28))
    return answer
