"""The docs live in the repo, point nowhere outside it, and say what the code and configs say."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT, TINY

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


SEPARATOR = re.compile(r"^\|( *:?-+:? *\|)+ *$")
PIPE = re.compile(r"(?<!\\)\|")  # a cell border; an escaped \| is text


def _table_faults(text: str) -> list[str]:
    """Markdown tables that would not render whole: a row with another number of cells than its
    header, or a table cut in two by a blank line (the second half loses its header)."""
    lines, faults, fenced = text.splitlines(), [], False
    for n, line in enumerate(lines):
        fenced ^= line.startswith("```")
        if fenced or not line.startswith("|") or n + 1 >= len(lines) or not SEPARATOR.match(lines[n + 1]):
            continue
        cells, m = len(PIPE.findall(line)), n + 2
        while m < len(lines) and lines[m].startswith("|"):
            if len(PIPE.findall(lines[m])) != cells:
                faults.append(
                    f"line {m + 1}: {len(PIPE.findall(lines[m])) - 1} cells, header has {cells - 1}"
                )
            m += 1
        if m + 1 < len(lines) and not lines[m].strip() and lines[m + 1].startswith("|"):
            if m + 2 >= len(lines) or not SEPARATOR.match(lines[m + 2]):
                faults.append(f"line {m + 1}: a blank line cuts the table that starts on line {n + 1}")
    return faults


def test_every_markdown_table_renders_whole():
    faults = {
        str(path.relative_to(ROOT)): _table_faults(path.read_text())
        for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    }
    assert {name: found for name, found in faults.items() if found} == {}
    assert _table_faults("| a | b |\n|---|---|\n| 1 | 2 |\n\n| 3 | 4 |\n") != []  # the check can fail


@pytest.mark.e2e
def test_the_readme_metrics_json_example_has_the_keys_of_a_real_record_in_their_order(tmp_path):
    run = [sys.executable, str(ROOT / "experiments" / "compare.py"), f"hydra.run.dir={tmp_path}", *TINY]
    run += ["system=[vision_fusion,weight_only]", "sensor.presence.mode=direct"]
    subprocess.run(run, cwd=ROOT, check=True, capture_output=True, timeout=600)
    tiny_record = json.loads((tmp_path / "metrics.json").read_text())
    block = re.search(r"<!-- metrics-json -->\s*```json\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "the README lost its metrics.json example"
    example = json.loads(block.group(1))

    def shown(node: dict) -> list[str]:
        return [k for k in node if k != "..."]

    assert shown(example) == [k for k in tiny_record if k in example]
    for section in ("scenario", "systems", "uncertain"):
        assert set(shown(example[section])) <= set(tiny_record[section])
    for system, metrics in example["systems"].items():
        if system != "...":
            assert shown(metrics) == [k for k in tiny_record["systems"][system] if k in metrics]


def test_the_readme_shows_make_runs_output_short_and_narrow():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```\n(simulating \d+ visits.*?)```", readme, re.S)
    assert block, "the README lost the output of make run"
    lines = block.group(1).splitlines()
    assert len(lines) < 30 and max(map(len, lines)) <= 120
    assert lines[-1].startswith("written to outputs/")
