"""The set-up the README promises: the torch choice takes effect on an existing .venv, and the conda
environment lists the same packages as pyproject.toml."""
import os
import re
import subprocess

import pytest
import yaml

from grader.parts import ROOT


def fake_venv(tmp_path):
    """A .venv whose python only writes down how it was called (pip's arguments)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path / "calls"}\n')
    python.chmod(0o755)
    return venv


def run_make(*args):
    """make in the repository, with none of the caller's torch settings (CI exports TORCH_SPEC)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TORCH", "TORCH_SPEC", "VENV", "MAKEFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "-C", str(ROOT), *args], capture_output=True, text=True, env=env)


def make_venv(tmp_path, venv, *settings):
    calls = tmp_path / "calls"
    calls.write_text("")
    done = run_make("venv", f"VENV={venv}", *settings)
    assert done.returncode == 0, done.stderr
    return [line for line in calls.read_text().splitlines() if "torch" in line], done.stdout


def test_torch_choice_takes_effect_on_an_existing_venv(tmp_path):
    venv = fake_venv(tmp_path)
    calls, said = make_venv(tmp_path, venv, "TORCH_SPEC=torch==2.13.0")
    assert calls == ["-m pip install --quiet --disable-pip-version-check torch==2.13.0"] and "Installing" in said
    assert make_venv(tmp_path, venv, "TORCH_SPEC=torch==2.13.0")[0] == []  # nothing new: nothing installed
    assert make_venv(tmp_path, venv)[0] == []  # nothing given: what is installed stays
    calls, said = make_venv(tmp_path, venv, "TORCH_SPEC=torch==2.14.1")
    assert calls == ["-m pip uninstall --quiet --yes torch",
                     "-m pip install --quiet --disable-pip-version-check torch==2.14.1"]
    assert "torch was installed as: torch==2.13.0" in said
    calls, said = make_venv(tmp_path, venv, "TORCH=cpu")
    assert calls[-1].endswith("--index-url https://download.pytorch.org/whl/cpu torch>=2.2")
    assert "CPU-only" in said
    bad = run_make("venv", f"VENV={venv}", "TORCH=gpu")
    assert bad.returncode != 0 and "TORCH=cpu" in bad.stderr


def requirement(text):
    """'numpy>=1.24' -> ('numpy', '>=1.24'); conda's 'python=3.11' style too."""
    name, bound = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", text.strip()).groups()
    return name.lower().replace("_", "-"), bound.replace(" ", "")


def test_conda_environment_lists_what_pyproject_lists():
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11's tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(map(requirement, project["dependencies"] + project["optional-dependencies"]["dev"]))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed, pip_section = {}, []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip_section = item["pip"]
        else:
            listed.update([requirement(item)])
    listed.update(requirement(p) for p in pip_section if not p.startswith("-e"))
    assert "-e ." in pip_section, "environment.yml installs the course itself (pip: -e .)"
    python = listed.pop("python")
    assert listed.pop("pip") == ""
    assert listed == wanted, f"environment.yml and pyproject.toml differ: {set(listed.items()) ^ set(wanted.items())}"
    low = project["requires-python"].removeprefix(">=")
    assert tuple(map(int, python.lstrip("=").split("."))) >= tuple(map(int, low.split(".")))
