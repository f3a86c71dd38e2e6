"""Checks the notebooks run on your code: relative errors, numerical gradients and clear messages.

Every check prints one short line when it passes ("dx OK (max relative error 3e-10)") and raises
AssertionError with a message that says what differs and where when it does not.
`check_answer` is different: it only reports an answer (one `ANSWER {...}` line) for the grader.
"""
import json
import numbers

import numpy as np


def rel_error(a, b):
    """Largest elementwise relative error max |a - b| / max(1e-8, |a| + |b|) (0 when equal)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def numerical_gradient(f, x, df, h=1e-5):
    """Gradient of sum(f(x) * df) with respect to x by central differences.

    f: function of the array x returning an array shaped like df (it may read other arrays too);
    df: the upstream gradient. Each entry of x is nudged by +h and -h in turn and put back, so x is
    unchanged afterwards. Use float64 arrays: float32 is too coarse for h = 1e-5.
    Returns an array shaped like x.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        try:
            x[i] = old + h
            plus = np.array(f(x), dtype=np.float64)  # copy: f may return a view of x
            x[i] = old - h
            minus = np.array(f(x), dtype=np.float64)
        finally:
            x[i] = old
        grad[i] = np.sum((plus - minus) * df) / (2 * h)
    return grad


def _relative(a, b):
    """Relative error of each entry, |a - b| / (|a| + |b|), measured against at least a thousandth of the
    largest |a| + |b| of the array (and 1e-8), so that rounding on entries near zero does not count."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    size = np.abs(a) + np.abs(b)
    floor = max(1e-8, 1e-3 * float(np.nanmax(size, initial=0.0)))
    return np.abs(a - b) / np.maximum(size, floor)


def _fmt(value):
    return f"{value:.3g}" if isinstance(value, numbers.Real) else repr(value)


def _same_shape(name, yours, expected):
    if not isinstance(yours, np.ndarray):
        raise AssertionError(f"your {name} should be a numpy array, got {type(yours).__name__}")
    if yours.shape != expected.shape:
        raise AssertionError(f"your {name} has shape {yours.shape}, expected {expected.shape}")


def check_gradient(name, analytic, numeric, tol=1e-7):
    """Compare your gradient with a numerical one; prints "dx OK (...)" or raises AssertionError.

    The error of each entry is relative (see `_relative`); the largest must be at most `tol`.
    """
    numeric = np.asarray(numeric)
    _same_shape(name, analytic, numeric)
    err = _relative(analytic, numeric)
    worst = np.unravel_index(np.argmax(err), err.shape) if err.size else ()
    largest = float(err[worst]) if err.size else 0.0
    if not largest <= tol:  # also catches NaN
        index = tuple(int(i) for i in worst)
        raise AssertionError(
            f"your {name} differs from the numerical gradient at index {index}: yours {_fmt(float(analytic[worst]))}, "
            f"numerical {_fmt(float(numeric[worst]))} (relative error {largest:.2g}, allowed {tol:.0e}); "
            f"{int(np.sum(err > tol))} of {err.size} entries differ")
    print(f"{name} OK (max relative error {largest:.1g})")


def check_close(name, yours, expected, tol=1e-7):
    """Compare a value of yours with an expected one: type, shape, dtype, then values.

    Arrays must match in shape and dtype exactly and in value to a relative error of `tol`;
    numbers and other plain values are compared the same way (exactly for ints, bools, strings, tuples).
    Prints "<name> OK" or raises AssertionError saying what differs.
    """
    if isinstance(expected, np.ndarray):
        _same_shape(name, yours, expected)
        if yours.dtype != expected.dtype:
            raise AssertionError(f"your {name} has dtype {yours.dtype}, expected {expected.dtype} "
                                 f"(keep the dtype of the input)")
        err = _relative(yours, expected)
        bad = ~(err <= tol)
        if bad.any():
            worst = np.unravel_index(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1)), err.shape)
            raise AssertionError(
                f"your {name} differs at index {tuple(int(i) for i in worst)}: yours {_fmt(float(yours[worst]))}, "
                f"expected {_fmt(float(expected[worst]))}; {int(bad.sum())} of {bad.size} values differ")
        print(f"{name} OK (max relative error {float(err.max(initial=0.0)):.1g})")
        return
    if isinstance(expected, float) and not isinstance(yours, bool) and isinstance(yours, numbers.Real):
        if rel_error(yours, expected) > tol:
            raise AssertionError(f"your {name} is {_fmt(yours)}, expected {_fmt(expected)}")
    elif isinstance(expected, bool) or isinstance(yours, bool):
        if not isinstance(yours, (bool, np.bool_)) or bool(yours) != expected:
            raise AssertionError(f"your {name} is {yours!r}, expected {expected!r}")
    elif isinstance(expected, numbers.Integral):
        if not isinstance(yours, numbers.Integral):
            raise AssertionError(f"your {name} should be an int, got {type(yours).__name__} {yours!r}")
        if yours != expected:
            raise AssertionError(f"your {name} is {yours}, expected {expected}")
    elif yours != expected:
        raise AssertionError(f"your {name} is {yours!r}, expected {expected!r}")
    print(f"{name} OK")


def check_raises(name, fn, *args, error=ValueError, **kwargs):
    """Check that fn(*args, **kwargs) raises `error`; prints its message so you can judge it."""
    try:
        fn(*args, **kwargs)
    except error as exc:
        print(f"{name} OK ({type(exc).__name__}: {exc})")
        return
    raise AssertionError(f"{name}: expected {error.__name__}, but nothing was raised")


def _plain(value):
    """Convert an answer to plain JSON data: tuples and arrays become lists, numpy scalars Python ones."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None:
        return None
    return str(value)


def check_answer(name, value):
    """Report an answer to the grader: prints one line `ANSWER {"name": ..., "value": ...}` (JSON).

    It does not judge the answer; the grader compares it with the answer key. Returns None.
    """
    print("ANSWER " + json.dumps({"name": str(name), "value": _plain(value)}))
