"""Readers of real data that others measured (../shared/data/README.md says where each comes from).

Nothing here is committed data: each reader takes a folder and fails with one line naming the file
that is missing or malformed.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def resolve_data_root(value: str | Path) -> Path:
    """The data root as configured; a relative path counts from the repository, not the shell's
    folder, so `../shared/data` means the same from anywhere."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (REPO / path).resolve()
