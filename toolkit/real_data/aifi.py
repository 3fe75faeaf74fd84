"""The AiFi Nanostore (AutoCheckout competition, CPS-IoT Week 2020): its fixtures and labelled events.

store_meta/{Gondolas,Shelves,Plates}.json give the real gondolas, shelf levels and 4-inch load
plates; ground_truth/v14.json the hand-labelled pick and put-back events of the competition's test
cases, each with the product(s) moved (UPC, name, price, unit weight). Source: AutoCheckout-CMU/
AutoCheckout; AiFi's public competition data, CC BY 4.0, doi 10.5281/zenodo.4300738.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FILES = (
    "store_meta/Gondolas.json",
    "store_meta/Shelves.json",
    "store_meta/Plates.json",
    "ground_truth/v14.json",
)


@dataclass(frozen=True)
class AifiStore:
    """The store as tables.

    gondolas: id, x_m, y_m (origin corner on the floor), length_m, rotation_rad.
    shelves: gondola, shelf (level 1 = lowest), height_m, length_m; one row per shelf level.
    plates: gondola, shelf, plate, offset_m (plate centre along its shelf), width_m.
    products: index upc; name, price, weight_g (unit weight).
    events: case, event, shopper, time, gondola, shelf, first_plate, n_plates, putback, units
        (units moved), n_products (distinct UPCs moved), upcs (those UPCs).
    """

    gondolas: pd.DataFrame
    shelves: pd.DataFrame
    plates: pd.DataFrame
    products: pd.DataFrame
    events: pd.DataFrame


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{path}: missing (the AiFi Nanostore data)") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not readable JSON ({err})") from err


def _shelf_key(node: dict[str, Any]) -> tuple[int, int]:
    return int(node["gondola_id"]["id"]), int(node["shelf_index"])


def read_aifi(folder: Path) -> AifiStore:
    """Read the store and its events from an aifi_nanostore folder; one line names a bad file."""
    folder = Path(folder)
    path = folder / FILES[0]
    try:
        gondolas = pd.DataFrame(
            {
                "id": int(g["id"]["id"]),
                "x_m": g["coordinates"]["transform"]["translation"]["x"],
                "y_m": g["coordinates"]["transform"]["translation"]["y"],
                "length_m": g["coordinates"]["dim_x"],
                "rotation_rad": g["coordinates"]["transform"]["rotation"]["z"],
            }
            for g in _load(path)["gondolas"]
        )
        path = folder / FILES[1]
        shelves = pd.DataFrame(
            {
                "gondola": _shelf_key(s["id"])[0],
                "shelf": _shelf_key(s["id"])[1],
                "height_m": s["coordinates"]["transform"]["translation"]["z"],
                "length_m": s["coordinates"]["dim_x"],
            }
            for s in _load(path)["shelves"]
        )
        path = folder / FILES[2]
        plates = pd.DataFrame(
            {
                "gondola": _shelf_key(p["id"]["shelf_id"])[0],
                "shelf": _shelf_key(p["id"]["shelf_id"])[1],
                "plate": int(p["id"]["plate_index"]),
                "offset_m": p["coordinates"]["transform"]["translation"]["x"] + p["coordinates"]["dim_x"] / 2,
                "width_m": p["coordinates"]["dim_x"],
            }
            for p in _load(path)["plates"]
        )
        path = folder / FILES[3]
        events, products = _events(_load(path)["lists"])
    except (KeyError, TypeError, IndexError) as err:
        raise ValueError(f"{path}: unexpected layout (no {err})") from err
    return AifiStore(
        gondolas=gondolas.sort_values("id", ignore_index=True),
        shelves=shelves.sort_values(["gondola", "shelf"], ignore_index=True),
        plates=plates.sort_values(["gondola", "shelf", "plate"], ignore_index=True),
        products=products,
        events=events,
    )


def _events(cases: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, products = [], {}
    for case in cases:
        for event in case["events"]:
            seen = event["observation"]
            moved = seen["products"]
            for product in moved:
                products[product["id"]] = (product["name"], float(product["price"]), float(product["weight"]))
            plates = seen["position"]["plates"]
            rows.append(
                {
                    "case": case["dataset"],
                    "event": int(event["eventID"]),
                    "shopper": str(seen["target_id"]),
                    "time": seen["time"],
                    "gondola": int(seen["position"]["gondola"]),
                    "shelf": int(seen["position"]["shelf"]),
                    "first_plate": int(min(plates)) if plates else -1,
                    "n_plates": len(plates),
                    "putback": bool(event["putback"]),
                    "units": len(moved),
                    "n_products": len({p["id"] for p in moved}),
                    "upcs": tuple(sorted({p["id"] for p in moved})),
                }
            )
    table = pd.DataFrame.from_dict(products, orient="index", columns=["name", "price", "weight_g"])
    table.index.name = "upc"
    return pd.DataFrame(rows), table.sort_index()


def implied_planogram(store: AifiStore) -> pd.DataFrame:
    """Where each product lives, as the labels imply: the (gondola, shelf, plate) it was most often
    picked from (put-backs can land elsewhere); a product never picked takes its put-back place.
    Index upc; ties go to the lowest position, so the result does not depend on event order."""
    events = store.events.explode("upcs").dropna(subset="upcs").rename(columns={"upcs": "upc"})
    weight = np.where(events["putback"], 1, 1000)  # any pick outvotes every put-back
    votes = (
        events.assign(votes=weight)
        .groupby(["upc", "gondola", "shelf", "first_plate"], as_index=False)["votes"]
        .sum()
        .sort_values(
            ["upc", "votes", "gondola", "shelf", "first_plate"], ascending=[True, False, True, True, True]
        )
    )
    home = votes.drop_duplicates("upc").set_index("upc")[["gondola", "shelf", "first_plate"]]
    return home.rename(columns={"first_plate": "plate"}).reindex(store.products.index)
