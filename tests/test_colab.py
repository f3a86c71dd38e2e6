"""One address and one release for Colab: pyproject.toml's [tool.course] says where the notebooks' setup cells
fetch the course and where the README's Colab links point; `python -m grader fork` rewrites them all; and the
setup cell keeps students' work (on Colab: fetched once, reused, optionally on Drive) and explains failures."""
import importlib.machinery
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from grader import colab
from grader.parts import PARTS, ROOT, built_parts

BUILT = built_parts()


def test_everything_agrees_with_the_config():
    """The source setup cells render from the template, the README's links open the configured ref, and the
    released notebooks carry the same address and ref (release --check compares them with the sources)."""
    assert colab.disagreements(ROOT) == []
    config = colab.read_config(ROOT)
    assert colab.GITHUB.fullmatch(config["repository"]) and colab.REF_NAME.fullmatch(config["ref"])
    for part in BUILT:
        released = nbformat.read(ROOT / "notebooks" / f"{part.notebook}.ipynb", as_version=4)
        setup = next(c for c in released.cells if c.cell_type == "code").source
        assert f'REPOSITORY = "{config["repository"]}"' in setup and f'REF = "{config["ref"]}"' in setup
        assert '"--branch", REF' in setup and "KEEP_ON_DRIVE = True  #@param" in setup


def scratch_course(tmp_path):
    """The files `fork` rewrites, copied into a scratch folder."""
    for rel in ["pyproject.toml", "README.md"] + [str(p.source_notebook.relative_to(ROOT)) for p in BUILT]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, tmp_path / rel)
    return tmp_path


def test_fork_rewrites_config_setup_cells_and_readme(tmp_path):
    root = scratch_course(tmp_path)
    before = {p: nbformat.read(colab.source_notebook(root, p), as_version=4) for p in BUILT}
    config = colab.fork(root, "git@github.com:someone/my-course.git", "spring-2027")
    assert config == {"repository": "https://github.com/someone/my-course", "ref": "spring-2027"}
    assert colab.read_config(root) == config
    assert colab.disagreements(root) == []
    readme = (root / "README.md").read_text()
    for part in BUILT:
        assert (f"https://colab.research.google.com/github/someone/my-course/blob/spring-2027/notebooks/"
                f"{part.notebook}.ipynb") in readme
        after = nbformat.read(colab.source_notebook(root, part), as_version=4)
        assert 'REPOSITORY = "https://github.com/someone/my-course"' in after.cells[1].source
        assert 'REF = "spring-2027"' in after.cells[1].source
        # only the setup cell changed; the notebook's own imports (from %load_ext on) are kept
        old = before[part]
        assert [c.source for c in after.cells[2:]] == [c.source for c in old.cells[2:]]
        assert [c.get("id") for c in after.cells] == [c.get("id") for c in old.cells]
        assert after.cells[1].source.split("%load_ext autoreload")[1] == old.cells[1].source.split("%load_ext autoreload")[1]
    # everything outside [tool.course] is untouched
    old_toml, new_toml = (ROOT / "pyproject.toml").read_text(), (root / "pyproject.toml").read_text()
    assert old_toml.split("[tool.course]")[0] == new_toml.split("[tool.course]")[0]
    # a new release for the next term: the address stays
    assert colab.fork(root, ref="v0.2.0") == {"repository": "https://github.com/someone/my-course", "ref": "v0.2.0"}
    assert colab.disagreements(root) == []


def test_check_names_what_disagrees(tmp_path):
    root = scratch_course(tmp_path)
    path = colab.source_notebook(root, BUILT[0])
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace('REF = "', 'REF = "old-')
    nbformat.write(nb, path)
    readme = root / "README.md"
    readme.write_text(readme.read_text().replace(f"/notebooks/{BUILT[-1].notebook}.ipynb", "/notebooks/gone.ipynb"))
    problems = colab.disagreements(root)
    assert any(BUILT[0].notebook in p and "setup cell" in p for p in problems), problems
    assert any(f"no Colab link to notebooks/{BUILT[-1].notebook}.ipynb" in p for p in problems), problems
    toml = root / "pyproject.toml"
    toml.write_text(toml.read_text().replace('ref = "', 'ref = "x'))
    assert len(colab.disagreements(root)) > len(BUILT)  # every setup cell and README link now disagrees


@pytest.mark.parametrize("bad", ["https://gitlab.com/me/course", "me/course", "https://github.com/me"])
def test_fork_refuses_addresses_colab_cannot_open(bad, tmp_path):
    with pytest.raises(SystemExit, match="GitHub"):
        colab.fork(scratch_course(tmp_path), bad)


def test_fork_command_line_usage():
    proc = subprocess.run([sys.executable, "-m", "grader", "fork", "--help"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0 and "--ref" in proc.stdout and "URL" in proc.stdout


# ------------------------------------------------------------------ the setup cell itself, run as Colab would
@pytest.fixture
def course_repo(tmp_path):
    """A git repository standing in for the course on GitHub, with its release tagged."""
    src = tmp_path / "origin"
    (src / "assignment").mkdir(parents=True)
    (src / "notebooks").mkdir()
    (src / "assignment" / "__init__.py").write_text("")
    (src / "assignment" / "conv.py").write_text("# the stub\n")
    (src / "notebooks" / "01_conv_layer.ipynb").write_text("{}\n")
    git = ["git", "-C", str(src), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(src)], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "release"], check=True)
    subprocess.run(git + ["tag", "v0.1.0"], check=True)
    return f"file://{src}"


@pytest.fixture
def fake_colab(tmp_path, monkeypatch):
    """google.colab as the setup cell sees it, with /content in tmp_path; the cell's source for a given config."""
    content = tmp_path / "content"
    content.mkdir()
    mounts = []
    colab_module = types.ModuleType("google.colab")
    colab_module.__spec__ = importlib.machinery.ModuleSpec("google.colab", None)
    drive = types.ModuleType("google.colab.drive")

    def mount(path):
        mounts.append(path)
        (Path(path) / "MyDrive").mkdir(parents=True, exist_ok=True)

    drive.mount = mount
    colab_module.drive = drive
    monkeypatch.setitem(sys.modules, "google.colab", colab_module)
    monkeypatch.setitem(sys.modules, "google.colab.drive", drive)
    monkeypatch.chdir(content)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "assignment", raising=False)

    def cell(repository, ref="v0.1.0", keep_on_drive=True):
        source = colab.render_setup({"repository": repository, "ref": ref}, PARTS["conv"])
        source = source.replace("/content", str(content))
        return source.replace("KEEP_ON_DRIVE = True", f"KEEP_ON_DRIVE = {keep_on_drive}")

    return content, cell, mounts


def run_cell(source):
    namespace = {}
    exec(compile(source, "setup-cell", "exec"), namespace)
    return namespace


def test_colab_keeps_the_course_on_drive_and_never_fetches_it_again(course_repo, fake_colab, capsys):
    content, cell, mounts = fake_colab
    first = run_cell(cell(course_repo))
    folder = content / "drive" / "MyDrive" / "cnn-course"
    assert first["root"] == folder and Path.cwd() == folder / "notebooks" and mounts
    out = capsys.readouterr().out
    assert f"Your work: {folder / 'assignment' / 'conv.py'}, on your Google Drive" in out
    (folder / "assignment" / "conv.py").write_text("# my work\n")
    os.chdir(content)                                        # a new runtime: /content again, Drive mounted
    second = run_cell(cell(course_repo, ref="v0.2.0-missing"))  # would fail if it fetched again
    assert second["root"] == folder
    assert (folder / "assignment" / "conv.py").read_text() == "# my work\n"
    assert "Fetching" not in capsys.readouterr().out


def test_colab_without_drive_says_the_work_is_lost_with_the_runtime(course_repo, fake_colab, capsys):
    content, cell, mounts = fake_colab
    namespace = run_cell(cell(course_repo, keep_on_drive=False))
    assert namespace["root"] == content / "cnn-course" and not mounts
    assert "in this Colab runtime only: it is LOST" in capsys.readouterr().out
    assert str(content / "cnn-course") in sys.path


def test_failed_fetch_says_what_failed_and_what_to_do(course_repo, fake_colab):
    _, cell, _ = fake_colab
    with pytest.raises(RuntimeError) as info:
        run_cell(cell(course_repo, ref="no-such-release"))
    message = str(info.value)
    assert "no-such-release" in message and "not found" in message  # git's own words
    assert "git ls-remote" in message and "fork" in message and "REF" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_folder_in_the_way_is_never_overwritten(course_repo, fake_colab):
    content, cell, _ = fake_colab
    other = content / "drive" / "MyDrive" / "cnn-course"
    other.mkdir(parents=True)
    (other / "notes.txt").write_text("mine")
    with pytest.raises(RuntimeError, match="does not hold the course"):
        run_cell(cell(course_repo))
    assert (other / "notes.txt").read_text() == "mine"


def test_locally_the_course_is_found_upwards(tmp_path, monkeypatch, capsys):
    (tmp_path / "assignment").mkdir()
    (tmp_path / "assignment" / "__init__.py").write_text("")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "assignment", raising=False)
    namespace = run_cell(colab.render_setup(colab.read_config(ROOT), PARTS["conv"]))
    assert namespace["root"] == tmp_path and sys.path[0] == str(tmp_path)
    assert capsys.readouterr().out.strip() == f"Your work: {tmp_path / 'assignment' / 'conv.py'} and this notebook, on this computer."
