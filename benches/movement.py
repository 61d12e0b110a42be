#!/usr/bin/env python3
"""A movement file (SPEC §11) for the 200 depots of ../shared/bench/gen.py.

usage: python3 benches/movement.py > /tmp/movement.toml

Each depot stands near the middle of its host country (a deterministic
offset of up to about a degree, from its code), hands over 60–240 items a
day, and the destination is the assembly area east of fixtures/movement.toml.
The Norwegian depots go by a known sea-and-rail route; every other leg is
estimated. For benchmarks, not a map of anything real.
"""
import hashlib
import importlib.util
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("gen", os.path.join(here, "..", "..", "shared", "bench", "gen.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)

# Rough middles of the host countries, degrees.
MIDDLE = {"PL": (52.1, 19.4), "RO": (45.9, 24.9), "DE": (51.1, 10.4), "LT": (55.2, 23.9),
          "LV": (56.9, 24.6), "EE": (58.6, 25.0), "SK": (48.7, 19.7), "HU": (47.2, 19.5),
          "BG": (42.7, 25.5), "NO": (61.5, 9.5), "CZ": (49.8, 15.5), "NL": (52.1, 5.3),
          "FR": (46.6, 2.2), "GB": (52.4, -1.5), "FI": (62.0, 25.7)}

depots, _ = gen.catalogue()
out = ["[defaults]", "road_kmh = 40", "winding = 1.3", ""]
for code, _, _ in depots:
    h = hashlib.sha256(code.encode()).digest()
    lat, lon = MIDDLE[code[:2]]
    lat += (h[0] / 255 - 0.5) * 2
    lon += (h[1] / 255 - 0.5) * 2
    rate = 60 + h[2] % 4 * 60
    out += [f"[depot.{code}]", f"at = [{lat:.2f}, {lon:.2f}]", f"issue_per_day = {rate}", ""]
out += ["[destination.AA-EAST]", 'name = "Assembly area east"', "at = [50.11, 22.02]", ""]
for code, _, _ in depots:
    if code.startswith("NO-"):
        out += ["[[route]]", f'from = "{code}"', 'to = "AA-EAST"', "hours = 70", 'by = "sea + rail"', ""]
sys.stdout.write("\n".join(out))
