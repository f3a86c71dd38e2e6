"""Comparisons for the hidden suites. Failure messages describe the difference, never the test code, and never
hand over a replayable pair: they may show the student's value and the kind of case (see `kind`), or shapes,
but not both a case's exact inputs and the right answer."""
import numpy as np
import pytest

from grader.sandbox import SandboxFailure, StudentError


def describe(**params):
    """'x of shape (2, 3, 5, 7), stride 2, padding 1' from keyword arguments (arrays shown by shape)."""
    parts = []
    for key, value in params.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{key} of shape {value.shape} ({value.dtype})")
        else:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def kind(**params):
    """The kind of a case, not its values: 'size > 1, stride > 1, padding 0, non-square kernel size, bias=True'.
    Integers read as 0, 1, > 1 or negative; pairs as square or non-square; arrays by shape and dtype."""
    parts = []
    for key, value in params.items():
        name = key.replace("_", " ")
        if isinstance(value, np.ndarray):
            parts.append(f"{name} of shape {value.shape} ({value.dtype})")
        elif isinstance(value, (bool, np.bool_)) or value is None:
            parts.append(f"{key}={value}")
        elif isinstance(value, (int, np.integer)):
            parts.append(f"{name} {value}" if value in (0, 1) else f"{name} > 1" if value > 1 else f"negative {name}")
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            parts.append(f"{'square' if value[0] == value[1] else 'non-square'} {name}")
        else:
            parts.append(f"{name} of type {type(value).__name__}")
    return ", ".join(parts)


def assert_close(actual, expected, what, rtol=1e-7, atol=1e-9, context=""):
    """`actual` must be an ndarray with `expected`'s shape and dtype and close values. The message names the
    worst place and your value there, not the right one."""
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
        pytest.fail(f"{what}: {int(bad.sum())} of {bad.size} values are wrong; the worst is at index "
                    f"{tuple(int(i) for i in worst)} (yours {actual[worst]:.6g}, off by {diff[worst]:.3g}){where}")


def timed_answer(expected, names, **tol):
    """A check for Sandbox.time: the timed call's value is an array close to `expected` (the reference's
    answer for the same inputs), or, where `expected` is a tuple, holds such arrays in order; `names` name
    them in the message."""
    def check(value):
        if isinstance(expected, np.ndarray):
            assert_close(value, expected, f"{names[0]} (in a timed call)", **tol)
            return
        if not isinstance(value, (tuple, list)) or len(value) < len(expected):
            pytest.fail(f"{names[0]}: expected a tuple of {len(expected)} or more while timed, got "
                        f"{type(value).__name__}")
        for got, want, name in zip(value, expected, names):
            assert_close(got, want, f"{name} (in a timed call)", **tol)
    return check


def assert_equal_value(actual, expected, what, context=""):
    """Exact equality for plain answers (ints, bools, tuples); numpy integers count as ints. `context` says
    the kind of case (see `kind`), not its exact inputs: the message shows the student's value only."""
    where = f" (for {context})" if context else ""
    if isinstance(expected, bool):
        type_ok = isinstance(actual, (bool, np.bool_))
    elif isinstance(expected, int):
        type_ok = isinstance(actual, (int, np.integer)) and not isinstance(actual, (bool, np.bool_))
    else:
        type_ok = type(actual) is type(expected)
    if not type_ok:
        pytest.fail(f"{what}: returned {_short(actual)} ({type(actual).__name__}), expected "
                    f"{'an int' if type(expected) is int else 'a ' + type(expected).__name__}{where}")
    try:
        equal = bool(actual == expected)
    except (TypeError, ValueError):  # e.g. a tuple holding arrays
        equal = False
    if not equal:
        pytest.fail(f"{what}: your answer {_short(actual)} is not right{where}")


def assert_raises(student, exc_type, target, *args, context="", **kwargs):
    """The student's function must raise `exc_type` (by name) for these arguments; `context` says why the
    arguments are wrong (e.g. "stride 0"), which is what the student needs to know."""
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


def seed_of(rng):
    """A torch seed drawn from the test's generator."""
    return int(rng.integers(2**31))


def restart(student):
    """A new worker: nothing kept in memory survives. Its start is a call of its own, so that the next
    call's time limit is not spent importing torch."""
    student.stop()
    student.call("probe.pristine")


def clean_torch_worker(student):
    """For the torch parts' autouse fixture: restart the worker when an earlier test left torch's settings
    or functions changed (so a bug costs points only in the test about it); reseed it."""
    try:
        changed = student.call("probe.pristine")
    except (SandboxFailure, StudentError):
        changed = True
    if changed:
        restart(student)
