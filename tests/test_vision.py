"""Vision: renderer, models, training and calibration, real-photo folders, and what hurts accuracy."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import compose_config
from PIL import Image

from toolkit.comparison import run_comparison
from toolkit.recognizers.vision import _view_log_probs
from toolkit.seeding import component_rng
from toolkit.sensors.observations import CameraCrops
from toolkit.vision.datasets import load_photos
from toolkit.vision.models import (
    MaxPool2dInference,
    available_models,
    build_model,
    logits_in_batches,
    register,
)
from toolkit.vision.photos import PhotoParams, train_on_photos
from toolkit.vision.render import SIZE, RenderParams, _motion_blur, render
from toolkit.vision.train import (
    TrainedClassifier,
    TrainParams,
    classifier_for_catalog,
    forget_loaded_classifiers,
    load_checkpoint,
    render_split,
    save_checkpoint,
    scores,
)
from toolkit.world import APPEARANCE_FIELDS, make_catalog

RENDER = RenderParams(20.0, (0.85, 1.1), 0.12, (0.75, 1.25), 2, 0.4, 0.1, 0.03, 24)
FAST = TrainParams(
    "small_cnn", steps=250, batch=64, learning_rate=5e-3, train_per_class=60, holdout_per_class=30, seed=0
)


def catalog(lookalike_share: float, n_skus: int = 16):
    cfg = compose_config()
    node = {**cfg.catalog, "n_skus": n_skus, "lookalike_share": lookalike_share, "lookalike_max_group": 4}
    return make_catalog(node, component_rng(0, "catalog"))


def test_renders_are_seeded_and_lookalikes_differ_only_in_their_patch():
    cat = catalog(1.0)
    table = torch.as_tensor(cat.appearance[:2], dtype=torch.float32)
    a = render(table, RENDER, torch.Generator().manual_seed(1))
    b = render(table, RENDER, torch.Generator().manual_seed(1))
    assert a.shape == (2, 3, SIZE, SIZE) and torch.equal(a, b) and 0 <= a.min() and a.max() <= 1
    assert cat.lookalike_group[0] == cat.lookalike_group[1]
    clean = RENDER.clean()
    clean = RenderParams(
        **{
            **clean.__dict__,
            "max_rotation_deg": 0.0,
            "max_shift": 0.0,
            "scale_range": (1.0, 1.0),
            "brightness_range": (1.0, 1.0),
        }
    )
    twins = render(table, clean, torch.Generator().manual_seed(2))
    body = ((twins[0] - twins[0, :, :1, :1]).abs().sum(0) > 0.05) & (
        (twins[1] - twins[1, :, :1, :1]).abs().sum(0) > 0.05
    )
    differing = ((twins[0] - twins[1]).abs().sum(0) > 0.05) & body  # on the package; backgrounds vary
    assert 0 < differing.sum() < 0.25 * body.sum()  # the patch, not the design


def test_model_registry_builds_torchvision_models_without_weights():
    assert {"small_cnn", "resnet18", "mobilenet_v3_small"} <= set(available_models())
    for name in ("small_cnn", "resnet18", "mobilenet_v3_small"):
        logits = build_model(name, 7).eval()(torch.rand(2, 3, SIZE, SIZE))
        assert logits.shape == (2, 7)
    with pytest.raises(ValueError, match="already registered"):
        register("small_cnn")(lambda n: None)
    with pytest.raises(ValueError, match="unknown model 'resnet19'"):
        build_model("resnet19", 3)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    cache = tmp_path_factory.mktemp("vision-cache")
    cat = catalog(0.0)
    return cat, cache, classifier_for_catalog(cat.appearance, RENDER, FAST, cache, progress=False)


def test_the_fast_inference_path_gives_the_plain_layers_bits():
    """Pooling by pairwise maxima and inference mode change the speed of scoring, not its bits (an
    odd-sized map drops its last row and column, as torch's does); with autograd on, the pool is
    plain MaxPool2d and routes the gradient to the same inputs."""
    torch.manual_seed(3)
    model = build_model("small_cnn", 7).eval()
    crops = torch.rand(300, 3, SIZE, SIZE)
    with torch.no_grad():
        plain = model[:0]  # the same layers, each pool swapped for torch's own
        for block in model[:3]:
            plain.append(torch.nn.Sequential(*block[:3], torch.nn.MaxPool2d(2)))
        plain.extend(model[3:])
        expected = torch.cat([plain(crops[i : i + 64]) for i in range(0, 300, 64)])
    assert torch.equal(logits_in_batches(model, crops, batch=128), expected)
    assert logits_in_batches(model, crops).requires_grad is False
    x = torch.rand(4, 5, 8, 8, requires_grad=True)
    MaxPool2dInference(2)(x).sum().backward()
    y = x.detach().clone().requires_grad_()
    torch.nn.MaxPool2d(2)(y).sum().backward()
    assert torch.equal(x.grad, y.grad)
    odd = torch.rand(3, 5, 9, 7)
    with torch.inference_mode():
        assert torch.equal(MaxPool2dInference(2)(odd), torch.nn.MaxPool2d(2)(odd))
        assert torch.equal(MaxPool2dInference(3, 1)(odd), torch.nn.MaxPool2d(3, 1)(odd))


def test_views_are_the_same_bits_whatever_the_slice_they_are_computed_in(monkeypatch):
    """render and degrade draw a batch's randomness first and compute pixels a slice at a time:
    a view's pixels must not depend on the slice size (which bounds memory, nothing else)."""
    from toolkit.vision import render as render_module

    params = RENDER.with_crowding(0.3)
    appearance = torch.rand(300, len(APPEARANCE_FIELDS), generator=torch.Generator().manual_seed(1))
    photos = torch.rand(300, 3, 40, 40, generator=torch.Generator().manual_seed(2))
    outputs = []
    for views in (16, 304):  # 3 × 30² values a view: not a multiple of 16 on its own
        monkeypatch.setattr(render_module, "_VIEWS_AT_ONCE", views)
        outputs.append(
            (
                render(appearance, params, torch.Generator().manual_seed(3)),
                render_module.degrade(photos, params, torch.Generator().manual_seed(4), size=SIZE),
                render_module.degrade(photos, params, torch.Generator().manual_seed(5), size=30),
            )
        )
    for sliced, whole in zip(*outputs, strict=True):
        assert torch.equal(sliced, whole)


@pytest.mark.parametrize("resolution", [9, 16, 24])
def test_upscaling_channels_last_gives_the_nchw_bits(resolution):
    """degrade() upscales a channels-last copy for speed; it must be the bits of the plain call."""
    views = torch.rand(200, 3, resolution, resolution, generator=torch.Generator().manual_seed(resolution))
    plain = torch.nn.functional.interpolate(views, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    fast = torch.nn.functional.interpolate(
        views.contiguous(memory_format=torch.channels_last), size=(SIZE, SIZE), mode="bilinear"
    )
    assert torch.equal(fast.contiguous(), plain)


def test_motion_blur_on_the_moving_views_gives_the_whole_batch_bits():
    """_motion_blur adds each shift to the views it moves only; the whole-batch formulation it
    replaced added it to every view, times zero where the view did not move."""
    g = torch.Generator().manual_seed(5)
    views = torch.rand(300, 3, 16, 16, generator=g)
    views[:40] = 0.0  # black views: adding zero times a shift must leave +0.0
    for most in (0, 1, 3):
        length = torch.randint(0, most + 1, (300,), generator=g)
        out, count = views.clone(), torch.ones(300)
        for step in range(1, int(length.max()) + 1):
            active = (length >= step).float()
            out = out + active[:, None, None, None] * torch.roll(views, shifts=step, dims=3)
            count = count + active
        whole_batch = out / count[:, None, None, None]
        assert torch.equal(_motion_blur(views, length), whole_batch)
        assert not torch.signbit(_motion_blur(views, length)).any()


def test_training_calibrates_and_caches(trained):
    cat, cache, classifier = trained
    report = classifier.report
    assert report["clean_calibrated_accuracy"] > 0.9
    assert report["heldout_calibrated_nll"] <= report["heldout_raw_nll"] + 1e-6  # T minimises held-out NLL
    files = list(cache.glob("vision-*.pt"))
    assert len(files) == 1
    again = classifier_for_catalog(cat.appearance, RENDER, FAST, cache, progress=False)
    assert again is classifier  # loaded once per process
    forget_loaded_classifiers()
    again = classifier_for_catalog(cat.appearance, RENDER, FAST, cache, progress=False)
    assert again is not classifier and again.temperature == classifier.temperature
    assert again.report == report
    elsewhere = cache / "elsewhere"
    classifier_for_catalog(cat.appearance, RENDER, FAST, elsewhere, progress=False)
    assert [path.name for path in elsewhere.glob("*.pt")] == [files[0].name]  # cached there too


@pytest.mark.e2e
def test_the_cnn_scores_a_days_crops_once_for_every_design_and_pass(monkeypatch):
    """vision_fusion and vision_weight share the cameras and the CNN, and each decides in two
    passes: the CNN sees the day's crops once, and only the views holding a product."""
    seen = []
    original = TrainedClassifier.log_probs
    monkeypatch.setattr(
        TrainedClassifier,
        "log_probs",
        lambda self, images: seen.append(images.shape[0]) or original(self, images),
    )
    cfg = compose_config(["debug=tiny", "system=[vision_fusion,vision_weight]"])
    record = run_comparison(cfg)
    views = record["scenario"]["n_detected_events"] * cfg.sensor.camera.views_per_event
    scored = sum(seen)  # in chunks of a thousand crops, each crop once (held views: 0.8 of them)
    assert 0 < scored < views
    again = run_comparison(cfg)  # the CNN from this process's memory: the same metrics, byte for byte
    assert sum(seen) == 2 * scored and json.dumps(again, sort_keys=True) == json.dumps(record, sort_keys=True)


def test_the_held_views_scores_are_those_of_scoring_every_view(trained):
    classifier = trained[2]
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (300, 2, 3, SIZE, SIZE), dtype=np.uint8)
    holding = rng.random((300, 2)) < 0.8
    crops = CameraCrops(images=images, visible=np.ones((300, 2), dtype=bool), holding=holding)
    shared = _view_log_probs(classifier, crops)
    flat = torch.from_numpy(images.reshape(600, 3, SIZE, SIZE).astype(np.float32)) / 255.0
    every = classifier.log_probs(flat).numpy().reshape(300, 2, -1)
    assert np.allclose(shared[holding], every[holding], rtol=1e-6, atol=1e-6)
    assert not shared[~holding].any()
    assert _view_log_probs(classifier, crops) is shared  # once per crops
    with pytest.raises(ValueError, match="read-only"):
        shared[0, 0, 0] = 0.0  # shared between designs: nobody may change it


def test_checkpoints_load_weights_only_and_refuse_another_catalog(trained, tmp_path):
    classifier = trained[2]
    path = tmp_path / "model.pt"
    save_checkpoint(classifier, path)
    loaded = load_checkpoint(path, classifier.n_classes)
    x = torch.rand(3, 3, SIZE, SIZE)
    assert torch.allclose(loaded.log_probs(x), classifier.log_probs(x))
    with pytest.raises(ValueError, match="trained for 16 SKUs"):
        load_checkpoint(path, 60)
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(broken)


def accuracy(classifier, cat, params: RenderParams) -> float:
    images, labels = render_split(cat.appearance, 40, params, torch.Generator().manual_seed(9))
    logits = classifier.model(images).detach()
    return scores(logits, labels)["accuracy"]


def test_accuracy_falls_with_occlusion_and_lower_resolution(trained):
    cat, _, classifier = trained
    base = accuracy(classifier, cat, RENDER)
    crowded = accuracy(classifier, cat, RENDER.with_crowding(0.9))
    coarse = accuracy(classifier, cat, RenderParams(**{**RENDER.__dict__, "resolution_px": 8}))
    assert crowded < base and coarse < base


@pytest.mark.slow
def test_accuracy_falls_with_lookalikes(trained):
    plain_cat, _, plain = trained
    alike_cat = catalog(1.0)
    alike = classifier_for_catalog(alike_cat.appearance, RENDER, FAST, None, progress=False)
    assert accuracy(alike, alike_cat, RENDER) < accuracy(plain, plain_cat, RENDER)


def write_shapes(root, n_per_class=40):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:32, :32]
    for name, colour in (("circle", (220, 40, 40)), ("square", (40, 200, 40)), ("stripes", (40, 40, 220))):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(n_per_class):
            image = rng.integers(0, 60, (32, 32, 3)).astype(np.uint8)
            cx, cy = rng.integers(10, 22, 2)
            if name == "circle":
                mask = (xx - cx) ** 2 + (yy - cy) ** 2 < 64
            elif name == "square":
                mask = (abs(xx - cx) < 7) & (abs(yy - cy) < 7)
            else:
                mask = (yy // 4) % 2 == 0
            image[mask] = colour
            Image.fromarray(image).save(folder / f"{i}.png")


def test_an_image_folder_trains_to_high_accuracy_and_skips_corrupt_files(tmp_path):
    write_shapes(tmp_path)
    (tmp_path / "circle" / "broken.png").write_bytes(b"\x89PNG this is not an image")
    (tmp_path / "square" / "notes.txt").write_text("not an image either")
    whole = next((tmp_path / "stripes").iterdir())
    Image.open(whole).convert("RGB").save(tmp_path / "stripes" / "cut.jpg", quality=95)
    cut = (tmp_path / "stripes" / "cut.jpg").read_bytes()
    (tmp_path / "stripes" / "cut.jpg").write_bytes(cut[: len(cut) // 2])  # a truncated download
    with pytest.warns(UserWarning) as caught:
        photos = load_photos(tmp_path)
    skipped = " ".join(str(w.message) for w in caught)
    assert "broken.png" in skipped and "notes.txt" in skipped and "cut.jpg" in skipped
    assert photos.classes == ["circle", "square", "stripes"] and len(photos.labels) == 120
    vision = compose_config(["vision.photos.split=random", "vision.photos.steps=150"]).vision
    params, camera = PhotoParams.from_config(vision.photos), RenderParams.from_config(vision.render)
    with pytest.warns(UserWarning, match="near-duplicates"):  # a random split leaks video frames
        report = train_on_photos(photos, TrainParams("small_cnn", 150, 32, 5e-3, 1, 1, 0), params, camera)
    assert report["heldout_calibrated_accuracy"] > 0.9


def test_an_empty_class_folder_is_a_clear_error(tmp_path):
    write_shapes(tmp_path, n_per_class=2)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        load_photos(tmp_path)


def test_render_settings_are_checked():
    cfg = dict(compose_config().vision.render)
    with pytest.raises(ValueError, match="scale_range"):
        RenderParams.from_config({**cfg, "scale_range": [1.2, 0.8]})
    assert set(APPEARANCE_FIELDS) >= {"patch_hue", "shape"}
