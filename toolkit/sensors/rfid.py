"""UHF RFID: the tag link budget and EPC Gen2 inventory (framed slotted ALOHA with the Q algorithm).

Link (per tag, per antenna dwell; all in dB):

    P_tag = EIRP − FSPL(d) − L_pol − L_orient − L_material − L_body − L_stack + X_fade,   X_fade ~ N(0, σ²)
    powered  ⇔  P_tag ≥ S_tag                                  # tag IC sensitivity

FSPL(d) = 20 log10(4π d / λ). The dipole tag's gain follows sin²θ of its angle to the reader antenna
(random orientation), stacking loss grows with the log of the number of tags around it, and fading
is redrawn at every antenna dwell (the gate cycles antennas; each dwell sees a new channel).

Inventory (EPC Gen2 Annex D): at each Query a powered, unread tag picks a slot counter in
[0, 2^Q); per slot, no reply is an empty slot (Qfp −= C), one reply is read (ACK, EPC), several
collide (Qfp += C); when round(Qfp) changes the reader sends QueryAdjust and tags pick again.
Slot durations follow from the link profile (Tari, BLF, FM0/Miller), so how many tags a gate can
read while a shopper walks through its zone comes out of the model. All reader sessions of the day
run in lockstep: the loop is over slots, vectorised over every session at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, Self

import numpy as np
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from toolkit.config import (
    NonNegative,
    Real,
    Settings,
    Whole,
)
from toolkit.world import per_material

SPEED_OF_LIGHT_MPS = 299_792_458.0
# reader EIRP limits by region (docs/references.md, RFID)
REGION_MAX_EIRP_DBM = {"FCC": 36.0, "ETSI": 35.2, "Japan": 30.0}
_Q_MAX = 15
_PARKED = np.iinfo(np.int64).max  # a collided tag waits for the next Query or QueryAdjust

# Gen2 command and reply lengths in bits
_QUERY_BITS, _QUERY_REP_BITS, _QUERY_ADJUST_BITS, _ACK_BITS = 22, 4, 9, 18
_RN16_BITS, _EPC_REPLY_BITS = 16, 16 + 96 + 16  # PC + EPC-96 + CRC-16


def _fm0_or_miller(value: int) -> int:
    if value not in (1, 2, 4, 8):
        raise ValueError("must be 1 (FM0), 2, 4 or 8")
    return value


class LinkProfile(Settings):
    """Air-interface timing. Tari = reader data-0 length; BLF = tag backscatter link frequency;
    miller = 1 for FM0, else 2, 4 or 8 subcarrier cycles per bit."""

    tari_us: Annotated[Real, Field(ge=6.25, le=25.0)]
    blf_khz: Annotated[Real, Field(ge=40.0, le=640.0)]
    miller: Annotated[Whole, AfterValidator(_fm0_or_miller)]  # 1 (FM0), 2, 4 or 8

    def _reader(self, bits: int, full_preamble: bool = False) -> float:
        tari = self.tari_us * 1e-6
        rtcal = 2.5 * tari  # data-0 + data-1, data-1 = 1.5 Tari
        sync = 12.5e-6 + tari + rtcal  # delimiter, data-0, RTcal
        trcal = (64.0 / 3.0) / (self.blf_khz * 1e3)  # divide ratio 64/3
        return sync + (trcal if full_preamble else 0.0) + bits * 1.25 * tari

    def _tag(self, bits: int) -> float:
        preamble = 6 if self.miller == 1 else 10
        return (preamble + bits + 1) * self.miller / (self.blf_khz * 1e3)

    @property
    def _t1(self) -> float:
        return max(2.5 * self.tari_us * 1e-6, 10.0 / (self.blf_khz * 1e3))

    @property
    def _t2(self) -> float:
        return 10.0 / (self.blf_khz * 1e3)

    @property
    def empty_slot_s(self) -> float:
        return self._reader(_QUERY_REP_BITS) + self._t1 + self._t2

    @property
    def collision_slot_s(self) -> float:
        return self._reader(_QUERY_REP_BITS) + self._t1 + self._tag(_RN16_BITS) + self._t2

    @property
    def success_slot_s(self) -> float:
        ack = self._reader(_ACK_BITS) + self._t1 + self._tag(_EPC_REPLY_BITS) + self._t2
        return self.collision_slot_s + ack

    @property
    def query_extra_s(self) -> float:
        """What a Query costs beyond the QueryRep it replaces (the round's first slot)."""
        return self._reader(_QUERY_BITS, full_preamble=True) - self._reader(_QUERY_REP_BITS)

    @property
    def adjust_extra_s(self) -> float:
        return self._reader(_QUERY_ADJUST_BITS) - self._reader(_QUERY_REP_BITS)

    def expected_time_per_tag_s(self) -> float:
        """At the ALOHA optimum (one tag per slot on average) reading one tag takes e slots: one
        success, one empty and e − 2 collisions."""
        return self.success_slot_s + self.empty_slot_s + (np.e - 2.0) * self.collision_slot_s


class LinkBudget(Settings):
    region: Literal["FCC", "ETSI", "Japan"]
    eirp_dbm: Real
    frequency_mhz: Annotated[Real, Field(ge=860.0, le=960.0)]
    tag_sensitivity_dbm: Annotated[Real, Field(le=0.0)]
    polarisation_loss_db: NonNegative
    orientation_loss_cap_db: NonNegative
    fading_sigma_db: NonNegative
    body_loss_db: NonNegative
    stack_loss_db_per_doubling: NonNegative
    material_loss_db: Annotated[np.ndarray, BeforeValidator(per_material)]  # indexed like MATERIALS

    @model_validator(mode="after")
    def _within_regulation(self) -> Self:
        limit = REGION_MAX_EIRP_DBM[self.region]
        if self.eirp_dbm > limit:
            raise ValueError(f"eirp_dbm: must be <= {limit} in region {self.region}, got {self.eirp_dbm}")
        return self

    def free_space_loss_db(self, distance_m: np.ndarray) -> np.ndarray:
        """FSPL = 20 log10(4π d / λ)."""
        wavelength = SPEED_OF_LIGHT_MPS / (self.frequency_mhz * 1e6)
        return 20.0 * np.log10(4.0 * np.pi * distance_m / wavelength)

    def orientation_loss_db(self, cos_theta: np.ndarray) -> np.ndarray:
        """Dipole pattern: gain ∝ sin²θ; nulls capped (other antennas and reflections fill them)."""
        gain = np.maximum(1.0 - cos_theta**2, 10 ** (-self.orientation_loss_cap_db / 10.0))
        return -10.0 * np.log10(gain)

    def margin_db(
        self,
        distance_m: np.ndarray,
        material: np.ndarray,
        cos_theta: np.ndarray,
        body_shadowed: np.ndarray,
        tags_nearby: np.ndarray,
    ) -> np.ndarray:
        """Mean power above the tag's sensitivity (dB), before fading."""
        return (
            self.eirp_dbm
            - self.free_space_loss_db(distance_m)
            - self.polarisation_loss_db
            - self.orientation_loss_db(cos_theta)
            - self.material_loss_db[material]
            - np.where(body_shadowed, self.body_loss_db, 0.0)
            - self.stack_loss_db_per_doubling * np.log2(np.maximum(tags_nearby, 1))
            - self.tag_sensitivity_dbm
        )


@dataclass(frozen=True)
class InventoryResult:
    """Per tag entry: whether and when it was read, and the power (dB above sensitivity) at the read.
    Per pass: reader time spent and slot counts by outcome."""

    read: np.ndarray
    read_time_s: np.ndarray
    read_margin_db: np.ndarray
    busy_s: np.ndarray
    empty_slots: np.ndarray
    single_slots: np.ndarray
    collision_slots: np.ndarray


def pick_slots(q: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each tag's slot counter, uniform in [0, 2^Q) for its own Q."""
    return np.floor(rng.random(q.shape) * np.exp2(q)).astype(np.int64)


def run_inventory(
    pass_of_tag: np.ndarray,
    margin_db: np.ndarray,
    zone_time_s: np.ndarray,
    link: LinkProfile,
    fading_sigma_db: float,
    dwell_s: float,
    q_initial: int,
    q_step: float,
    rng: np.random.Generator,
    window_s: tuple[np.ndarray, np.ndarray] | None = None,
) -> InventoryResult:
    """Gen2 inventory of every reader session at once. `pass_of_tag` (T,) groups tag entries into
    sessions 0..P-1; `zone_time_s` (P,) is how long each session runs. `window_s` (enter, leave),
    times since the session's start, is when each tag is in the field (the whole session if
    None); a tag answers the antenna dwells whose middle falls in its window."""
    n_tags, n_pass = pass_of_tag.size, zone_time_s.size
    read = np.zeros(n_tags, dtype=bool)
    read_time = np.full(n_tags, np.nan)
    read_margin = np.full(n_tags, np.nan)
    busy = np.zeros(n_pass)
    counts = np.zeros((3, n_pass), dtype=np.int64)  # empty, single, collision
    slot_time = np.array([link.empty_slot_s, link.success_slot_s, link.collision_slot_s])
    n_dwells = int(np.ceil(zone_time_s.max(initial=0.0) / dwell_s)) if n_pass else 0

    for dwell in range(n_dwells):
        start = dwell * dwell_s
        end = np.minimum(start + dwell_s, zone_time_s)
        # the channel of this antenna dwell: who powers up
        fade = fading_sigma_db * rng.standard_normal(n_tags)
        present = end[pass_of_tag] > start
        if window_s is not None:
            middle = start + 0.5 * dwell_s
            present &= (window_s[0] <= middle) & (middle < window_s[1])
        live = np.flatnonzero(~read & (margin_db + fade >= 0.0) & present)
        if live.size == 0:
            continue
        clock = np.full(n_pass, start)
        q_float = np.full(n_pass, float(q_initial))
        q = np.full(n_pass, q_initial, dtype=np.int64)
        slots_left = np.exp2(q).astype(np.int64)
        clock += link.query_extra_s
        counter = pick_slots(q[pass_of_tag[live]], rng)
        while live.size:
            owner = pass_of_tag[live]
            replying = counter == 0
            repliers = np.bincount(owner[replying], minlength=n_pass)
            running = np.zeros(n_pass, dtype=bool)
            running[owner] = True
            outcome = np.where(repliers == 0, 0, np.where(repliers == 1, 1, 2))
            duration = np.where(running, slot_time[outcome], 0.0)
            fits = clock + duration <= end
            active = running & fits
            np.add.at(counts, (outcome[active], np.flatnonzero(active)), 1)
            won = replying & (outcome[owner] == 1) & fits[owner]
            done = live[won]
            read[done] = True
            read_time[done] = clock[owner[won]] + duration[owner[won]]
            read_margin[done] = margin_db[done] + fade[done]
            clock = np.where(active, clock + duration, clock)
            # Q algorithm: empty slot lowers Qfp by C, a collision raises it
            q_float = np.where(active & (outcome == 0), np.maximum(0.0, q_float - q_step), q_float)
            q_float = np.where(active & (outcome == 2), np.minimum(_Q_MAX, q_float + q_step), q_float)
            keep = ~won & fits[owner]
            live, counter, owner = live[keep], counter[keep], owner[keep]
            counter = np.where(replying[keep], _PARKED, counter - 1)
            slots_left = slots_left - active
            new_q = np.round(q_float).astype(np.int64)
            adjust = active & (new_q != q)
            requery = active & ~adjust & ((slots_left <= 0) | ~_any_pending(owner, counter, n_pass))
            restart = adjust | requery
            clock = (
                clock
                + np.where(adjust, link.adjust_extra_s, 0.0)
                + np.where(requery, link.query_extra_s, 0.0)
            )
            q = np.where(restart, new_q, q)
            slots_left = np.where(restart, np.exp2(q).astype(np.int64), slots_left)
            again = restart[owner]
            counter[again] = pick_slots(q[owner[again]], rng)
            stalled = ~fits[owner]
            live, counter = live[~stalled], counter[~stalled]
        busy += np.maximum(np.minimum(clock, end) - start, 0.0) * (clock > start)
    return InventoryResult(read, read_time, read_margin, busy, counts[0], counts[1], counts[2])


def _any_pending(owner: np.ndarray, counter: np.ndarray, n_pass: int) -> np.ndarray:
    """Passes that still have a tag waiting for a slot in the current round."""
    pending = np.zeros(n_pass, dtype=bool)
    pending[owner[counter != _PARKED]] = True
    return pending
