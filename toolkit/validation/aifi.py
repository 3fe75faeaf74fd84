"""The shopper and catalog models against a real checkout-free store's labelled events (AiFi Nanostore).

Real: the 237 hand-labelled pick and put-back events of the AutoCheckout competition's test cases
and the 84 products moved in them. Simulated: the same statistics of the configured scenario (the
convenience store the comparison runs, by default) over several store-days, from the toolkit's own
shoppers and catalog generator. Shares are compared with a two-sample 95 % binomial interval, the
weight statistics with a 95 % bootstrap interval over products plus the spread over synthetic
catalogs. The competition's shoppers followed test scripts: a row's source says where that matters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from toolkit.config import AtLeastOne, Count, Settings
from toolkit.figures import save
from toolkit.real_data.aifi import AifiStore, implied_planogram, read_aifi
from toolkit.seeding import component_rng
from toolkit.shoppers import PUTBACK, TAKE, GroundTruth, ShopperParams, population_and_day
from toolkit.validation.base import Z95, Row
from toolkit.world import World, make_catalog, make_world

SOURCE = "AiFi Nanostore labelled events (AutoCheckout 2020, CC BY 4.0)"
SCRIPTED = SOURCE + "; scripted test shoppers"
FITTED = SOURCE + "; the default is fitted to it"


class AifiSettings(Settings):
    config_path: ClassVar[str] = "validation.aifi"

    days: AtLeastOne  # simulated store-days, seeds seed, seed + 1, ...
    catalogs: AtLeastOne  # synthetic catalogs drawn for the weight statistics
    seed: Count
    resamples: AtLeastOne  # bootstrap resamples of the real products


@dataclass(frozen=True)
class Share:
    """k of n, with the binomial variance of the share."""

    k: int
    n: int

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else float("nan")

    @property
    def variance(self) -> float:
        p = self.value
        return p * (1 - p) / self.n if self.n else float("nan")


def within_share(weights: np.ndarray, tolerance: float = 0.05) -> float:
    """Share of product pairs whose unit weights differ by at most `tolerance` of the heavier."""
    w = np.asarray(weights, float)
    i, j = np.triu_indices(w.size, k=1)
    close = np.abs(w[i] - w[j]) <= tolerance * np.maximum(w[i], w[j])
    return float(close.mean()) if i.size else float("nan")


def log_spread(weights: np.ndarray) -> float:
    """Standard deviation of log unit weight (products weighing 0 g left out)."""
    w = np.asarray(weights, float)
    return float(np.log(w[w > 0]).std(ddof=1))


def real_shares(store: AifiStore) -> dict[str, Share]:
    """The labelled events' shares; a put-back is misplaced when it lands on another shelf than
    the product's home (shelf level, not plate: products straddle the 10 cm plates)."""
    events = store.events
    moved = events[events["units"] > 0]
    home = implied_planogram(store)
    backs = moved[moved["putback"]]
    first = home.loc[[upcs[0] for upcs in backs["upcs"]]]
    elsewhere = (first["gondola"].to_numpy() != backs["gondola"].to_numpy()) | (
        first["shelf"].to_numpy() != backs["shelf"].to_numpy()
    )
    return {
        "putback": Share(int(moved["putback"].sum()), len(moved)),
        "multi_plate": Share(int((events["n_plates"] > 1).sum()), len(events)),
        "single_unit": Share(int((moved["units"] == 1).sum()), len(moved)),
        "mixed": Share(int((moved["n_products"] > 1).sum()), len(moved)),
        "misplaced": Share(int(elsewhere.sum()), len(backs)),
    }


def simulated_shares(days: Sequence[tuple[World, GroundTruth]]) -> dict[str, Share]:
    """The same shares over simulated days; every product lies on one plate in the toolkit, so an
    event spans two plates only when a mixed grab takes products from two plates."""
    counts: dict[str, list[int]] = {
        key: [0, 0] for key in ("putback", "multi_plate", "single_unit", "mixed", "misplaced")
    }

    def add(key: str, hits: np.ndarray) -> None:
        counts[key][0] += int(hits.sum())
        counts[key][1] += int(hits.size)

    for world, truth in days:
        move = np.isin(truth.inter_kind, (TAKE, PUTBACK))
        sku, count = truth.inter_sku[move], truth.inter_count[move]
        two = sku[:, 1] >= 0
        plates = world.planogram.sku_plate[np.maximum(sku, 0)]
        add("putback", truth.inter_kind[move] == PUTBACK)
        add("multi_plate", two & (plates[:, 0] != plates[:, 1]))
        add("single_unit", np.abs(count).sum(axis=1) == 1)
        add("mixed", two)
        add("misplaced", truth.inter_misplaced[truth.inter_kind == PUTBACK])
    return {key: Share(k, n) for key, (k, n) in counts.items()}


SHARE_ROWS = {
    "putback": ("put-backs among product events", SCRIPTED),
    "multi_plate": ("events spanning more than one load plate", SOURCE + "; 10 cm plates"),
    "single_unit": ("events moving one unit", FITTED),
    "mixed": ("events moving two or more products", FITTED),
    "misplaced": ("put-backs onto another shelf than the product's", SCRIPTED),
}


class AifiCheck:
    """Put-backs, units and products per event, misplacement and plate spans of the simulated
    shoppers; unit weights and weight collisions of the synthetic catalog."""

    name = "aifi"
    folder = "aifi_nanostore"

    def __init__(
        self,
        catalog: Mapping[str, Any],
        store: Mapping[str, Any],
        shoppers: Mapping[str, Any],
        days: int,
        catalogs: int,
        seed: int,
        resamples: int,
    ) -> None:
        self.settings = AifiSettings.from_config(
            {"days": days, "catalogs": catalogs, "seed": seed, "resamples": resamples}
        )
        self.catalog, self.store = catalog, store
        self.shoppers = ShopperParams.from_config(shoppers)

    def _days(self) -> list[tuple[World, GroundTruth]]:
        days = []
        for seed in range(self.settings.seed, self.settings.seed + self.settings.days):
            world = make_world(self.catalog, self.store, seed)
            days.append((world, population_and_day(world, self.shoppers, seed, seed)[1]))
        return days

    def run(self, data: Path | None, out: Path) -> Sequence[Row]:
        assert data is not None
        store = read_aifi(data)
        real, simulated = real_shares(store), simulated_shares(self._days())
        rows = [
            Row(
                check=self.name,
                statistic=what,
                real=100 * real[key].value,
                simulated=100 * simulated[key].value,
                tolerance=100 * Z95 * float(np.sqrt(real[key].variance + simulated[key].variance)),
                unit="%",
                why_tolerance=f"95 % two-sample binomial interval ({real[key].n} real, "
                f"{simulated[key].n} simulated)",
                source=source,
                in_sample=source == FITTED,
            )
            for key, (what, source) in SHARE_ROWS.items()
        ]
        weights = store.products["weight_g"].to_numpy()
        weights = weights[weights > 0]  # a bag recorded at 0 g: no unit weight (the preset leaves it out too)
        synthetic = [
            make_catalog(
                self.catalog, component_rng(self.settings.seed + i, "world", "catalog")
            ).weight_mean_g
            for i in range(self.settings.catalogs)
        ]
        for what, statistic, unit, scale in (
            ("product pairs weighing within 5 % of each other", within_share, "%", 100.0),
            ("median unit weight", np.median, "g", 1.0),
            ("spread of log unit weight (sd)", log_spread, "", 1.0),
        ):
            source = SOURCE if statistic is within_share else FITTED
            rows.append(self._weight_row(what, statistic, weights, synthetic, unit, scale, source))
        self._figure(real, simulated, weights, synthetic, out / "aifi")
        return rows

    def _weight_row(
        self,
        what: str,
        statistic: Callable[[np.ndarray], float],
        weights: np.ndarray,
        synthetic: list[np.ndarray],
        unit: str,
        scale: float,
        source: str,
    ) -> Row:
        """Real statistic with its bootstrap interval over products; simulated: mean over catalogs."""
        rng = component_rng(self.settings.seed, "validation", "aifi", "bootstrap")
        interval = stats.bootstrap(
            (weights,),
            statistic,
            n_resamples=self.settings.resamples,
            vectorized=False,
            method="percentile",
            random_state=rng,
        ).confidence_interval
        drawn = np.array([statistic(w) for w in synthetic])
        spread = drawn.std(ddof=1) if drawn.size > 1 else 0.0
        half = (interval.high - interval.low) / 2
        return Row(
            check=self.name,
            statistic=what,
            real=scale * float(statistic(weights)),
            simulated=scale * float(drawn.mean()),
            tolerance=scale * float(np.hypot(half, Z95 * spread)),
            unit=unit,
            why_tolerance=f"95 % bootstrap over the {weights.size} real products and the spread over "
            f"{drawn.size} synthetic catalogs",
            source=source,
            in_sample=source == FITTED,
        )

    @staticmethod
    def _figure(
        real: dict[str, Share],
        simulated: dict[str, Share],
        weights: np.ndarray,
        synthetic: list[np.ndarray],
        stem: Path,
    ) -> None:
        figure, (shares, hist) = plt.subplots(1, 2, figsize=(11, 4.2), width_ratios=[1.3, 1])
        y = np.arange(len(SHARE_ROWS))
        for offset, source, label, colour in (
            (-0.2, real, "real (AiFi)", "tab:blue"),
            (0.2, simulated, "simulated", "tab:orange"),
        ):
            values = np.array([100 * source[k].value for k in SHARE_ROWS])
            errors = np.array([100 * Z95 * np.sqrt(source[k].variance) for k in SHARE_ROWS])
            shares.barh(y + offset, values, height=0.38, xerr=errors, label=label, color=colour, capsize=3)
        shares.set_yticks(y, [what for what, _ in SHARE_ROWS.values()], fontsize=8)
        shares.invert_yaxis()
        shares.set_xlabel("share (%), 95 % binomial interval")
        shares.legend(loc="lower right", fontsize=8)
        shares.set_title("Events: labelled (AiFi Nanostore) vs simulated shoppers", fontsize=10)
        bins = np.geomspace(10, 3000, 30)
        hist.hist(
            weights[weights > 0], bins=bins, density=True, alpha=0.6, label=f"real ({weights.size} products)"
        )
        pooled = np.concatenate(synthetic)
        hist.hist(
            pooled,
            bins=bins,
            density=True,
            histtype="step",
            lw=2,
            label=f"synthetic ({len(synthetic)} catalogs)",
        )
        hist.set_xscale("log")
        hist.set_xlabel("unit weight (g)")
        hist.set_ylabel("density (per g)")
        hist.legend(fontsize=8)
        hist.set_title("Unit weights", fontsize=10)
        figure.tight_layout()
        save(figure, stem)
