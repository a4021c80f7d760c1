"""Closed-loop safety of ReLU policies on the bundled cart-pole (specs/cartpole.py).

Behaviour-cloned scikit-learn MLPClassifiers (2x16, 2x32, 2x64 hidden ReLUs, seeded, a few
seconds of training) imitate the bundled controller; ``mdp.bmc`` then asks whether, from
every start state in [-0.05, 0.05]^4, the closed loop stays inside the declared bounds for
H steps.

    python bench/neural.py [--horizons 10,20,50,100] [--timeout 300] [--sizes 16,32,64]

Prints, per network and horizon: the verdict, seconds and the start boxes it needed.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def cartpole():  # the bundled spec file, loaded as a module
    spec = importlib.util.spec_from_file_location("cartpole_spec", ROOT / "specs" / "cartpole.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clone(cp, hidden: int, seed: int = 0, n: int = 20000):
    """A 2 x ``hidden`` ReLU classifier trained on the controller's choices."""
    from sklearn.neural_network import MLPClassifier

    import alignspec as al

    rng = np.random.default_rng(seed)
    lows = np.array([-2.4, -3, -float(cp.ANGLE), -3])
    x = rng.uniform(lows, -lows, size=(n, 4))
    x[: n // 2] *= 0.1  # half the data near the upright pose, where the loop lives
    y = np.where(x[:, 2] + 0.25 * x[:, 3] > 0, "right", "left")
    started = time.perf_counter()
    model = MLPClassifier((hidden, hidden), random_state=seed, max_iter=400).fit(x, y)
    took = time.perf_counter() - started
    policy = al.MLPPolicy.from_sklearn(model, cp.space, cp.push)
    agree = float(np.mean(model.predict(x) == y))
    return policy, agree, took


def main() -> int:
    import alignspec as al

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizons", default="10,20,50,100")
    parser.add_argument("--sizes", default="16,32,64")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    cp = cartpole()
    horizons = [int(h) for h in args.horizons.split(",")]
    print(
        f"{'policy':>8} {'agree':>7} {'train s':>7} {'H':>4} {'verdict':>8} {'seconds':>8} "
        f"{'boxes':>7}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        policy, agree, took = clone(cp, size)
        for h in horizons:
            started = time.perf_counter()
            f = al.mdp.bmc(
                cp.linear_cartpole,
                horizon=h,
                policy=policy,
                budget=al.Budget(timeout=args.timeout),
            )
            seconds = time.perf_counter() - started
            boxes = int(f.stats.get("start_boxes", 0))
            print(
                f"{'2x' + str(size):>8} {agree:7.4f} {took:7.1f} {h:>4} {f.verdict.value:>8} "
                f"{seconds:8.2f} {boxes:>7}" + (f"  ({f.reason})" if f.reason else ""),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
