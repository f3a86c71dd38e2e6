"""Reading a submission: only the files grading needs, and never through a link.

A submission is a folder laid out like the release or a zip of one. Grading reads `assignment/<part>.py` and
`notebooks/<notebook>.ipynb` of the graded parts and nothing else, so that is all `gather` takes from it,
into a scratch folder of plain files: whatever else a submission holds (links into the course, FIFOs,
100,000 empty files, a bomb) is never opened."""
import os
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

MAX_ENTRIES = 20_000          # zip entries listed at most (a zip of a whole .venv is refused, with a reason)
MAX_FILE_BYTES = 64 << 20     # per extracted file (notebooks with images included)
MAX_TOTAL_BYTES = 256 << 20   # all extracted files together
IGNORED_TOPS = {"__MACOSX"}   # macOS resource forks beside the real folder


class SubmissionError(Exception):
    """The submission cannot be read; the message is written for the student and the instructor."""


def submission_file(root, relpath):
    """The regular file `root/relpath`, or None when it is missing or cannot be trusted.

    `relpath` is a relative POSIX path such as "assignment/conv.py". Every component below `root` is
    checked with os.lstat (links are never followed): each parent must be a real directory and the last
    component a regular file. A symbolic link anywhere on the way (e.g. `assignment -> solutions/`), a FIFO,
    a device or a socket gives None, as do absolute paths and '..'. `root` itself is the instructor's choice
    and may be a link to a folder. Callers treat None as "not submitted" (the release stub is used)."""
    rel = PurePosixPath(relpath)
    if rel.is_absolute() or not rel.parts or any(p in ("", ".", "..") for p in rel.parts):
        return None
    path = Path(root)
    if not path.is_dir():
        return None
    for i, name in enumerate(rel.parts):
        path = path / name
        try:
            mode = os.lstat(path).st_mode
        except (OSError, ValueError):
            return None
        last = i == len(rel.parts) - 1
        if not (stat.S_ISREG(mode) if last else stat.S_ISDIR(mode)):
            return None
    return path


def wanted_files(parts):
    """The paths grading reads, relative to a submission's root."""
    return [f"assignment/{p.name}.py" for p in parts] + [f"notebooks/{p.notebook}.ipynb" for p in parts]


def gather(source, dest, parts):
    """Copy the files grading reads from `source` (a folder or a zip) into the empty folder `dest`, as plain
    files; returns the notes worth telling (links refused, ...). Raises SubmissionError with the reason when
    the submission cannot be read at all."""
    source, dest = Path(source), Path(dest)
    if source.is_dir():
        for rel in wanted_files(parts):
            found = submission_file(source, rel)
            if found is not None:
                _copy_bounded(found, dest / rel)
        return []
    if not source.exists():
        raise SubmissionError("no such file or folder")
    if not source.is_file():
        raise SubmissionError("not a folder or a zip file")
    return _extract(source, dest, wanted_files(parts))


def _copy_bounded(src, dest):
    # opened without following a link or blocking on a FIFO, in case the file changed since it was checked
    fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(fd, "rb") as fin, open(dest, "wb") as fout:
        copied = _copy_stream(fin, fout, MAX_FILE_BYTES)
    if copied is None:
        dest.unlink()
        raise SubmissionError(f"{src.name} is larger than {MAX_FILE_BYTES >> 20} MiB")


def _copy_stream(fin, fout, limit):
    """Copy at most `limit` bytes; None when there was more."""
    total = 0
    while chunk := fin.read(1 << 20):
        total += len(chunk)
        if total > limit:
            return None
        fout.write(chunk)
    return total


def _entry_count(path):
    """Entries announced by the zip's end record, read without listing them (None when unknown)."""
    try:
        with open(path, "rb") as f:
            end = zipfile._EndRecData(f)  # noqa: SLF001  (stable since Python 2; the listing costs ~1 s/100k)
        return end[zipfile._ECD_ENTRIES_TOTAL] if end else None
    except (AttributeError, OSError, IndexError, TypeError):
        return None


def _extract(path, dest, wanted):
    count = _entry_count(path)
    if count is not None and count > MAX_ENTRIES:
        raise SubmissionError(f"the zip holds {count} entries (at most {MAX_ENTRIES}); zip only assignment/ "
                              "and notebooks/")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES:
                raise SubmissionError(f"the zip holds more than {MAX_ENTRIES} entries; zip only assignment/ "
                                      "and notebooks/")
            chosen, notes = _choose(infos, wanted)
            total = 0
            for rel, info in chosen.items():
                if info.file_size > MAX_FILE_BYTES:
                    raise SubmissionError(f"{rel} is larger than {MAX_FILE_BYTES >> 20} MiB")
                total += info.file_size
                if total > MAX_TOTAL_BYTES:
                    raise SubmissionError(f"the graded files unpack to more than {MAX_TOTAL_BYTES >> 20} MiB")
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as fin, open(target, "wb") as fout:
                    if _copy_stream(fin, fout, MAX_FILE_BYTES) is None:
                        raise SubmissionError(f"{rel} is larger than {MAX_FILE_BYTES >> 20} MiB")
            return notes
    except SubmissionError:
        raise
    except UnicodeDecodeError:
        raise SubmissionError("the zip's file names are not valid UTF-8; make the zip again (e.g. with the "
                              "system's own compress command)") from None
    except RuntimeError as exc:  # encrypted entries
        raise SubmissionError(f"the zip could not be read ({exc}); submit an unencrypted zip") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        reason = str(exc) or type(exc).__name__
        raise SubmissionError(f"not a readable zip file ({reason}); it may be truncated or damaged") from None


def _choose(infos, wanted):
    """{relative path: entry} for the wanted files, found at the top of the zip or under one top folder
    (a zip of the folder or of its contents); symbolic links are refused."""
    wanted = set(wanted)
    by_top = {}  # "" for the zip's top, else the top folder's name
    notes = []
    for info in infos:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        parts = [p for p in name.parts if p not in ("", ".")]
        if not parts or ".." in parts or name.is_absolute() or info.is_dir():
            continue
        top, rel = ("", "/".join(parts)) if "/".join(parts) in wanted else (parts[0], "/".join(parts[1:]))
        if rel not in wanted or top in IGNORED_TOPS:
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            notes.append(f"{rel} is a symbolic link in the zip and was ignored; submit the file itself")
            continue
        by_top.setdefault(top, {})[rel] = info  # a name given twice: the last one wins, as with unzip
    if "" in by_top or not by_top:
        return by_top.get("", {}), notes
    if len(by_top) > 1:
        raise SubmissionError(f"the zip holds several submissions ({', '.join(sorted(by_top))}); submit one")
    return next(iter(by_top.values())), notes

