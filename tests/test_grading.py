"""The hidden suites grade what they should: the reference gets full marks, the release stubs get zero,
and every mutant (a plausible student bug) loses points."""
import importlib
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import failures, progress, score
from grader.demo import complete, release_copy, with_bug
from grader.grade import run_suite, run_suites
from grader.parts import built_parts
from grader.sandbox import best_level

PARTS = built_parts()
MUTANTS = [(part, m) for part in PARTS
           for m in importlib.import_module(f"tests.mutants.{part.name}").MUTANTS]


def grade_suite(part, sub, seed=0, first_loss=False):
    records = run_suite(part, sub, seed, best_level(), timeout=30, first_loss=first_loss)
    assert records, f"the {part.name} suite did not run"
    return records


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.name)
def test_reference_scores_full_marks(part, tmp_path):
    """Seed 0 here; test_hostile grades the reference again under a class's random secret seed."""
    records = grade_suite(part, complete(tmp_path / "ref", PARTS), 0)
    got, most = score(records)
    assert got == most > 0, f"the reference lost points:\n{failures(records)}"


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.name)
def test_release_stubs_score_zero(part, tmp_path):
    records = grade_suite(part, release_copy(tmp_path / "empty"))
    assert score(records)[0] == 0, [r["name"] for r in records if r["score"]]
    assert all(r["output"] for r in records), "every lost test says why"


@pytest.fixture(scope="module")
def mutant_scores(tmp_path_factory, request):
    """Grade every mutant once, stopping at its first lost test; {(part, mutant): records}. Batches of one
    part's mutants share a grader process (two batches at a time), each mutant in a sandbox of its own."""
    root = tmp_path_factory.mktemp("mutants")
    batches = [[(part, m) for p, m in MUTANTS if p is part][i::4] for part in PARTS for i in range(4)]

    def grade(batch):
        part = batch[0][0]
        subs = [with_bug(root / f"{part.name}-{m.name}", PARTS, part, m.name) for _, m in batch]
        results = run_suites(part, subs, 0, best_level(), timeout=30, first_loss=True)
        return {(part.name, m.name): records for (_, m), records in zip(batch, results)}

    start = time.perf_counter()
    progress(request, f"grading {len(MUTANTS)} mutants, two batches at a time")
    with ThreadPoolExecutor(max_workers=2) as pool:
        scores = {}
        for graded in pool.map(grade, [b for b in batches if b]):
            scores.update(graded)
            progress(request, f"mutants graded: {len(scores)}/{len(MUTANTS)} ({time.perf_counter() - start:.0f} s)")
        return scores


@pytest.mark.parametrize("part,mutant", MUTANTS, ids=[f"{p.name}-{m.name}" for p, m in MUTANTS])
def test_mutant_loses_points(part, mutant, mutant_scores):
    records = mutant_scores[part.name, mutant.name]
    assert records, f"the {part.name} suite did not run on mutant {mutant.name!r}"
    got, most = score(records)
    assert got < most, f"mutant {mutant.name!r} ({mutant.description}) kept full marks"


def test_enough_mutants():
    assert sum(1 for p, _ in MUTANTS if p.name == "conv") >= 15


def test_demo_samples_exist():
    """The demo's sample bugs and tricks name real mutants and hostile submissions."""
    from grader.demo import DEMO_BUGS, DEMO_TRICKS
    from tests.hostile import trick_files

    for part in PARTS:
        names = {m.name for p, m in MUTANTS if p is part}
        assert set(DEMO_BUGS.get(part.name, [])) <= names
        assert set(DEMO_TRICKS.get(part.name, [])) <= set(trick_files(part.name))
