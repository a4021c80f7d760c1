"""Closed-loop safety beyond ten steps (issue 14): run by hand,
``.venv/bin/python bench/closed_loop.py [--quick] [--timeout S]``.

1. The bundled cart-pole tree (specs/cartpole.py, linearised CartPole-v1): the 10-step
   figure by the interval boxes of before (reachable_boxes) and by today's bmc, side by side.
2. The tree and ReLU policies 2x16, 2x32, 2x64 (behaviour cloning of the same black box on
   states of the true dynamics, scikit-learn MLPClassifier, seed 0): bmc for horizons
   10 / 50 / 100 / 200 / 500 and horizon=None (an inductive invariant), verdict and wall
   time each, within --timeout seconds per cell.
2b. The tree on the true (nonlinear) CartPole-v1 step, through its ModelError.
3. The double integrator with its learned controller (specs/double_integrator.py): the same
   horizons and the unbounded attempt.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "specs"))

import numpy as np

import alignspec as al
from alignspec.mdp import bmc


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def cloned(C, hidden: tuple[int, ...], seed: int = 0) -> al.MLPPolicy:
    """A ReLU network imitating the black-box controller on states the true dynamics visit
    under it (DAgger-free behaviour cloning: 300 rollouts of 100 steps)."""
    from sklearn.neural_network import MLPClassifier

    rng = random.Random(seed)
    states, labels = [], []
    for _ in range(300):
        s = C.start_box(rng)
        for _ in range(100):
            a = C.controller(s)
            states.append([float(s[k]) for k in ("x", "x_dot", "theta", "theta_dot")])
            labels.append(a)
            s = C.true_step(s, a)
            if abs(s["theta"]) >= C.ANGLE or abs(s["x"]) >= 2.4:
                break
    model = MLPClassifier(
        hidden_layer_sizes=hidden, activation="relu", random_state=seed, max_iter=600
    ).fit(np.array(states), labels)
    return al.MLPPolicy.from_sklearn(model, C.space, C.push)


def cell(system, policy, horizon, timeout: float) -> str:
    budget = al.Budget(rlimit=None, timeout=timeout)
    t, f = timed(lambda: bmc(system, horizon=horizon, policy=policy, budget=budget))
    return f"{t:7.2f}s {str(f.verdict)[:8]:<8} {f.method or '':<9}"


def row(name, system, policy, horizons, timeout):
    cells = [cell(system, policy, h, timeout) for h in horizons]
    print(f"{name:<12}" + "".join(f"{c:>28}" for c in cells), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="horizons 10 and 50 only")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per cell")
    args = parser.parse_args()
    import cartpole as C
    import double_integrator as D

    from alignspec.mdp._reach import reachable_boxes
    from alignspec.mdp._trajectory import _within

    print("1. cart-pole tree, 10 steps: interval boxes (before) vs today's bmc")
    budget = al.Budget(rlimit=None, timeout=60)
    t_box, boxes = timed(lambda: reachable_boxes(C.linear_cartpole, 10, budget.start(), C.tree))
    inside = boxes is not None and all(_within(C.space, b) for b in boxes)
    print(f"   interval boxes: {t_box:.2f} s ({'PROVED' if inside else 'UNKNOWN'})")
    t_new, f = timed(lambda: bmc(C.linear_cartpole, horizon=10, policy=C.tree))
    print(f"   bmc today:      {t_new:.2f} s ({f.verdict}, {f.method})")

    horizons = [10, 50] if args.quick else [10, 50, 100, 200, 500]
    cols = [*horizons, None]
    header = "".join(f"{'h=' + str(h) if h else 'unbounded':>28}" for h in cols)
    print(f"\n2. cart-pole (linearised), per-cell timeout {args.timeout:.0f} s")
    print(f"{'policy':<12}" + header)
    row("tree d4", C.linear_cartpole, C.tree, cols, args.timeout)
    for hidden in [(16, 16), (32, 32), (64, 64)]:
        net = cloned(C, hidden)
        name = f"relu {hidden[0]}x2"
        row(name, C.linear_cartpole, net, cols, args.timeout)
    print("\n2b. the tree on the true CartPole-v1 step (ModelError of the linearisation)")
    print(f"   error bounds per step: {C.true_dynamics.bounds} in {C.true_dynamics.region}")
    for h in [5, 8, 10]:
        budget = al.Budget(rlimit=None, timeout=args.timeout)
        t, f = timed(
            lambda: bmc(
                C.linear_cartpole, horizon=h, policy=C.tree, error=C.true_dynamics, budget=budget
            )
        )
        print(f"   h={h:<3} {t:7.2f} s  {f.verdict}")
    print(f"\n3. double integrator (Reach-SDP), per-cell timeout {args.timeout:.0f} s")
    print(f"{'policy':<12}" + header)
    row("relu 10-5", D.double_integrator, D.controller, cols, args.timeout)
    row("weak brakes", D.double_integrator, D.saturated(Fraction(1, 4)), cols, args.timeout)


if __name__ == "__main__":
    main()
