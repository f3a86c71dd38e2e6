"""The sandbox worker: runs student code and answers with plain data.

This file runs on its own inside the sandbox (it is copied there and started with `python -I`), so it
imports nothing from the course. The trusted grader imports the same codec from here to decode answers.

Wire format, both directions: a frame is an 8-byte header (JSON length, number of blobs), the JSON text,
then each blob as an 8-byte length and its bytes. Values are tagged JSON: containers and arrays are
always wrapped ({"tuple": [...]}, {"array": i, "dtype": "<f8", "shape": [2, 3]}), so nothing is ever
unpickled and every value the trusted side accepts is plain data it has checked itself.
"""
import ctypes
import importlib
import importlib.util
import json
import os
import platform
import resource
import struct
import sys

NUMERIC_KINDS = "biufc"
PROBE_FILE = "_probe.py"
MAX_DEPTH = 32


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


class Handle:
    """An object that stays in the worker (a cache, say); only its id crosses the pipe."""

    def __init__(self, ident, type_name=""):
        self.ident, self.type_name = int(ident), str(type_name)

    def __repr__(self):
        return f"<{self.type_name or 'object'} kept in the sandbox #{self.ident}>"


# ----------------------------------------------------------------------------------------- codec
def encode(value, blobs, keep=None, depth=0):
    """Turn `value` into tagged JSON, appending array bytes to `blobs`.

    Objects that are not plain data become handles when `keep` (a callable storing the object and
    returning its id) is given, and raise TypeError otherwise."""
    import numpy as np

    if depth > MAX_DEPTH:
        raise TypeError("value nested too deeply")
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        return {"int": str(value)}
    if type(value) is float:
        return {"float": repr(value)}
    if isinstance(value, Handle):
        return {"handle": value.ident}
    value = _from_torch(value)
    if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype.kind in NUMERIC_KINDS:
        arr = np.asarray(value)
        blobs.append(arr.tobytes(order="C"))
        return {"array": len(blobs) - 1, "dtype": arr.dtype.str, "shape": list(arr.shape),
                "scalar": isinstance(value, np.generic)}
    if type(value) in (tuple, list):
        return {type(value).__name__: [encode(v, blobs, keep, depth + 1) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"dict": [[k, encode(v, blobs, keep, depth + 1)] for k, v in value.items()]}
    if keep is not None:
        return {"handle": keep(value), "type": type(value).__name__}
    raise TypeError(f"cannot send a {type(value).__name__}")


def _from_torch(value):
    """A torch tensor becomes a numpy array (bfloat16 and float16 as float32); anything else is returned."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.Tensor):
        return value
    value = value.detach().cpu()
    if value.dtype in (torch.bfloat16, torch.float16):
        value = value.float()
    return value.numpy()


def decode(obj, blobs, depth=0):
    """Rebuild a value from tagged JSON, checking every piece; raises ProtocolError on anything odd."""
    import numpy as np

    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if obj is None or type(obj) in (bool, str):
        return obj
    if type(obj) is not dict or len(obj) == 0:
        raise ProtocolError(f"unexpected {type(obj).__name__} in message")
    tag = next(iter(obj))
    try:
        if tag == "int" and len(obj) == 1 and len(obj["int"]) < 4000:
            return int(obj["int"])
        if tag == "float" and len(obj) == 1:
            return float(obj["float"])
        if tag == "handle":
            return Handle(obj["handle"], obj.get("type", ""))
        if tag in ("tuple", "list") and len(obj) == 1 and type(obj[tag]) is list:
            items = [decode(v, blobs, depth + 1) for v in obj[tag]]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict" and len(obj) == 1:
            return {str(k): decode(v, blobs, depth + 1) for k, v in obj["dict"]}
        if tag == "array":
            dtype = np.dtype(str(obj["dtype"]))
            shape = tuple(int(n) for n in obj["shape"])
            data = blobs[int(obj["array"])]
            if dtype.kind not in NUMERIC_KINDS or any(n < 0 for n in shape):
                raise ProtocolError(f"array of dtype {dtype} is not allowed")
            if len(data) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
                raise ProtocolError("array size does not match its shape")
            arr = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
            return arr[()] if obj.get("scalar") is True else arr
    except ProtocolError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
        raise ProtocolError(f"malformed {tag!r} value: {exc}") from None
    raise ProtocolError(f"unknown tag {tag!r}")


def write_message(stream, header, blobs=()):
    text = json.dumps(header).encode()
    stream.write(struct.pack("<II", len(text), len(blobs)) + text)
    for blob in blobs:
        stream.write(struct.pack("<Q", len(blob)))
        stream.write(blob)
    stream.flush()


def read_exact(stream, n):
    data = stream.read(n)
    if data is None or len(data) != n:
        raise EOFError("the other side closed the pipe")
    return data


def read_message(stream, limit):
    """Read one frame; refuse frames over `limit` bytes in all."""
    size, nblobs = struct.unpack("<II", read_exact(stream, 8))
    if size > limit or nblobs > 4096:
        raise ProtocolError("message too large")
    try:
        header = json.loads(read_exact(stream, size))
    except ValueError as exc:
        raise ProtocolError(f"message is not JSON: {exc}") from None
    blobs, total = [], size
    for _ in range(nblobs):
        (n,) = struct.unpack("<Q", read_exact(stream, 8))
        total += n
        if total > limit:
            raise ProtocolError("message too large")
        blobs.append(read_exact(stream, n))
    return header, blobs


# ------------------------------------------------------------------------------------ confinement
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MNT_DETACH = 2
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}  # syscall numbers (glibc has no wrapper)
MOUNT_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}


def confine(workdir, newroot, allowed, hidden):
    """Inside fresh user, mount, net and pid namespaces (we are root there): build a new root file system
    in `newroot` that holds only the `allowed` paths (read-only: the system's programs and libraries and
    this Python with its packages), a fresh /proc, a few devices, a private /tmp and `workdir` (writable);
    hide `hidden` paths inside it; chroot there; then enter a nested user namespace so that none of this
    can be undone (the mounts become locked and the capabilities go)."""
    libc = ctypes.CDLL(None, use_errno=True)

    def mount(src, target, fstype, flags, data=None):
        if libc.mount(src, str(target).encode(), fstype, flags, data) != 0:
            raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")

    def bind(path, writable=False, device=False):
        target = newroot + path
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        mount(path.encode(), target, None, MS_BIND | MS_REC)
        flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if device else MS_NODEV) | (0 if writable else MS_RDONLY)
        try:
            mount(None, target, None, flags)
        except OSError:  # the source mount has noexec locked on: keep it
            mount(None, target, None, flags | MS_NOEXEC)

    mount(b"none", newroot, b"tmpfs", MS_NOSUID | MS_NODEV, b"size=1m,mode=0755")
    os.makedirs(newroot + "/tmp")  # first: allowed paths and the workdir may lie below /tmp
    mount(b"none", newroot + "/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64m,mode=1777")
    os.makedirs(newroot + "/proc")
    mount(b"proc", newroot + "/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for device in ("null", "zero", "random", "urandom"):
        bind(f"/dev/{device}", writable=device == "null", device=True)
    for path in allowed:
        if os.path.islink(path):
            os.makedirs(os.path.dirname(newroot + path), exist_ok=True)
            os.symlink(os.readlink(path), newroot + path)
        elif os.path.exists(path):
            bind(path)
    bind(workdir, writable=True)
    for path in hidden:
        if os.path.isdir(newroot + path):
            mount(b"none", newroot + path, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k,mode=0555")
        elif os.path.exists(newroot + path):
            mount(b"/dev/null", newroot + path, None, MS_BIND)
    # pivot_root rather than chroot: a chrooted process may not create the nested user namespace.
    os.chdir(newroot)
    if libc.syscall(PIVOT_ROOT[platform.machine()], b".", b".") != 0:
        raise OSError(ctypes.get_errno(), "pivot_root")
    if libc.umount2(b".", MNT_DETACH) != 0:  # the old root, stacked on the new one, goes away
        raise OSError(ctypes.get_errno(), "umount old root")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(workdir)
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "nested user namespace")


def limit_resources(memory_bytes, cpu_seconds, file_bytes):
    for what, value in ((resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_CPU, cpu_seconds),
                        (resource.RLIMIT_FSIZE, file_bytes), (resource.RLIMIT_CORE, 0),
                        (resource.RLIMIT_NOFILE, 256)):
        if value:
            resource.setrlimit(what, (value, value))


# ------------------------------------------------------------------------------------------ serving
def load_probe(workdir):
    """The grader's trusted helpers (`_probe.py`, present for the PyTorch parts), loaded before any student
    code under a private name that is not in sys.modules; None when absent."""
    path = os.path.join(workdir, PROBE_FILE)
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location("_course_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(workdir, requests, replies):
    """Answer call requests until the pipe closes."""
    import numpy  # noqa: F401  (imported before student code runs, so it cannot be shadowed)

    sys.path.insert(0, workdir)
    probe = load_probe(workdir)
    kept, counter = {}, [0]

    def keep(obj):
        counter[0] += 1
        kept[counter[0]] = obj
        return counter[0]

    def resolve(value):
        if isinstance(value, Handle):
            if value.ident not in kept:
                raise KeyError(f"object #{value.ident} is no longer in the sandbox")
            return kept[value.ident]
        if isinstance(value, (tuple, list)):
            return type(value)(resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    while True:
        try:
            header, blobs = read_message(requests, 1 << 31)
        except EOFError:
            return
        blobs_out = []
        try:
            args = resolve(decode(header["args"], blobs))
            kwargs = resolve(decode(header["kwargs"], blobs))
            if header["target"] == "__noop__":  # measures the round trip itself
                value = None
            else:
                module_name, _, func_name = header["target"].rpartition(".")
                if module_name == "probe" and probe is not None:
                    func = getattr(probe, func_name)
                else:
                    func = getattr(importlib.import_module("assignment." + module_name), func_name)
                value = func(*args, **kwargs)
            reply = {"ok": True, "value": encode(value, blobs_out, keep)}
            if header.get("return_inputs"):
                reply["inputs"] = encode([list(args), kwargs], blobs_out, keep)
        except BaseException as exc:  # noqa: BLE001  (student code may raise anything, SystemExit included)
            blobs_out = []
            reply = {"ok": False, "type": type(exc).__name__, "message": str(exc)[:2000]}
        write_message(replies, reply, blobs_out)


def main():
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("workdir")
    parser.add_argument("--confine", metavar="NEWROOT", help="build a new root there (see confine)")
    parser.add_argument("--allow", action="append", default=[])
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--memory", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--file-size", type=int, default=64 << 20)
    parser.add_argument("--exec", nargs=argparse.REMAINDER, dest="command")
    opts = parser.parse_args()
    if opts.confine:
        confine(opts.workdir, opts.confine, opts.allow, opts.hide)
    limit_resources(opts.memory, opts.cpu, opts.file_size)
    os.chdir(opts.workdir)
    if opts.command:  # e.g. a Jupyter kernel that runs in the same confinement, with a clean environment
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "MPLBACKEND") or k.startswith("COURSE_")}
        scratch = os.path.join(opts.workdir, ".sandbox-tmp")
        os.makedirs(scratch, exist_ok=True)
        env.update(HOME=scratch, TMPDIR=scratch, MPLCONFIGDIR=scratch, IPYTHONDIR=scratch)
        os.execvpe(opts.command[0], opts.command, env)
    # The pipe to the grader moves off stdin/stdout, so student prints cannot corrupt replies.
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    log = os.open(os.path.join(opts.workdir, "student-output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    serve(opts.workdir, requests, replies)


if __name__ == "__main__":
    main()
