"""Your submission: one zip with a notebook and its module, laid out as the grader reads them.

The last cell of each notebook calls it, e.g. in notebook 01:

    from assignment import submit
    submit.build("conv")

and writes `submissions/submission-01_conv_layer.zip` in the course folder, holding
`submission-01_conv_layer/assignment/conv.py` and `submission-01_conv_layer/notebooks/01_conv_layer.ipynb`.
One notebook and its module: each notebook is submitted and graded on its own, and on Colab this notebook is the
only one the cell can save (the course folder's copies of the other notebooks are not the ones you edit there).

- On Colab the cell takes this notebook as Colab has it now, writes it to notebooks/ in the course folder (on
  your Drive when the setup cell keeps the course there), builds the zip and offers it for download.
- In JupyterLab a kernel cannot save its notebook: save it first (Ctrl+S, or Cmd+S on a Mac). The cell says when
  the saved file does not hold an answer you ran since, and which questions are still open.
- While the grader runs the notebook (COURSE_GRADING=1) it builds nothing.
"""
import copy
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

NOTEBOOKS = {"conv": "01_conv_layer", "pooling": "02_pooling", "dilation": "03_dilation", "lenet": "04_lenet",
             "vgg": "05_vgg", "inception": "06_inception", "resnet": "07_resnet"}
ROOT = Path(__file__).resolve().parent.parent  # the course folder
STUB = re.compile(r"raise NotImplementedError\(['\"]\S+ is not written yet")
ANSWER = re.compile(r"^(q_\w+)[ \t]*=[ \t]*(.*?)[ \t]*(#.*)?$", re.M)
UNANSWERED_TEXT = "YOUR ANSWER HERE"


def on_colab():
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def build(part, root=None, download=True):
    """Build the submission zip of `part` (a module name: "conv", ...) and say what is in it; on Colab, save the
    notebook first and offer the zip for download. Returns the zip's path, or None when nothing was built."""
    if os.environ.get("COURSE_GRADING"):
        print("Submission: not built while the grader runs this notebook.")
        return None
    try:
        return _build(part, Path(root) if root else ROOT, download)
    except Exception as error:  # noqa: BLE001  (a notebook run from top to bottom must not stop here)
        print(f"The submission could not be built ({type(error).__name__}: {error}). Submit assignment/{part}.py "
              f"and the notebook (File > Download) as your course asks.")
        return None


def _build(part, root, download):
    notebook = NOTEBOOKS[part]
    module = root / "assignment" / f"{part}.py"
    colab = on_colab()
    if colab:
        path = root / "notebooks" / f"{notebook}.ipynb"
        nb = colab_notebook()
        if nb is None:
            print("Colab did not hand over this notebook, so no zip was built: run this cell again, or download "
                  f"the notebook (File > Download > Download .ipynb) and submit it with {module}.")
            return None
        missing = restore_grading_marks(nb, release_notebook(root, notebook))
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        print(f"Saved this notebook into {path}.")
        if missing:
            print(f"WARNING: {len(missing)} graded cell(s) of this notebook lost the marks the grader reads "
                  f"({', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}): were they deleted? Ask your "
                  "instructor before you submit.")
    else:
        path = notebook_file(root, notebook)
        nb = json.loads(path.read_text())
        saved = time.strftime("%H:%M:%S", time.localtime(path.stat().st_mtime))
        print(f"The zip takes this notebook as last saved: {path}, saved at {saved}. If you changed it since, "
              "save it (Ctrl+S) and run this cell again.")
        unsaved = unsaved_answers(executed_inputs(), nb)
        if unsaved:
            print(f"WARNING: the saved notebook does not hold the answer you last ran for {', '.join(unsaved)}: "
                  "save the notebook and run this cell again.")
    top = f"submission-{notebook}"
    target = root / "submissions" / f"{top}.zip"
    target.parent.mkdir(exist_ok=True)
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(module, f"{top}/assignment/{part}.py")
        zf.write(path, f"{top}/notebooks/{notebook}.ipynb")
    partial.replace(target)
    print(f"Submission: {target} ({target.stat().st_size / 1024:.0f} KiB), with {top}/assignment/{part}.py and "
          f"{top}/notebooks/{notebook}.ipynb.")
    print(progress_note(nb, module))
    if colab and download:
        from google.colab import files

        files.download(str(target))
        print("Your browser downloads it now (allow the download if it asks); submit it as your course asks.")
    elif not colab:
        print("Submit that file as your course asks.")
    return target


def colab_notebook(timeout=60):
    """This notebook as Colab's editor has it now (a dict), or None."""
    try:
        from google.colab import _message

        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=timeout)
    except Exception as error:  # noqa: BLE001  (a timeout, or a Colab that works otherwise)
        print(f"Colab's get_ipynb failed: {type(error).__name__}: {error}")
        return None
    nb = reply.get("ipynb") if isinstance(reply, dict) else None
    return nb if isinstance(nb, dict) and isinstance(nb.get("cells"), list) else None


def release_notebook(root, notebook):
    """The notebook as released (with nbgrader's cell marks): from git when the course folder is a clone (its
    notebooks/ file may hold a submission saved earlier), else the file; None when neither can be read."""
    rel = f"notebooks/{notebook}.ipynb"
    try:
        shown = subprocess.run(["git", "-C", str(root), "show", f"HEAD:./{rel}"], capture_output=True, text=True,
                               timeout=30)
        if shown.returncode == 0:
            return json.loads(shown.stdout)
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    try:
        return json.loads((root / rel).read_text())
    except (OSError, ValueError):
        return None


def restore_grading_marks(nb, released):
    """Give back the nbgrader marks (cell metadata the grader needs) that an editor dropped: each cell of `nb`
    without them takes those of its released cell, found by cell id, else by position when both notebooks have
    the same cells. Returns the grade ids still missing from `nb`."""
    if not released:
        return []
    ref_cells = released.get("cells", [])
    marked = [c for c in ref_cells if "nbgrader" in c.get("metadata", {})]
    by_id = {c["id"]: c for c in ref_cells if c.get("id")}
    cells = nb["cells"]
    same_shape = [c.get("cell_type") for c in cells] == [c.get("cell_type") for c in ref_cells]
    for i, cell in enumerate(cells):
        meta = cell.setdefault("metadata", {})
        if "nbgrader" in meta:
            continue
        twin = by_id.get(cell.get("id")) or by_id.get(meta.get("id"))
        if twin is None and same_shape:
            twin = ref_cells[i]
        if twin is not None and twin.get("cell_type") == cell.get("cell_type"):
            for key in ("nbgrader", "deletable", "editable"):
                if key in twin.get("metadata", {}):
                    meta[key] = copy.deepcopy(twin["metadata"][key])
    present = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells}
    return [c["metadata"]["nbgrader"]["grade_id"] for c in marked
            if c["metadata"]["nbgrader"].get("grade_id") not in present]


def notebook_file(root, notebook):
    """The notebook's file: the one this kernel was started for when Jupyter says so, else notebooks/ in the
    course folder."""
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(f"{notebook}.ipynb") and Path(session).is_file():
        return Path(session)
    return root / "notebooks" / f"{notebook}.ipynb"


def executed_inputs():
    """The cells this kernel ran, oldest first ([] outside IPython)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return list(shell.history_manager.input_hist_raw) if shell is not None else []
    except Exception:  # noqa: BLE001
        return []


def _source(cell):
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def unsaved_answers(inputs, nb):
    """The answers (`q_name = value` lines) last run in this kernel that the saved notebook `nb` does not hold."""
    last = {}
    for text in inputs:
        for match in ANSWER.finditer(text):
            last[match[1]] = match[0].strip()
    saved = {line.strip() for cell in nb.get("cells", []) if cell.get("cell_type") == "code"
             for line in _source(cell).splitlines()}
    return sorted(name for name, line in last.items() if line not in saved)


def open_questions(nb):
    """(short answers still None, short answers, written answers not written, written answers) in `nb`."""
    short = written = short_open = written_open = 0
    for cell in nb.get("cells", []):
        marks = cell.get("metadata", {}).get("nbgrader", {})
        if not marks.get("solution"):
            continue
        source = _source(cell)
        if cell.get("cell_type") == "markdown":
            written += 1
            written_open += UNANSWERED_TEXT in source or not source.strip()
            continue
        values = {}
        for match in ANSWER.finditer(source):
            values[match[1]] = match[2]
        short += len(values)
        short_open += sum(value == "None" for value in values.values())
    return short_open, short, written_open, written


def progress_note(nb, module):
    short_open, short, written_open, written = open_questions(nb)
    stubs = len(STUB.findall(module.read_text())) if module.exists() else 0
    answers = " and ".join(f"{total - unanswered} of {total} {kind} answers" for unanswered, total, kind
                           in ((short_open, short, "short"), (written_open, written, "written")) if total)
    done = f"{module.name}: " + (f"{stubs} function(s) not written yet" if stubs else "no stub left")
    return f"In this submission: {answers} given; {done}." if answers else f"In this submission: {done}."
