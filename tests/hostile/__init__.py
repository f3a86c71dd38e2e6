"""Hostile submissions: each file replaces assignment/<part>.py and tries one trick. A part's own tricks are
in the folder named after it; those in all_parts/ are submitted as every part's module in turn.

Every trick must gain nothing: tests/test_hostile.py grades them all and checks that each scores zero on
the package suite, that the grader survives, and that nothing outside the sandbox changed."""
from pathlib import Path

HERE = Path(__file__).parent


def trick_files(part_name):
    """{trick name: file} for one part: its own tricks and those for every part."""
    files = sorted(HERE.joinpath("all_parts").glob("*.py")) + sorted(HERE.joinpath(part_name).glob("*.py"))
    return {path.stem: path for path in files}
