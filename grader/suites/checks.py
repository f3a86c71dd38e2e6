"""Comparisons for the hidden suites. Failure messages describe the difference, never the test code."""
import numpy as np
import pytest

from grader.sandbox import StudentError


def describe(**params):
    """'x of shape (2, 3, 5, 7), stride 2, padding 1' from keyword arguments (arrays shown by shape)."""
    parts = []
    for key, value in params.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{key} of shape {value.shape} ({value.dtype})")
        else:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def assert_close(actual, expected, what, rtol=1e-7, atol=1e-9, context=""):
    """`actual` must be an ndarray with `expected`'s shape and dtype and close values."""
    where = f" (for {context})" if context else ""
    if not isinstance(actual, np.ndarray):
        pytest.fail(f"{what}: expected a numpy array, got {type(actual).__name__}{where}")
    if actual.shape != expected.shape:
        pytest.fail(f"{what}: shape {actual.shape}, expected {expected.shape}{where}")
    if actual.dtype != expected.dtype:
        pytest.fail(f"{what}: dtype {actual.dtype}, expected {expected.dtype} (keep the input's dtype){where}")
    bad = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    if bad.any():
        diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
        diff[~bad] = 0
        worst = np.unravel_index(np.argmax(diff), diff.shape)
        pytest.fail(f"{what}: {int(bad.sum())} of {bad.size} values differ; largest difference "
                    f"{diff[worst]:.3g} at index {tuple(int(i) for i in worst)} "
                    f"(yours {actual[worst]:.6g}, expected {expected[worst]:.6g}){where}")


def assert_equal_value(actual, expected, what, context=""):
    """Exact equality for plain answers (ints, bools, tuples); numpy integers count as ints."""
    where = f" (for {context})" if context else ""
    if isinstance(expected, bool):
        ok = isinstance(actual, (bool, np.bool_)) and bool(actual) == expected
    elif isinstance(expected, int):
        ok = isinstance(actual, (int, np.integer)) and not isinstance(actual, (bool, np.bool_)) \
            and int(actual) == expected
    else:
        ok = type(actual) is type(expected) and actual == expected
    if not ok:
        pytest.fail(f"{what}: got {actual!r}, expected {expected!r}{where}")


def assert_raises(student, exc_type, target, *args, context="", **kwargs):
    """The student's function must raise `exc_type` (by name) for these arguments."""
    where = f" (for {context})" if context else ""
    try:
        result = student.call(target, *args, **kwargs)
    except StudentError as err:
        if err.type_name == "NotImplementedError":
            pytest.fail(f"{target.split('.')[-1]} is not implemented yet")
        if err.type_name != exc_type.__name__:
            pytest.fail(f"{target.split('.')[-1]} raised {err.type_name}, expected {exc_type.__name__}{where}")
        return
    pytest.fail(f"{target.split('.')[-1]} returned {_short(result)} instead of raising {exc_type.__name__}{where}")


def _short(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def assert_inputs_unchanged(student, originals, what):
    """The arrays passed to the last call must be as they were (compares the worker's copies afterwards)."""
    args, kwargs = student.last_inputs
    after = list(args) + list(kwargs.values())
    for (name, before), now in zip(originals.items(), after):
        if isinstance(before, np.ndarray) and not np.array_equal(before, now, equal_nan=True):
            pytest.fail(f"{what} modified its input {name} in place; work on a copy instead")
