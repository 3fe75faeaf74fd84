"""What is judged never imports the truth or the judge (DESIGN.md, data flow)."""

from __future__ import annotations

import subprocess
import sys

import pytest

JUDGED = [
    "toolkit.recognizers",
    "toolkit.recognizers.weight",
    "toolkit.fusion",
    "toolkit.systems",
    "toolkit.tracking",
]


@pytest.mark.parametrize("module", JUDGED)
def test_judged_modules_do_not_load_truth_or_metrics(module):
    code = (
        f"import sys, {module}; "
        "bad = [m for m in sys.modules if m.startswith(('toolkit.shoppers', 'toolkit.metrics'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} pulls in {result.stdout.strip()} {result.stderr}"
