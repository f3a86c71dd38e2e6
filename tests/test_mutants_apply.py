"""Every mutant in tests/mutants applies cleanly to its reference module and yields valid, different code."""

import ast
import pathlib

import pytest

from tests.mutants import Mutant, apply
from tests.mutants import conv as conv_mutants
from tests.mutants import inception as inception_mutants
from tests.mutants import dilation as dilation_mutants
from tests.mutants import lenet as lenet_mutants
from tests.mutants import pooling as pooling_mutants
from tests.mutants import resnet as resnet_mutants
from tests.mutants import vgg as vgg_mutants

ROOT = pathlib.Path(__file__).resolve().parents[1]
MUTANT_SETS = {"conv": conv_mutants.MUTANTS, "pooling": pooling_mutants.MUTANTS,
               "dilation": dilation_mutants.MUTANTS, "lenet": lenet_mutants.MUTANTS, "vgg": vgg_mutants.MUTANTS}
MUTANT_SETS["resnet"] = resnet_mutants.MUTANTS
MUTANT_SETS["inception"] = inception_mutants.MUTANTS
PARAMS = [pytest.param(part, m, id=f"{part}-{m.name}") for part, mutants in MUTANT_SETS.items() for m in mutants]


@pytest.mark.parametrize("part,mutant", PARAMS)
def test_mutant_applies(part, mutant):
    source = (ROOT / "solutions" / f"{part}.py").read_text()
    mutated = apply(source, mutant)
    assert mutated != source
    ast.parse(mutated)  # still valid Python
    assert mutant.description.strip()
    # the change lies inside a student region, not in the provided checks or docstrings
    start = source.index(mutant.old)
    end = start + len(mutant.old)
    assert source.rfind("### BEGIN SOLUTION", 0, start) > source.rfind("### END SOLUTION", 0, start)
    assert source.find("### END SOLUTION", end) < source.find("### BEGIN SOLUTION", end) or \
        source.find("### BEGIN SOLUTION", end) == -1


@pytest.mark.parametrize("part", sorted(MUTANT_SETS))
def test_mutant_names_unique(part):
    names = [m.name for m in MUTANT_SETS[part]]
    assert len(names) == len(set(names))
    assert len(names) >= 18


def test_apply_rejects_missing_or_repeated_text():
    with pytest.raises(ValueError, match="0 times"):
        apply("a = 1\n", Mutant("m", "d", "b = 2", "b = 3"))
    with pytest.raises(ValueError, match="2 times"):
        apply("a = 1\na = 1\n", Mutant("m", "d", "a = 1", "a = 2"))
    assert apply("a = 1\n", Mutant("m", "d", "a = 1", "a = 2")) == "a = 2\n"
