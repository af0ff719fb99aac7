"""Every stored snapshot belongs to a test that still exists.

syrupy fails a serial run on a snapshot no test uses any more, but under pytest-xdist
(`make test`) it cannot see the other workers' tests and skips that check; this keeps it.
"""

from __future__ import annotations

import ast
from pathlib import Path

SNAPSHOTS = Path(__file__).parent / "__snapshots__"


def _test_names(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def test_no_snapshot_is_left_without_its_test():
    orphans = []
    for svg in sorted(SNAPSHOTS.glob("*/*.svg")):
        module = Path(__file__).parent / f"{svg.parent.name}.py"
        name = svg.stem.split("[", 1)[0]  # test_x[param].svg -> test_x
        owner = name.split(".")[-1]  # TestClass.test_x -> test_x
        if not module.is_file() or owner not in _test_names(module):
            orphans.append(str(svg.relative_to(SNAPSHOTS)))
    assert not orphans, f"snapshots with no test (delete them): {orphans}"
