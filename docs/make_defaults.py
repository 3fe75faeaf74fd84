"""Write docs/defaults.md: every default in configs/ with the source or note its YAML comment gives.

    python docs/make_defaults.py          # rewrites docs/defaults.md (make docs)

The YAML files are the one source of each value and of its citation; this page only gathers them,
and tests/test_docs.py fails when it is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
PAGE = ROOT / "docs" / "defaults.md"
SKIPPED = ("hydra", "local", "experiment", "debug")  # launchers, user files and presets (overrides)
_ENTRY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w]*):(?P<rest>.*)$")


def _split_comment(rest: str) -> tuple[str, str]:
    """Value and comment of the text after `key:` (a '#' inside quotes or ${...} is not a comment)."""
    depth, quote = 0, ""
    for i, char in enumerate(rest):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == "#" and depth == 0 and (i == 0 or rest[i - 1].isspace()):
            return rest[:i].strip(), rest[i + 1 :].strip()
    return rest.strip(), ""


def entries(path: Path) -> list[tuple[str, str, str]]:
    """(dotted key, value, comment) of every leaf of one YAML file, keys as the file writes them; a
    comment line aligned with the comment of the leaf above it continues that comment."""
    rows, stack, in_defaults, column = [], [], False, -1
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") and rows and line.index("#") == column:
            key, value, comment = rows[-1]
            rows[-1] = (key, value, f"{comment} {line.lstrip('# ').rstrip()}")
            continue
        column = -1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("defaults:"):
            in_defaults = True
            continue
        if in_defaults and (line.startswith(" ") or line.startswith("-")):
            continue
        in_defaults = False
        match = _ENTRY.match(line)
        if not match:
            continue
        level = len(match["indent"]) // 2
        stack = [*stack[:level], match["key"]]
        value, comment = _split_comment(match["rest"])
        if value:
            rows.append((".".join(stack), value, comment))
            column = line.rindex("#", 0, len(line) - len(comment)) if comment else -1
    return rows


def header(path: Path) -> str:
    """The file's leading comment: what the whole file rests on."""
    text = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        if not line.startswith("# @package"):
            text.append(line.lstrip("# ").rstrip())
    return " ".join(t for t in text if t)


def page() -> str:
    lines = [
        "# Every default and its source",
        "",
        "Generated from the YAML comments in `configs/` by `docs/make_defaults.py` (`make docs`); the",
        'published figures they cite are in `references.md`. "illustrative" or "sweep" marks a value',
        "no published figure fixes: sweep it before resting a conclusion on it.",
    ]
    for path in sorted(CONFIGS.rglob("*.yaml")):
        relative = path.relative_to(CONFIGS)
        if relative.parts[0] in SKIPPED:
            continue
        rows = entries(path)
        if not rows:
            continue
        group = "" if len(relative.parts) == 1 else f"{relative.parts[0]}."
        lines += ["", f"## `configs/{relative}`", ""]
        if note := header(path):
            lines += [note, ""]
        lines += ["| key | default | source or note (empty: the file's note above) |", "|---|---|---|"]
        for key, value, comment in rows:
            cells = (f"`{group}{key}`", f"`{value}`", comment.replace("|", "\\|"))
            lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    PAGE.write_text(page())
    print(f"wrote {PAGE}", file=sys.stderr)
