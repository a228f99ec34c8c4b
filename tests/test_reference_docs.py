"""The committed reference docs (docs/reference/) are exactly what `sunshine docs` renders from the code's
declarations, and the repository's docs never point outside the repository (a clone has no ../shared)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.core.reference_docs import render_all

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"


def test_committed_reference_docs_are_up_to_date() -> None:
    pages = render_all()
    assert sorted(p.name for p in REFERENCE.glob("*.md")) == sorted(pages)
    stale = [name for name, text in pages.items() if (REFERENCE / name).read_text(encoding="utf-8") != text]
    assert not stale, f"docs/reference 已过期:运行 `sunshine docs` 重新生成 {stale}"


def test_docs_command_writes_and_checks(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="sunshine docs"):
        call_command("docs", "--out", str(tmp_path), "--check")
    call_command("docs", "--out", str(tmp_path))
    call_command("docs", "--out", str(tmp_path), "--check")
    assert "C-DEAD" in (tmp_path / "rules.md").read_text(encoding="utf-8")
    assert "户主身份证号" in (tmp_path / "registry-files.md").read_text(encoding="utf-8")


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_docs_are_self_contained() -> None:
    """No link or mention of ../shared, and every relative link points to a file of the repository."""
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    broken: list[str] = []
    for path in markdown_files():
        text = path.read_text(encoding="utf-8")
        if re.search(r"(\.\./|`)shared/", text):
            broken.append(f"{path.relative_to(ROOT)}: mentions shared/")
        for target in link.findall(text):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, broken


def test_code_does_not_point_outside_the_repository() -> None:
    offenders = [str(path.relative_to(ROOT)) for base in ("sunshine", "tests", "benchmarks", "scripts")
                 for path in (ROOT / base).rglob("*") if path.suffix in {".py", ".html", ".sh", ".md"}
                 and path.name != "test_reference_docs.py" and "../shared" in path.read_text(encoding="utf-8")]
    assert not offenders, offenders
