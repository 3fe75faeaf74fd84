"""The docs live in the repo, point nowhere outside it, and say what the code and configs say."""

from __future__ import annotations

import importlib.util
import re
import subprocess

from conftest import ROOT

OUTSIDE = re.compile(r"\.\./shared/(?!data\b)|\b(?:DESIGN|REFERENCES|STYLE)\.md\b")


def tracked_text_files() -> list:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    suffixes = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".cfg", ""}
    return [ROOT / n for n in names.split() if (ROOT / n).suffix in suffixes and (ROOT / n).is_file()]


def test_no_file_sends_the_reader_to_a_document_outside_the_repo():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in tracked_text_files()
        if path.name != "test_docs.py"
        for number, line in enumerate(path.read_text(errors="ignore").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not offenders, offenders


def test_every_page_the_docs_name_exists():
    named = set()
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        named |= set(re.findall(r"`(?:docs/)?([\w-]+\.md)`", page.read_text()))
    missing = sorted(n for n in named if not (ROOT / "docs" / n).exists() and not (ROOT / n).exists())
    assert not missing, missing


def test_the_defaults_page_is_current():
    spec = importlib.util.spec_from_file_location("make_defaults", ROOT / "docs" / "make_defaults.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "defaults.md").read_text() == module.page(), "run make docs"
