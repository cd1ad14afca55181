#!/usr/bin/env python3
"""Run the oracle on a fixture's prompt and compare with its golden.json.

  python3 compare_golden.py FIXTURE_DIR [FIXTURE_DIR ...]
Exit status 1 if any check fails (logits rel-L2 > 1e-5, argmax/greedy differ, MTP sglang rel-L2 > 1e-5).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glm45_oracle import make_golden  # noqa: E402


def rel_l2(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def compare(fixture_dir, tol=1e-5):
    with open(os.path.join(fixture_dir, "golden.json")) as f:
        ref = json.load(f)
    greedy_key = [k for k in ref if k.startswith("greedy_")][0]
    n = int(greedy_key.split("_")[1])
    mine = make_golden(fixture_dir, ref["tokens"], n)
    ok = True
    r = rel_l2(mine["logits"], ref["logits"])
    print(f"{fixture_dir}")
    print(f"  logits rel-L2          {r:.3e}  max-abs {np.max(np.abs(np.subtract(mine['logits'], ref['logits']))):.3e}")
    ok &= r <= tol
    same = mine["argmax"] == ref["argmax"]
    print(f"  argmax identical       {same}")
    ok &= same
    same = mine[greedy_key] == ref[greedy_key]
    print(f"  {greedy_key} identical    {same}")
    ok &= same
    m, rm = mine["mtp"], ref["mtp"]
    print(f"  mtp next_token         {m['next_token']} vs {rm['next_token']}")
    ok &= m["next_token"] == rm["next_token"]
    for conv in ("sglang", "vllm"):
        key = "logits_last_" + conv
        if key in rm:
            r = rel_l2(m[key], rm[key])
            print(f"  mtp {conv:6s} rel-L2      {r:.3e}")
            if conv == "sglang":
                ok &= r <= tol
        key = "argmax_all_positions_" + conv
        if key in rm:
            print(f"  mtp {conv:6s} argmax all  {m[key] == rm[key]}")
    print(f"  routing_stats mine     {mine['routing_stats']}")
    print(f"  routing_stats golden   {ref.get('routing_stats')}")
    rs = ref.get("routing_stats", {})
    same = all(mine["routing_stats"].get(k) == v for k, v in rs.items())
    print(f"  routing_stats agree    {same}")
    ok &= same
    print(f"  => {'PASS' if ok else 'FAIL'}")
    return ok


if __name__ == "__main__":
    results = [compare(d) for d in sys.argv[1:]]
    sys.exit(0 if all(results) else 1)
