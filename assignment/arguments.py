"""Argument checks shared by the numpy parts (conv, pooling, dilation). Provided, not an exercise: they run
before your code and say what is wrong with a bad argument and how to fix it (assignment/checks.py holds
the checks the notebooks run on your results)."""
import numpy as np


def is_int(value):
    """True for Python and numpy integers, False for bools, floats and anything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def require_int(name, value, minimum=None):
    """Raise ValueError unless value is one integer (>= minimum when given); bools, floats and pairs are not."""
    if isinstance(value, (tuple, list)):
        raise ValueError(f"{name} must be one integer (the same for height and width in this course), got {value!r}")
    if not is_int(value):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            hint = f"write {name}={int(value)}"
        else:
            hint = "pass a whole number (int)"
        raise ValueError(f"{name} must be an integer, got {value!r} ({type(value).__name__}); {hint}")
    if minimum is not None and value < minimum:
        rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {rule}, got {value}")


def require_ints(**values):
    """Raise ValueError unless every keyword argument is one integer."""
    for name, value in values.items():
        require_int(name, value)


def require_array(name, value, layout):
    """Raise ValueError unless value is a non-empty floating-point ndarray with the axes named in layout."""
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{name} must be a numpy array of shape {layout}, got {type(value).__name__}; "
                         f"convert it with np.asarray({name}, dtype=np.float64)")
    rank = len([axis for axis in layout.strip("()").split(",") if axis.strip()])
    if value.ndim != rank:
        hint = f" (for a single image use {name}[None])" if name == "x" and value.ndim == 3 else ""
        axes = "1 axis" if rank == 1 else f"{rank} axes"
        raise ValueError(f"{name} must have {axes} {layout}, got shape {value.shape}{hint}")
    if not np.issubdtype(value.dtype, np.floating):
        raise ValueError(f"{name} must hold floating-point numbers, got dtype {value.dtype}; "
                         f"convert it with {name}.astype(np.float64)")
    if value.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {value.shape}")
