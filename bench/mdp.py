"""Timings for the MDP checks (run by hand: .venv/bin/python bench/mdp.py [--quick]).

1. hackable and equivalent on random MDPs with 10, 100 and 1,000 states x 4 actions
   (3 successors each, exact rational probabilities, gamma 9/10; the intended reward is a
   potential-shaped copy of the specified one, so both answers are PROVED: the hardest case).
2. BMC on the boat-race transition system for horizons 5, 10, 20, 40.
3. Closed-loop cart-pole safety (linearised dynamics, extracted trees of depth 1-6) for
   horizons 10, 20, 50, and the one-step model error against gymnasium's CartPole-v1.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "specs"))

import alignspec as al
from alignspec.mdp import bmc, equivalent, hackable


def random_transitions(n: int, rng: random.Random) -> dict:
    """Each (s, a) of n states x 4 actions: 3 random successors with random exact weights."""
    table = {}
    for s in range(n):
        for a in range(4):
            succ = rng.sample(range(n), 3)
            weights = [rng.randint(1, 5) for _ in succ]
            total = sum(weights)
            table[(s, a)] = [(Fraction(w, total), t) for w, t in zip(weights, succ, strict=True)]
    return table


def random_mdp(n: int, seed: int = 0) -> tuple[al.MDP, object, object]:
    rng = random.Random(seed)
    table = random_transitions(n, rng)
    mdp = al.MDP(range(n), range(4), table, 0, gamma=Fraction(9, 10))
    base = {(s, a): Fraction(rng.randint(-5, 5)) for s in range(n) for a in range(4)}
    phi = {s: Fraction(rng.randint(-3, 3)) for s in range(n)}

    def specified(s, a, s2):
        return base[(s, a)]

    def intended(s, a, s2):
        return 2 * base[(s, a)] + Fraction(9, 10) * phi[s2] - phi[s]

    return mdp, specified, intended


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bench_random(sizes: list[int]) -> None:
    print("random MDPs x 4 actions (potential-shaped pair: both checks must prove)")
    print(f"{'states':>7} {'hackable s':>11} {'verdict':>9} {'equivalent s':>13} {'verdict':>9}")
    for n in sizes:
        mdp, spec, intent = random_mdp(n)
        th, h = timed(lambda: hackable(mdp, spec, intent, budget=al.Budget(rlimit=None)))
        te, e = timed(lambda: equivalent(mdp, spec, intent, budget=al.Budget(rlimit=None)))
        print(f"{n:>7} {th:>11.3f} {h.verdict!s:>9} {te:>13.3f} {e.verdict!s:>9}")


def bench_boat(horizons: list[int]) -> None:
    import boat_race as B

    print("boat-race BMC (reach = horizon / 2 checkpoints, progress below 3)")
    for h in horizons:
        t, f = timed(
            lambda: bmc(
                B.race,
                B.enters_checkpoint,
                B.back_and_forth.intended,
                horizon=h,
                reach=h // 2,
                below=3,
            )
        )
        print(f"  horizon {h:>3}: {t:7.3f} s  {f.verdict}")


def bench_cartpole(horizons: list[int], depths: list[int]) -> None:
    import cartpole as C

    print("cart-pole closed loop (start box [-0.05, 0.05]^4, |x| <= 2.4, |theta| <= 0.2094)")
    trees = {}
    for d in depths:
        trees[d] = al.extract(
            al.CallablePolicy(C.space, C.push, C.controller),
            sample=C.start_box,
            step=C.true_step,
            horizon=40,
            max_depth=d,
            iterations=3,
            per_iteration=400,
        ).tree
    print(f"{'depth':>6}" + "".join(f"{'h=' + str(h):>16}" for h in horizons))
    for d in depths:
        row = []
        for h in horizons:
            t, f = timed(
                lambda: bmc(
                    C.linear_cartpole,
                    horizon=h,
                    policy=trees[d],
                    budget=al.Budget(rlimit=None, timeout=60),
                )
            )
            row.append(f"{t:7.2f}s {str(f.verdict)[:8]:>8}")
        print(f"{d:>6}" + "".join(f"{c:>16}" for c in row))
    model_error(C, trees[max(depths)])


def model_error(C, tree) -> None:
    """One-step error of the linearised model against gymnasium on the states the closed
    loop visits (100 rollouts of 50 steps from the start box)."""
    try:
        import gymnasium
    except ImportError:
        print("model error: gymnasium is not installed (pip install gymnasium)")
        return
    env = gymnasium.make("CartPole-v1").unwrapped
    rng = random.Random(0)
    worst = 0.0
    steps = 0
    for _ in range(100):
        state = C.start_box(rng)
        for _ in range(50):
            action = tree.act(state)
            env.state = tuple(float(state[k]) for k in ("x", "x_dot", "theta", "theta_dot"))
            obs, *_ = env.step(1 if action == "right" else 0)
            linear = {
                k: al.symbolic.evaluate.value_of(
                    e, C.linear_cartpole.domain.variables, {**state, "action": action}
                )
                for k, e in C.linear_cartpole.update.items()
            }
            worst = max(
                worst,
                max(
                    abs(float(linear[k]) - float(o))
                    for k, o in zip(("x", "x_dot", "theta", "theta_dot"), obs, strict=True)
                ),
            )
            steps += 1
            state = {
                k: Fraction(float(o))
                for k, o in zip(("x", "x_dot", "theta", "theta_dot"), obs, strict=True)
            }
            if abs(state["theta"]) > 0.2 or abs(state["x"]) > 2.4:
                break
    print(f"model error per step vs gymnasium CartPole-v1: max {worst:.2e} over {steps} steps")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    args = parser.parse_args()
    bench_random([10, 100] if args.quick else [10, 100, 1000])
    bench_boat([5, 10] if args.quick else [5, 10, 20, 40])
    bench_cartpole(
        [10] if args.quick else [10, 20, 50], [1, 4] if args.quick else [1, 2, 3, 4, 5, 6]
    )


if __name__ == "__main__":
    main()
