"""Hostile notebook cells: each file is the source of one code cell that a test inserts after a notebook's setup
cell (with CANARY replaced by the path of a host file the cell must not be able to change)."""
from pathlib import Path

HERE = Path(__file__).parent


def cells():
    """{trick name: cell source with the placeholder CANARY left in}."""
    return {path.stem: path.read_text() for path in sorted(HERE.glob("*.py")) if path.stem != "__init__"}
