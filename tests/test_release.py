"""The release is generated from solutions/ and leaks neither reference code nor hidden tests."""
import re

import nbformat
import pytest

from grader.notebook import answer_key
from grader.parts import ROOT, built_parts
from grader.release import BEGIN, END, strip_solutions

PARTS = built_parts()


def solution_lines(text):
    """The non-trivial lines inside solution regions."""
    lines = []
    for region in re.findall(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), text, re.S):
        lines += [line.strip() for line in region.splitlines() if len(line.strip()) > 12]
    return lines


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.name)
def test_module_release_has_no_reference_code(part):
    released = (ROOT / "assignment" / f"{part.name}.py").read_text()
    reference = part.reference.read_text()
    # lines students get anyway (outside the regions)
    provided = strip_solutions(reference, part.notebook, f"assignment/{part.name}.py")
    leaked = [line for line in solution_lines(reference) if line in released and line not in provided]
    assert not leaked, leaked
    assert BEGIN not in released and END not in released
    assert "NotImplementedError" in released and "section" in released


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.name)
def test_notebook_release_has_no_solutions_or_hidden_tests(part):
    released = (ROOT / "notebooks" / f"{part.notebook}.ipynb").read_text()
    source = nbformat.read(part.source_notebook, as_version=4)
    for cell in source.cells:
        for line in solution_lines(cell.source):
            assert line not in released, f"solution line leaked: {line}"
    assert "BEGIN HIDDEN TESTS" not in released and "check_answer(" not in released
    assert answer_key(part.source_notebook), "the notebook has autograded answers"


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.name)
def test_every_graded_cell_reports_its_answer(part):
    """A graded code cell scores only through the trusted answer check, so each one must report answers."""
    key = answer_key(part.source_notebook)
    for cell in nbformat.read(part.source_notebook, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            names = re.findall(r"check_answer\(\s*[\"'](\w+)", cell.source)
            assert names and all(n in key for n in names), meta.get("grade_id")


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.name)
def test_unanswered_question_gives_one_clear_message(part):
    """A released answer cell runs as it is (`q_name = None`), and the check cell below it says that the question
    is not answered yet, instead of a bare NotImplementedError followed by a NameError."""
    cells = nbformat.read(ROOT / "notebooks" / f"{part.notebook}.ipynb", as_version=4).cells
    answers = [i for i, c in enumerate(cells) if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    assert len(answers) == len(answer_key(part.source_notebook))
    for i in answers:
        assert "NotImplementedError" not in cells[i].source, cells[i].source
        namespace = {"np": __import__("numpy")}
        exec(cells[i].source, namespace)
        name = next(k for k in namespace if k.startswith("q_"))
        assert namespace[name] is None
        with pytest.raises(AssertionError, match=f"{name} is not answered yet"):
            exec(cells[i + 1].source, namespace)


def test_strip_solutions_names_the_section():
    source = ('def f(x):\n    """Doc.\n\n    Notebook section: 2. Padding\n    """\n'
              '    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n')
    out = strip_solutions(source, "01_conv_layer", "assignment/conv.py")
    assert "return x + y" not in out and "y = 1" in out
    assert ("raise NotImplementedError('f is not written yet: write it in assignment/conv.py "
            "(notebooks/01_conv_layer.ipynb, section 2. Padding, explains it)')") in out


@pytest.mark.parametrize("bad", ["def f():\n    ### BEGIN SOLUTION\n    pass\n",
                                 "def f():\n    '''no section'''\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n"])
def test_strip_solutions_rejects_malformed_regions(bad):
    with pytest.raises(ValueError):
        strip_solutions(bad, "nb", "assignment/x.py")


def test_one_repository_address():
    """The Colab links and the notebooks' setup cells point at the repository and release named in pyproject.toml
    (tests/test_colab.py tests `python -m grader fork`, which rewrites them)."""
    from grader.colab import disagreements, read_config

    assert disagreements(ROOT) == []
    config = read_config(ROOT)
    for part in PARTS:
        notebook = (ROOT / "notebooks" / f"{part.notebook}.ipynb").read_text()
        assert f'REPOSITORY = \\"{config["repository"]}\\"' in notebook, part.notebook
        assert f'REF = \\"{config["ref"]}\\"' in notebook, part.notebook
