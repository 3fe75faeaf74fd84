"""The recognizer protocol: built-ins pass check_recognizer; broken ones fail with a clear message."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CONFIG_DIR, compose_config
from hydra.utils import instantiate
from omegaconf import OmegaConf

from toolkit.hypotheses import EventHypotheses, build_hypothesis_space
from toolkit.recognizers import RecognizerCheckError, check_recognizer
from toolkit.recognizers.base import DEFAULT_HYPOTHESES, EventBatch, synthetic_batch
from toolkit.recognizers.weight import WeightRecognizer
from toolkit.sensors.observations import CameraCrops, LoadcellReadings, ShelfEvents
from toolkit.world import make_world

RECOGNIZER_CONFIGS = sorted(p.stem for p in (CONFIG_DIR / "recognizer").glob("*.yaml"))


@pytest.fixture(scope="module")
def world():
    cfg = compose_config(["catalog.n_skus=24", "store.n_shelves=4"])
    return make_world(cfg.catalog, cfg.store, seed=0)


@pytest.mark.parametrize("name", RECOGNIZER_CONFIGS)
def test_every_configured_recognizer_passes_the_checker(name, world):
    small_cnn = [
        "vision.train.steps=60",
        "vision.train.train_per_class=10",
        "vision.train.holdout_per_class=5",
    ]
    cfg = compose_config([f"recognizer=[{name}]", *small_cnn])
    node = OmegaConf.to_container(cfg.recognizer[name], resolve=True)
    check_recognizer(instantiate(node), world)


def test_user_plugin_passes_the_checker(world):
    from student_t_weight import StudentTWeight

    check_recognizer(StudentTWeight(), world)


@pytest.mark.parametrize(
    ("cls_name", "message"),
    [
        ("ReturnsNaN", "NaN"),
        ("WrongShape", "shape"),
        ("Unseeded", "deterministic"),
        ("NotFlatWhenMissing", "flat"),
        ("NoSignals", "signals"),
        ("WritesInput", "writes into its input"),
    ],
)
def test_broken_recognizers_fail_with_a_clear_message(cls_name, message, world):
    import broken_recognizers

    recognizer = getattr(broken_recognizers, cls_name)()
    with pytest.raises(RecognizerCheckError, match=message) as info:
        check_recognizer(recognizer, world)
    assert cls_name in str(info.value)


def test_a_recognizer_importing_the_ground_truth_is_refused(world):
    from truth_peeker import TruthPeeker

    with pytest.raises(RecognizerCheckError, match="ground truth"):
        check_recognizer(TruthPeeker(), world)


def test_weight_evidence_prefers_the_hypothesis_that_matches_the_weight(world):
    space = build_hypothesis_space(world, DEFAULT_HYPOTHESES)
    batch = synthetic_batch(
        world, space, frozenset({"loadcell"}), 200, np.random.default_rng(1), p_missing=0.0
    )
    recognizer = WeightRecognizer()
    recognizer.prepare(world, np.random.default_rng(0))
    loglik = recognizer.evidence(batch).loglik
    best = np.argmax(loglik, axis=1)
    rows = np.arange(batch.n_events)
    expected, _ = recognizer.expected_change(
        batch.hypotheses.sku[rows, best], batch.hypotheses.count[rows, best]
    )
    # the best hypothesis explains the reading to within a few standard deviations of the noise (3 g)
    assert np.all(np.abs(expected - batch.readings["loadcell"].delta_g) < 5 * 3.0 + 1e-9)


def test_weight_likelihood_is_the_gaussian_multiset_formula(world):
    recognizer = WeightRecognizer(extra_sigma_g=2.0)
    recognizer.prepare(world, np.random.default_rng(0))
    cat = world.catalog
    sku = np.array([[[0, 1]]])
    count = np.array([[[2, 1]]])
    mean, var = recognizer.expected_change(sku, count)
    assert mean[0, 0] == pytest.approx(-(2 * cat.weight_mean_g[0] + cat.weight_mean_g[1]))
    assert var[0, 0] == pytest.approx(2 * cat.weight_std_g[0] ** 2 + cat.weight_std_g[1] ** 2)


def _batch(sku, count, signals):
    """One event on plate 0 with the given hypotheses (H, 2) and readings."""
    sku, count = np.asarray(sku)[None], np.asarray(count)[None]
    hyps = EventHypotheses(
        sku=sku, count=count, valid=np.ones(sku.shape[:2], bool), form=np.zeros(sku.shape[:2], int)
    )
    events = ShelfEvents(time_s=np.zeros(1), shelf=np.zeros(1, int), plate=np.zeros(1, int))
    return EventBatch(events=events, hypotheses=hyps, readings=signals)


def test_a_push_no_product_explains_is_nothing_moved_and_a_matching_weight_is_a_product(world):
    weight = WeightRecognizer(false_event_range_g=2000.0)
    weight.prepare(world, np.random.default_rng(0))
    w = world.catalog.weight_mean_g[0]
    hyps = ([[-1, -1], [0, -1]], [[0, 0], [1, 0]])  # nothing moved; one unit of SKU 0 taken
    pushed = weight.evidence(
        _batch(*hyps, {"loadcell": LoadcellReadings(np.array([w * 3.7]), np.array([9.0]))})
    )
    taken = weight.evidence(_batch(*hyps, {"loadcell": LoadcellReadings(np.array([-w]), np.array([9.0]))}))
    assert pushed.loglik[0, 0] > pushed.loglik[0, 1] and np.isfinite(pushed.loglik[0, 0])
    assert pushed.loglik[0, 0] >= -np.log(4 * 2000.0) - 1e-9
    assert taken.loglik[0, 1] > taken.loglik[0, 0]


def test_an_empty_hand_in_view_is_evidence_that_nothing_moved(world):
    vision = instantiate(
        OmegaConf.to_container(
            compose_config(
                [
                    "vision.train.steps=60",
                    "vision.train.train_per_class=10",
                    "vision.train.holdout_per_class=5",
                ]
            ).recognizer.vision,
            resolve=True,
        )
    )
    vision.prepare(world, np.random.default_rng(0))
    images = np.zeros((1, 2, 3, 32, 32), np.uint8)
    hyps = ([[-1, -1], [0, -1]], [[0, 0], [1, 0]])
    empty = CameraCrops(images=images, visible=np.ones((1, 2), bool), holding=np.zeros((1, 2), bool))
    loglik = vision.evidence(_batch(*hyps, {"camera": empty})).loglik[0]
    # two views of an empty hand: (1 − f) / m per view for "nothing moved"
    assert loglik[0] - loglik[1] == pytest.approx(2 * np.log(0.95 / 0.05))
    lost = CameraCrops(images=images, visible=np.zeros((1, 2), bool), holding=np.zeros((1, 2), bool))
    assert np.allclose(vision.evidence(_batch(*hyps, {"camera": lost})).loglik, 0.0)


def test_transients_are_acted_on_only_by_designs_that_see_hands():
    events = ShelfEvents(
        time_s=np.zeros(3),
        shelf=np.zeros(3, int),
        plate=np.zeros(3, int),
        transient=np.array([False, True, True]),
    )
    assert events.seen_by(frozenset({"loadcell"})).tolist() == [True, False, False]
    assert events.seen_by(frozenset({"loadcell", "camera"})).all()
