"""Deliberately wrong versions of the reference solutions ("mutants").

A mutant is one text substitution applied to a reference module in `solutions/`: the bug a student
might plausibly write. A good hidden suite makes every mutant lose points.
"""

from typing import NamedTuple


class Mutant(NamedTuple):
    name: str
    description: str  # the bug, and which inputs expose it
    old: str          # text of the reference module; must occur exactly once
    new: str          # what replaces it


def apply(source: str, mutant: Mutant) -> str:
    """Return `source` with `mutant.old` replaced by `mutant.new`; raise if `old` is not there exactly once."""
    count = source.count(mutant.old)
    if count != 1:
        raise ValueError(f"mutant {mutant.name!r}: its text occurs {count} times in the source, expected exactly once")
    return source.replace(mutant.old, mutant.new)
