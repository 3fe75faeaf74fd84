"""make validate: the runner, the table, the AiFi check and the `uncertain` section."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, compose_config, real_data
from hydra import compose, initialize_config_dir

from toolkit.config import ConfigError, build_from_config
from toolkit.real_data.aifi import implied_planogram, read_aifi
from toolkit.uncertainty import uncertain_parameters, uncertainty_lines
from toolkit.validation.aifi import real_shares, within_share
from toolkit.validation.base import DataMissing, Row
from toolkit.validation.runner import markdown, run_all


def validate_config(overrides: list[str]) -> object:
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return compose(config_name="validate", overrides=overrides)


class _Fixed:
    """A check with a known answer: one row that passes, one that does not."""

    name = "fixed"
    folder = "fixed"

    def run(self, data: Path | None, out: Path) -> list[Row]:
        assert data is not None and data.is_dir()
        (out / "fixed.png").write_bytes(b"png")
        return [
            Row("fixed", "within", 10.0, 11.0, 2.0, "%", "known", "test"),
            Row("fixed", "outside", 10.0, 15.0, 2.0, "%", "known", "test"),
        ]


def test_rows_pass_only_within_tolerance_and_a_nan_never_passes():
    assert Row("c", "s", 1.0, 1.5, 0.5, "", "", "").passed
    assert not Row("c", "s", 1.0, 1.6, 0.5, "", "", "").passed
    assert not Row("c", "s", 1.0, float("nan"), 0.5, "", "", "").passed
    with pytest.raises(ValueError, match="tolerance"):
        Row("c", "s", 1.0, 1.0, -1.0, "", "", "")


def test_the_runner_writes_the_table_and_skips_a_missing_folder_with_its_reason(tmp_path):
    root = tmp_path / "data"
    (root / "fixed").mkdir(parents=True)

    class Absent(_Fixed):
        name, folder = "absent", "nowhere"

    out = tmp_path / "out"
    report = run_all({"fixed": _Fixed(), "absent": Absent()}, root, out)
    assert [row.passed for row in report.rows] == [True, False]
    assert report.skips[0].check == "absent" and "nowhere: no such folder" in report.skips[0].reason
    table = pd.read_csv(out / "validation.csv")
    assert list(table["passed"].iloc[:2]) == [True, False]
    assert table["statistic"].iloc[2].startswith("skipped:")
    assert (out / "figures" / "fixed.png").is_file()
    assert markdown(report).count("\n") == 2 + 2 + 3  # note, blank, header, rule, two rows, one skip
    assert "1 of 2 rows within tolerance, 1 outside, 1 check(s) skipped" == report.summary()


def test_a_check_on_unreadable_data_fails_alone_and_a_missing_file_skips(tmp_path):
    class Broken(_Fixed):
        name = "broken"

        def run(self, data: Path | None, out: Path) -> list[Row]:
            raise ValueError(f"{data}/table.json: not readable JSON\nmore detail")

    class Partial(_Fixed):
        name = "partial"

        def run(self, data: Path | None, out: Path) -> list[Row]:
            raise FileNotFoundError(f"{data}/table.json: missing")

    (tmp_path / "data" / "fixed").mkdir(parents=True)
    report = run_all(
        {"broken": Broken(), "partial": Partial(), "fixed": _Fixed()}, tmp_path / "data", tmp_path
    )
    assert [f.check for f in report.failures] == ["broken"] and "\n" not in report.failures[0].reason
    assert [s.check for s in report.skips] == ["partial"] and len(report.rows) == 2
    assert "1 failed on unreadable data" in report.summary()


def test_a_missing_file_inside_the_aifi_folder_is_named(tmp_path):
    (tmp_path / "store_meta").mkdir()
    with pytest.raises(FileNotFoundError, match=r"Gondolas\.json"):
        read_aifi(tmp_path)


def _aifi_folder(root: Path) -> Path:
    """A two-case store: 4 events, one a put-back onto another shelf, one across two plates."""
    meta = root / "store_meta"
    meta.mkdir(parents=True)
    origin = {"translation": {"x": 0, "y": 0, "z": 0}, "rotation": {"x": 0, "y": 0, "z": 0}}
    gondola = {"id": {"id": 1}, "coordinates": {"transform": origin, "dim_x": 1.2, "dim_y": 0.4, "dim_z": 2}}
    shelves = [
        {
            "id": {"gondola_id": {"id": 1}, "shelf_index": k},
            "coordinates": {"transform": origin, "dim_x": 1.2},
        }
        for k in (1, 2)
    ]
    plates = [
        {
            "id": {"shelf_id": {"gondola_id": {"id": 1}, "shelf_index": k}, "plate_index": i},
            "coordinates": {
                "transform": {**origin, "translation": {"x": 0.1 * i, "y": 0, "z": 0}},
                "dim_x": 0.1,
            },
        }
        for k in (1, 2)
        for i in (1, 2)
    ]
    (meta / "Gondolas.json").write_text(json.dumps({"gondolas": [gondola]}))
    (meta / "Shelves.json").write_text(json.dumps({"shelves": shelves}))
    (meta / "Plates.json").write_text(json.dumps({"plates": plates}))

    def event(i: int, shelf: int, plates: list[int], upcs: list[str], putback: int) -> dict:
        products = [{"id": u, "name": u, "price": 1, "weight": {"a": 100.0, "b": 104.0}[u]} for u in upcs]
        position = {"gondola": 1, "shelf": shelf, "plates": plates}
        return {
            "eventID": i,
            "observation": {"position": position, "products": products, "time": "t", "target_id": "s1"},
            "putback": putback,
        }

    cases = [
        {"dataset": "one", "events": [event(1, 1, [1], ["a"], 0), event(2, 1, [1, 2], ["a", "a"], 0)]},
        {"dataset": "two", "events": [event(1, 2, [1], ["b"], 0), event(2, 2, [2], ["a"], 1)]},
    ]
    (root / "ground_truth").mkdir()
    (root / "ground_truth" / "v14.json").write_text(json.dumps({"lists": cases}))
    return root


def test_the_aifi_shares_and_planogram_have_their_known_values(tmp_path):
    store = read_aifi(_aifi_folder(tmp_path))
    home = implied_planogram(store)
    assert home.loc["a"].tolist() == [1, 1, 1] and home.loc["b"].tolist() == [1, 2, 1]
    shares = real_shares(store)
    assert (shares["putback"].k, shares["putback"].n) == (1, 4)
    assert (shares["multi_plate"].k, shares["single_unit"].k) == (1, 3)
    assert (shares["misplaced"].k, shares["misplaced"].n) == (1, 1)  # a's put-back on shelf 2
    assert within_share(np.array([100.0, 104.0, 200.0])) == pytest.approx(1 / 3)


def test_the_aifi_check_compares_the_default_shoppers_with_the_real_events(tmp_path):
    folder = real_data("aifi_nanostore")
    cfg = validate_config(["validation=[aifi]", "validation.aifi.days=1", "validation.aifi.catalogs=3"])
    check = build_from_config(cfg.validation.aifi, "validation.aifi")
    rows = check.run(folder, tmp_path)
    by_name = {row.statistic: row for row in rows}
    assert len(rows) == 8 and all(np.isfinite([r.real, r.simulated, r.tolerance]).all() for r in rows)
    assert by_name["put-backs among product events"].real == pytest.approx(100 * 56 / 234)
    # the README's 154 of 3,486 pairs, less the bag recorded at 0 g (83 weighed products)
    assert by_name["product pairs weighing within 5 % of each other"].real == pytest.approx(
        100 * 154 / (83 * 82 / 2)
    )
    assert (tmp_path / "aifi.png").is_file()


def test_a_bad_aifi_setting_is_one_line_naming_it():
    cfg = validate_config(["validation=[aifi]", "validation.aifi.days=0"])
    with pytest.raises(ConfigError, match=r"validation\.aifi\.days") as err:
        build_from_config(cfg.validation.aifi, "validation.aifi")
    assert "\n" not in str(err.value)


def test_a_missing_data_root_skips_every_check_and_the_command_says_why(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "experiments" / "validate.py"),
            "validation=[aifi]",
            f"data_root={tmp_path / 'none'}",
            f"hydra.run.dir={tmp_path / 'run'}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "aifi: skipped:" in done.stdout and "no such folder" in done.stdout
    assert (tmp_path / "run" / "validation.csv").is_file()
    bad = subprocess.run(
        [
            sys.executable,
            str(ROOT / "experiments" / "validate.py"),
            "validation=[aifi]",
            "only=[afii]",
            f"hydra.run.dir={tmp_path / 'run2'}",
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "only: unknown check 'afii'" in bad.stderr and "did you mean" in bad.stderr


def test_an_uncertain_parameter_must_exist_and_a_value_beyond_its_evidence_is_said():
    cfg = compose_config()
    stated = uncertain_parameters(cfg)
    assert stated["buy_rate"]["value"] == cfg.shoppers.p_buy_given_pick and stated["buy_rate"]["inside"]
    beyond = uncertain_parameters(compose_config(["shoppers.p_buy_given_pick=0.9"]))
    assert not beyond["buy_rate"]["inside"]
    assert "p_buy_given_pick = 0.9 (beyond the evidence)" in uncertainty_lines(beyond)[0]
    with pytest.raises(ConfigError, match=r"uncertain\.buy_rate\.key: 'shoppers\.nope'"):
        uncertain_parameters(compose_config(["uncertain.buy_rate.key=shoppers.nope"]))
    with pytest.raises(ConfigError, match=r"uncertain\.buy_rate\.range"):
        uncertain_parameters(compose_config(["uncertain.buy_rate.range=[0.7,0.3]"]))


def test_data_missing_is_what_a_check_raises_for_absent_data():
    from toolkit.validation.base import data_folder

    with pytest.raises(DataMissing, match="no such folder"):
        data_folder(Path("/nonexistent"), "x")
