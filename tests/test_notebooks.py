"""Every notebook runs top to bottom in smoke mode with the reference, without errors or stderr noise;
and nbgrader grading of notebooks cannot be fooled by a silenced traceback."""
import json

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import progress
from grader.demo import answered_notebook, complete, release_copy, silenced_notebook
from grader.grade import ClassGrader
from grader.notebook import answer_key
from grader.parts import built_parts

PARTS = built_parts()


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.name)
def test_notebook_runs_in_smoke_mode(part, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    sub = complete(tmp_path / "sub", PARTS)
    path = sub / "notebooks" / f"{part.notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    noise = [(i, o.get("ename") or o.get("text", "")[:300]) for i, c in enumerate(nb.cells) if c.cell_type == "code"
             for o in c.outputs if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")]
    assert not noise, noise
    bars = [o["data"]["text/plain"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    stale = [b for b in bars if "100%" not in b]
    assert not stale, f"progress bars saved unfinished (one finished line per training run expected): {stale}"


@pytest.fixture(scope="module")
def graded_notebooks(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("nbgrade")
    good = complete(root / "good", PARTS)
    empty = release_copy(root / "empty")
    cheat = complete(root / "cheat", PARTS)
    for part in PARTS:
        answered_notebook(part, cheat, wrong=list(answer_key(part.source_notebook)))
        silenced_notebook(cheat, part)
    out = root / "out"
    with pytest.MonkeyPatch.context() as mp:  # the notebooks only: test_grading grades the suites
        mp.setattr(ClassGrader, "suite_unit", lambda self, part, sub: ([], {"suite": 0.0}))
        progress(request, f"grading the {len(PARTS)} notebooks of 3 submissions with nbgrader (minutes)")
        ClassGrader(PARTS, out, jobs=2, timeout=30).grade_all([str(good), str(empty), str(cheat)])
    return {name: json.loads((out / name / "results.json").read_text()) for name in ("good", "empty", "cheat")}, out


def notebook_tests(results, kind="auto"):
    return [t for t in results["tests"] if t["extra_data"]["test"].startswith("notebook:")
            and t["extra_data"]["kind"] == kind]


def test_answered_notebook_gets_every_autograded_point(graded_notebooks):
    results, out = graded_notebooks
    tests = notebook_tests(results["good"])
    assert tests and all(t["score"] == t["max_score"] > 0 for t in tests), tests
    assert notebook_tests(results["good"], "manual"), "written answers are listed for manual grading"
    assert (out / "good" / "feedback.html").exists() and list((out / "good").glob("*.ipynb"))


def test_unanswered_notebook_gets_nothing(graded_notebooks):
    results, _ = graded_notebooks
    assert all(t["score"] == 0 for t in notebook_tests(results["empty"]))


def test_silenced_tracebacks_gain_nothing(graded_notebooks):
    results, _ = graded_notebooks
    tests = notebook_tests(results["cheat"])
    assert tests and all(t["score"] == 0 for t in tests), [(t["name"], t["score"]) for t in tests]


def test_integer_answers_are_exact():
    """A redefined check_answer that reports a count as a float gains nothing from the float tolerance."""
    from grader.notebook import answers_match

    assert answers_match(27_657_000, 27_657_000) and answers_match(27_657_000.0, 27_657_000)
    assert not answers_match(27_657_010.0, 27_657_000) and not answers_match(27_657_001, 27_657_000)
    assert not answers_match(True, 1) and answers_match(0.1 + 0.2, 0.3)


def test_huge_notebook_outputs_are_cut(tmp_path):
    """A notebook that prints 160 MB keeps its cells in the results, not its output."""
    from grader.notebook import copy_bounded

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('x' * 10**7)"), nbformat.v4.new_code_cell("1 + 1")]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (12 << 20))]
    nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    big, small = tmp_path / "big.ipynb", tmp_path / "small.ipynb"
    nbformat.write(nb, big)
    copy_bounded(big, small, notebook=True, limit=1 << 20)
    kept = nbformat.read(small, as_version=4)
    assert small.stat().st_size < 1 << 20 and "removed by the grader" in kept.cells[0].outputs[0].text
    assert kept.cells[1].outputs[0].data["text/plain"] == "2"
    link = tmp_path / "link.ipynb"
    link.symlink_to(big)
    copy_bounded(link, tmp_path / "copied.ipynb", notebook=True)
    assert not (tmp_path / "copied.ipynb").exists(), "a link is never copied into the results"
