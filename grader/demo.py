"""`python -m grader demo`: build a small sample class, grade it, print the class table.

The samples: a complete submission (the reference), the untouched release (empty), a few plausible bugs,
and hostile tricks, one of them submitted as a zip. Bugs and tricks come from the project's own test
collections (tests/mutants, tests/hostile), so the demo shows what the tests guarantee."""
import importlib
import re
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

from grader import grade
from grader.parts import ROOT, built_parts

DEMO_BUGS = {"conv": ["size_no_plus_one", "fast_col2im_ignores_stride"],
             "pooling": ["max_naive_last_max", "fast_max_reshape_only", "softmax_no_max_shift"],
             "dilation": ["backward_taps_not_dilated", "rf_ignores_stride"],
             "lenet": ["no_zero_grad", "c3_table_ignored"],
             "vgg": ["fc_input_for_224", "dropout_fixed_at_half"]}
DEMO_TRICKS = {"conv": ["read_reference", "torch_oracle"],
               "pooling": ["torch_oracle"],
               "dilation": ["torch_oracle"],
               "lenet": ["checkpoint_in_memory"],
               "vgg": ["lying_parameters"]}
DEMO_BUGS["resnet"] = ["relu_before_addition", "bn_running_var_biased"]
DEMO_TRICKS["resnet"] = ["torch_batchnorm"]
DEMO_BUGS["inception"] = ["branch_order_swapped", "aux_weight_hard_coded"]
DEMO_TRICKS["inception"] = ["lying_parameters"]
# nbgrader's autograde costs about 20 s per notebook, so only the samples whose notebooks show something have
# them graded; the bugs and tricks are in the package (the hidden suites are what they show), and the zip
# holds the same notebooks as `complete` (it shows that a zip is unpacked and graded like a folder).
NOTEBOOK_SAMPLES = ("complete", "empty", "wrong-answers-silenced")
SKIPPED_NOTE = ("* notebooks not graded in this demo for the bug-*, trick-* and complete-as-zip samples (the\n"
                "  hidden suites are what they show): their scores count the suites' points only.\n"
                "  `python -m grader grade` grades every notebook.")


def release_copy(dest):
    """A submission laid out like the release: assignment/ and notebooks/ as students receive them."""
    dest = Path(dest)
    shutil.copytree(ROOT / "assignment", dest / "assignment", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


def answered_notebook(part, dest, wrong=()):
    """The student notebook with the reference answers filled in (answers named in `wrong` off by one)."""
    nb = nbformat.read(part.source_notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            for name in wrong:  # in the solution region only (above it, the cell holds `q_name = None`)
                cell.source = re.sub(rf"(### BEGIN SOLUTION\n(?:.*\n)*?){name} = ", rf"\g<1>{name} = 1 + ", cell.source)
    nbformat.write(nb, dest / "notebooks" / f"{part.notebook}.ipynb")


def complete(dest, parts):
    dest = release_copy(dest)
    for part in parts:
        shutil.copyfile(part.reference, dest / "assignment" / f"{part.name}.py")
        answered_notebook(part, dest)
    return dest


def with_bug(dest, parts, part, mutant_name):
    from tests.mutants import apply

    complete(dest, parts)
    mutants = {m.name: m for m in importlib.import_module(f"tests.mutants.{part.name}").MUTANTS}
    path = dest / "assignment" / f"{part.name}.py"
    path.write_text(apply(part.reference.read_text(), mutants[mutant_name]))
    return dest


def with_trick(dest, parts, part, trick):
    complete(dest, parts)
    from tests.hostile import trick_files

    shutil.copyfile(trick_files(part.name)[trick], dest / "assignment" / f"{part.name}.py")
    return dest


STEAL_ANSWERS = """\
# Hunt for the instructor's copy of this notebook (solution cells included) and take its answers.
import glob, json, os, re
_here = os.path.abspath(os.getcwd())
for _up in range(5):
    for _path in [p for depth in range(4) for p in glob.glob(os.path.join(_here, *["*"] * depth, "*.ipynb"))]:
        try:
            _text = "".join(c.get("source", "") if isinstance(c.get("source"), str) else "".join(c["source"])
                            for c in json.load(open(_path))["cells"])
        except Exception:
            continue
        for _code in re.findall(r"### BEGIN SOLUTION\\n(.*?)### END SOLUTION", _text, re.S):
            exec(_code, globals())
    _here = os.path.dirname(_here)
"""


def silenced_notebook(dest, part):
    """Wrong answers, plus two classic tricks: hide every traceback so failed tests look passed, and
    search the disk for the instructor's solution notebook to copy its answers at grading time."""
    nb = nbformat.read(dest / "notebooks" / f"{part.notebook}.ipynb", as_version=4)
    ip = "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\nip.showsyntaxerror = lambda *a, **k: None"
    nb.cells[1:1] = [nbformat.v4.new_code_cell(ip), nbformat.v4.new_code_cell(STEAL_ANSWERS)]
    nbformat.write(nb, dest / "notebooks" / f"{part.notebook}.ipynb")


def build_samples(root):
    """Write the sample class into `root`; returns the submission paths (folders and one zip)."""
    root, parts = Path(root), built_parts()
    subs = [complete(root / "complete", parts), release_copy(root / "empty")]
    for part in parts:
        for bug in DEMO_BUGS.get(part.name, []):
            subs.append(with_bug(root / f"bug-{part.name}-{bug}", parts, part, bug))
        for trick in DEMO_TRICKS.get(part.name, []):
            subs.append(with_trick(root / f"trick-{part.name}-{trick}", parts, part, trick))
    wrong = root / "wrong-answers-silenced"
    complete(wrong, parts)
    for part in parts:
        answered_notebook(part, wrong, wrong=grade_answers(part))
        silenced_notebook(wrong, part)
    subs.append(wrong)
    zipped = root / "complete-as-zip.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for path in sorted((root / "complete").rglob("*")):
            zf.write(path, path.relative_to(root / "complete"))
    subs.append(zipped)
    return subs


def grade_answers(part):
    from grader.notebook import answer_key

    return list(answer_key(part.source_notebook))


def mark_skipped(text, table):
    """The class table with a '*' after each submission whose notebooks were not graded, and a footnote."""
    skipped = {name for name, results in table.items() if results["extra_data"].get("notebooks") == "skipped"}
    if not skipped:
        return text
    lines = [f"{line} *" if line.split(" ", 1)[0] in skipped else line for line in text.splitlines()]
    end = lines.index("") if "" in lines else len(lines)  # the note goes right under the rows
    return "\n".join(lines[:end] + [SKIPPED_NOTE] + lines[end:])


def main(args):
    start = time.monotonic()
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    parts = built_parts()
    with tempfile.TemporaryDirectory(prefix="course-demo-") as tmp:
        subs = [str(s) for s in build_samples(tmp)]
        skip = [s for s in subs if Path(s).name not in NOTEBOOK_SAMPLES]
        subs.sort(key=lambda s: s in skip)  # the long notebook gradings first, so that the jobs end together
        level = grade.check_level(None, None)
        print(f"Grading {len(subs)} sample submissions with {args.jobs} jobs; a line follows each one graded. The "
              f"{len(subs) - len(skip)} with notebooks come first and take minutes each (nbgrader runs "
              f"{len(parts)} notebooks for each).", file=sys.stderr, flush=True)
        grader = grade.ClassGrader(parts, out, level=level, jobs=args.jobs, timeout=20.0)
        table = grader.grade_all(subs, skip_notebooks=skip)
    print(mark_skipped(grade.report.class_table(table, parts), table))
    print(f"\nDemo graded {len(table)} submissions ({', '.join(p.name for p in parts)}; notebooks of "
          f"{len(subs) - len(skip)}) in {time.monotonic() - start:.0f} s with {args.jobs} jobs. Open "
          f"{out}/<name>/feedback.html for each student's feedback; class grades: {out}/grades.csv")
    return 0
