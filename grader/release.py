"""Generate the student release from the single source in solutions/.

- solutions/<part>.py -> assignment/<part>.py: each `### BEGIN SOLUTION` ... `### END SOLUTION` region
  becomes a `raise NotImplementedError(...)` naming the file to write in and the notebook section that explains
  it (from the enclosing function's docstring line `Notebook section: ...`).
- solutions/source/<part>/<notebook>.ipynb -> notebooks/<notebook>.ipynb through nbgrader's generate_assignment.
- Before that, the setup cell of each source notebook is rendered again from grader/setup_cell.tmpl and
  pyproject.toml's [tool.course] (grader/colab.py).
`--check` regenerates into a temporary folder and fails when the committed release differs, or when a setup cell
or a README Colab link disagrees with [tool.course]."""
import ast
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.parts import ROOT, built_parts

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SECTION = re.compile(r"Notebook section:\s*(.+)")
# Answer cells hold `q_name = None  # replace None with your answer` above their solution region, and the region
# is removed without a stub: an unanswered cell runs, and the check cell below it says "not answered yet".
# Every nbgrader course the grader writes uses this line, so that they all generate the same student notebooks.
CODE_STUB_CONFIG = 'c.ClearSolutions.code_stub = {"python": ""}'
HEADER = ('# Your module for notebook {nb}: replace each `raise NotImplementedError` with your code.\n'
          '# (Generated from the course source by `python -m grader release`; your edits here are what is graded.)\n')


def strip_solutions(source, notebook, module):
    """Replace every solution region in a Python module with a stub that names `module` (where the code goes)
    and the notebook section that explains it."""
    tree = ast.parse(source)
    funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    out, inside = [], False
    for lineno, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"line {lineno}: {BEGIN} inside another solution region")
            inside = True
            out.append(_stub(line[: len(line) - len(line.lstrip())], lineno, funcs, notebook, module))
        elif marker == END:
            if not inside:
                raise ValueError(f"line {lineno}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN} is never closed")
    return "".join(out)


def _stub(indent, lineno, funcs, notebook, module):
    """The stub for a region at `lineno`; the section comes from the innermost enclosing function's
    docstring, or else from its class's docstring (for methods such as __init__)."""
    enclosing = sorted((f for f in funcs if f.lineno <= lineno <= f.end_lineno), key=lambda f: -f.lineno)
    if not enclosing or not isinstance(enclosing[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ValueError(f"line {lineno}: a solution region must sit inside a function")
    found = next((m for m in (SECTION.search(ast.get_docstring(f) or "") for f in enclosing) if m), None)
    func = enclosing[0]
    if not found:
        raise ValueError(f"{func.name}: its docstring (or its class's) needs a 'Notebook section: ...' line")
    cls = next((f for f in enclosing if isinstance(f, ast.ClassDef)), None)
    name = f"{cls.name}.{func.name}" if cls else func.name
    message = (f"{name} is not written yet: write it in {module} "
               f"(notebooks/{notebook}.ipynb, section {found.group(1).strip()}, explains it)")
    return f"{indent}raise NotImplementedError({message!r})\n"


def release_module(part):
    return HEADER.format(nb=part.notebook) + strip_solutions(part.reference.read_text(), part.notebook,
                                                               f"assignment/{part.name}.py")


def nbgrader_env():
    """nbgrader runs `alembic` from PATH: put this interpreter's scripts folder first."""
    return dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))


def release_notebook(part, dest):
    """Run nbgrader's generate_assignment in a scratch course folder and copy the student notebook to `dest`."""
    with tempfile.TemporaryDirectory() as course:
        src = Path(course) / "source" / part.name
        src.mkdir(parents=True)
        shutil.copyfile(part.source_notebook, src / part.source_notebook.name)
        (Path(course) / "nbgrader_config.py").write_text(f"c = get_config()\n{CODE_STUB_CONFIG}\n")
        proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", part.name, "--force",
                               f"--CourseDirectory.root={course}", "--log-level=ERROR"],
                              capture_output=True, text=True, cwd=course, env=nbgrader_env())
        built = Path(course) / "release" / part.name / part.source_notebook.name
        if proc.returncode != 0 or not built.exists():
            raise SystemExit(f"nbgrader generate_assignment failed for {part.name}:\n{proc.stdout}{proc.stderr}")
        shutil.copyfile(built, dest)


def write_release(root):
    """Write every generated file under `root` (the repository, or a scratch copy for --check)."""
    written = []
    for part in built_parts():
        module = Path(root) / "assignment" / f"{part.name}.py"
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(release_module(part))
        notebook = Path(root) / "notebooks" / f"{part.notebook}.ipynb"
        notebook.parent.mkdir(parents=True, exist_ok=True)
        release_notebook(part, notebook)
        written += [module, notebook]
    return written


def main(check=False):
    from grader import colab

    if not check:
        for path in colab.sync_setup_cells(ROOT, write=True):
            print(f"rendered the setup cell of {path.relative_to(ROOT)} from grader/setup_cell.tmpl")
        for path in write_release(ROOT):
            print(f"wrote {path.relative_to(ROOT)}")
        for problem in colab.disagreements(ROOT):
            print(f"note: {problem}; `python -m grader fork` rewrites the README's links from [tool.course]")
        return 0
    out_of_step = colab.disagreements(ROOT)
    print("Checking that assignment/ and notebooks/ are what solutions/ generates (about a minute) ...", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        stale = [p.relative_to(scratch) for p in write_release(scratch)
                 if not (ROOT / p.relative_to(scratch)).exists()
                 or not filecmp.cmp(p, ROOT / p.relative_to(scratch), shallow=False)]
    if out_of_step:
        print("Not in step with pyproject.toml's [tool.course] (repository, ref); `python -m grader fork` "
              "(without arguments: the current ones) rewrites them all:")
        for problem in out_of_step:
            print(f"  {problem}")
    if stale:
        print("The release is stale; run `python -m grader release` (or `make release`) and commit:")
        for path in stale:
            print(f"  {path}")
    if out_of_step or stale:
        return 1
    print("The release is in sync with solutions/, and the setup cells and Colab links with [tool.course].")
    return 0
