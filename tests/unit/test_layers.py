"""The layering rules, checked two ways (import-linter runs in `make test` too)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "billing_tui"


def _imported_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in out.stdout.split()}


def test_domain_imports_neither_sqlalchemy_nor_textual():
    mods = ["billing_tui.domain." + p.stem for p in (PKG / "domain").glob("*.py")]
    loaded = _imported_after(", ".join(mods))
    assert not loaded & {"sqlalchemy", "textual", "alembic", "rich"}


def test_core_layers_never_import_textual():
    mods = [
        f"billing_tui.{layer}.{p.stem}"
        for layer in ("services", "db")
        for p in (PKG / layer).glob("*.py")
        if p.stem != "__init__"
    ]
    assert "textual" not in _imported_after(", ".join(mods))


def test_screens_and_widgets_have_no_sql():
    pattern = re.compile(
        r"^\s*(from|import)\s+(sqlalchemy|billing_tui\.db\.(models|uow|repositories))", re.M
    )
    offenders = [
        str(p)
        for layer in ("screens", "widgets")
        for p in (PKG / layer).rglob("*.py")
        if pattern.search(p.read_text())
    ]
    assert offenders == []
