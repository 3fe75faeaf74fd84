"""A comparison's plan: the whole config checked and the store built before any work.

Every key is read here, so a bad value stops the run with one line naming it before a single
shopper walks in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.behaviour import BehaviourParams
from toolkit.config import ConfigError, Count, build_from_config, check_value
from toolkit.hypotheses import HypothesisSpace, build_hypothesis_space
from toolkit.metrics.cost import BACKBONE_SENSORS, PriceBook
from toolkit.metrics.equal_accuracy import EqualAccuracySettings
from toolkit.review import ReviewSettings
from toolkit.sensors.base import Sensor
from toolkit.sensors.door import DoorParams
from toolkit.sensors.loadcell_stream import LoadcellModel
from toolkit.sensors.presence import PresenceParams
from toolkit.sensors.registry import build_sensors
from toolkit.shoppers import ShopperParams
from toolkit.systems import build_systems, shown_names
from toolkit.tracking import TrackerParams
from toolkit.uncertainty import uncertain_parameters
from toolkit.world import World, make_world

# The designs configs/system/ ships: no other design may show under their names.
BUILT_IN_DESIGNS = frozenset(
    p.stem for p in (Path(__file__).parents[2] / "configs" / "system").glob("*.yaml")
)


def _section(cfg: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    if key not in cfg or cfg[key] is None:
        raise ConfigError(f"{key}: missing config section")
    return cfg[key]


@dataclass(frozen=True)
class Plan:
    """A comparison's settings, every one checked: what `run_comparison` builds before any work."""

    seed: int  # the day's
    store_seed: int  # the store's (catalog, layout, planogram; its regular shoppers)
    shopper_params: ShopperParams
    door_params: DoorParams
    loadcell: LoadcellModel
    presence_params: PresenceParams
    tracker_params: TrackerParams | None  # None: direct presence, no tracking
    behaviour: BehaviourParams
    sensors: dict[str, Sensor]
    review_error: float
    equal_accuracy: EqualAccuracySettings  # targets each design is also costed at
    prices: PriceBook
    systems: list
    shown_names: dict[str, str]  # design key -> the name its rows show (`system.<key>.name`)
    world: World
    space: HypothesisSpace
    uncertain: dict[str, dict[str, Any]]  # parameters whose evidence disagrees, with their range

    def sensor_of_type(self, kind: type) -> Any:
        """The configured sensor of this class (None if there is none): what the backbone's
        stages consult (mats that stand in for dead load cells, shelf cameras that see reaches)."""
        return next((s for s in self.sensors.values() if isinstance(s, kind)), None)


def plan_comparison(cfg: Mapping[str, Any]) -> Plan:
    """Check the whole config (every section, sensor and system) and build the store; raises
    ConfigError naming the first bad key before anything is simulated."""
    seed = check_value(Count, cfg.get("seed"), "seed")
    store_seed = check_value(Count, cfg.get("store_seed"), "store_seed")
    sensor_cfg = _section(cfg, "sensor")
    loadcell = LoadcellModel.from_config(_section(sensor_cfg, "loadcell"))
    presence_cfg = _section(sensor_cfg, "presence")
    presence_params = PresenceParams.from_config(presence_cfg)
    tracked = presence_params.mode == "tracks"
    tracker = TrackerParams.from_config(_section(cfg, "tracking"))  # checked in either mode
    sensors = build_sensors(sensor_cfg)
    recognizer_cfg = _section(cfg, "recognizer")
    systems = build_systems(_section(cfg, "system"), recognizer_cfg)
    used = {name for system in systems for name in getattr(system, "recognizers", {})}
    for name in sorted(set(recognizer_cfg) - used):  # checked too, though no design fuses it
        build_from_config(recognizer_cfg[name], f"recognizer.{name}")
    available = {"loadcell", *sensors}
    for system in systems:
        missing = system.signals - available
        if missing:
            raise ConfigError(
                f"system.{system.name}: needs sensor {sorted(missing)}; configured: {sorted(available)}"
            )
        unpriced = system.sensors - set(BACKBONE_SENSORS) - set(sensors)
        if unpriced:
            raise ConfigError(
                f"system.{system.name}: uses sensor {sorted(unpriced)}, which is not configured"
            )
    world = make_world(_section(cfg, "catalog"), _section(cfg, "store"), store_seed)
    return Plan(
        seed=seed,
        store_seed=store_seed,
        shopper_params=ShopperParams.from_config(_section(cfg, "shoppers")),
        door_params=DoorParams.from_config(_section(sensor_cfg, "door")),
        loadcell=loadcell,
        presence_params=presence_params,
        tracker_params=tracker if tracked else None,
        behaviour=BehaviourParams.from_config(_section(cfg, "behaviour")),
        sensors=sensors,
        review_error=ReviewSettings.from_config(_section(cfg, "review")).error_rate,
        equal_accuracy=EqualAccuracySettings.from_config(_section(cfg, "equal_accuracy")),
        prices=PriceBook.from_config(_section(cfg, "costs")),
        systems=systems,
        shown_names=shown_names(_section(cfg, "system"), BUILT_IN_DESIGNS),
        world=world,
        space=build_hypothesis_space(world, _section(cfg, "hypotheses")),
        uncertain=uncertain_parameters(cfg),
    )
