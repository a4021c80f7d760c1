"""Optional: alignspec's exact optimum against the Storm model checker (stormpy) on the
models of bench/mdp_scale.py.  stormpy is not a dependency; install it in its own venv:

    python3 -m venv /tmp/stormvenv && /tmp/stormvenv/bin/pip install stormpy
    .venv/bin/python bench/storm_compare.py --storm-python /tmp/stormvenv/bin/python \\
        [--random 1000 10000] [--grid 25 100] [--timeout 300]

Run with the project's venv: it builds each model, times ``al.mdp.optimal(m, specified)``
(exact rational policy iteration) for the optimal specified value from the initial state,
exports the model with its expected specified reward per (state, action) to Storm's
explicit DRN format (probabilities as exact fractions), and runs itself under
``--storm-python`` to time Storm on the file:

  float  ``Rmax=? [ Cdiscount=9/10 ]`` (random, gamma 9/10) or ``Rmax=? [ C ]`` (grid,
         episodic), double precision, value iteration (MinMaxMethod.VALUE_ITERATION,
         Storm's default precision 1e-6, not sound);
  exact  the same over rationals (Storm's exact environment).  Storm does not solve
         discounted objectives exactly, so for gamma < 1 the exact run is on the equivalent
         total-reward model: each step continues with probability gamma and otherwise moves
         to an absorbing sink (expected total reward = expected discounted reward).

Build times (DRN parsing) are reported apart from the check times; ratios are
alignspec time / Storm check time.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve()

# --------------------------------------------------------------------------------------
# Storm side (runs under the stormpy venv; needs nothing from alignspec)


def storm_main(mode: str, path: str, kind: str) -> None:
    """Build the DRN model and check it, in double precision (value iteration) or exactly."""
    import stormpy
    from stormpy.environments import MinMaxMethod

    exact = mode == "exact"
    vt = stormpy.Rational if exact else float
    formula = "Rmax=? [ Cdiscount=9/10 ]" if kind == "discount" else "Rmax=? [ C ]"
    t0 = time.perf_counter()
    model = stormpy.build_model_from_drn[vt](path)
    build_s = time.perf_counter() - t0
    env = None
    if not exact:
        env = stormpy.Environment()
        env.solver().min_max().method = MinMaxMethod.VALUE_ITERATION
    prop = stormpy.parse_properties(formula)[0]
    t0 = time.perf_counter()
    res = stormpy.model_checking(model, prop, only_initial_states=True, environment=env)
    check_s = time.perf_counter() - t0
    value = res.get_value(model.initial_states[0])
    out = {"build_s": build_s, "check_s": check_s, "value": str(value) if exact else float(value)}
    print("RESULT " + json.dumps(out), flush=True)


# --------------------------------------------------------------------------------------
# alignspec side


def expected_reward(mdp, reward) -> list[list[Fraction]]:
    """r(s, a) = sum over successors of P(s2 | s, a) reward(s, a, s2), exactly."""
    r = []
    for i, s in enumerate(mdp.states):
        row = []
        for a, act in enumerate(mdp.actions):
            if i in mdp.terminal:
                row.append(Fraction(0))
            elif callable(reward):
                row.append(
                    sum(
                        (p * Fraction(reward(s, act, mdp.states[j])) for j, p in mdp.P[i][a]),
                        Fraction(0),
                    )
                )
            else:
                row.append(Fraction(reward[i][a]))
        r.append(row)
    return r


def write_drn(mdp, r: list[list[Fraction]], path: Path, *, sink: bool) -> Fraction:
    """DRN with one action reward model; with ``sink`` each step goes on with probability
    gamma and otherwise to an extra absorbing state (discounted -> total reward).  Storm's
    total-reward solver rejects negative rewards, so the sink model's rewards are shifted
    up by c >= 0; every policy then earns c / (1 - gamma) more.  Returns that offset."""
    n, m = mdp.n_states, mdp.n_actions
    shift = Fraction(0)
    if sink:
        if mdp.terminal:
            raise SystemExit("the sink model assumes no terminal states when gamma < 1")
        shift = max(Fraction(0), -min(min(row) for row in r))
        r = [[x + shift for x in row] for row in r]
    g = mdp.gamma
    init = dict(mdp.init)
    if len(init) != 1:
        raise SystemExit("storm_compare needs a single initial state")
    (s0,) = init
    lines = [
        "// alignspec bench/storm_compare.py",
        "@type: MDP",
        "@parameters",
        "",
        "@reward_models",
        "spec",
        "@nr_states",
        str(n + (1 if sink else 0)),
        "@nr_choices",
        str(n * m + (1 if sink else 0)),
        "@model",
    ]
    for i in range(n):
        lines.append(f"state {i}" + (" init" if i == s0 else ""))
        for a in range(m):
            lines.append(f"\taction {a} [{r[i][a]}]")
            if sink and i not in mdp.terminal:
                for j, p in mdp.P[i][a]:
                    lines.append(f"\t\t{j} : {g * p}")
                lines.append(f"\t\t{n} : {1 - g}")
            else:
                for j, p in mdp.P[i][a]:
                    lines.append(f"\t\t{j} : {p}")
    if sink:
        lines += [f"state {n}", "\taction 0 [0]", f"\t\t{n} : 1"]
    path.write_text("\n".join(lines) + "\n")
    return shift / (1 - g) if sink else Fraction(0)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout


def compare(label: str, mdp, spec, storm_python: str, timeout: float, tmp: Path) -> None:
    import alignspec as al

    discounted = mdp.gamma < 1
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(timeout))
    try:
        from alignspec.mdp.model import expected_rewards

        # like Storm, which reads expected rewards per (state, action) from the DRN file:
        # the table is made first (timed apart), the optimum is timed from it
        t0 = time.perf_counter()
        table = expected_rewards(mdp, spec)
        t_table = time.perf_counter() - t0
        t0 = time.perf_counter()
        _, v = al.mdp.optimal(mdp, table)
        t_al = time.perf_counter() - t0
        j_al = sum((p * v[s] for s, p in mdp.init), Fraction(0))
    except Timeout:
        t_al, j_al = None, None
    finally:
        signal.alarm(0)
    # the certified optimum: float policy iteration + value intervals checked exactly
    # (discounted models; what regret and hackable use beyond 500 states)
    cert = None
    if discounted:
        from alignspec.mdp.intervals import ExactReward, float_optimal, policy_bounds
        from alignspec.mdp.model import expected_rewards

        t0 = time.perf_counter()
        reward = ExactReward.of(expected_rewards(mdp, spec))
        choice, v_float = float_optimal(mdp, reward.floats)
        bounds = policy_bounds(mdp, reward, choice, v_float, optimum=True)
        t_cert = time.perf_counter() - t0
        if bounds is not None:
            cert = (t_cert, *bounds.start(mdp))
    r = expected_reward(mdp, spec)
    drn = tmp / f"{label}.drn"
    write_drn(mdp, r, drn, sink=False)
    sink, offset = None, Fraction(0)
    if discounted:
        sink = tmp / f"{label}-sink.drn"
        offset = write_drn(mdp, r, sink, sink=True)
    al_s = (
        f"{t_al:.3f} s (+ {t_table:.3f} s for the expected-reward table)"
        if t_al is not None
        else f"> {timeout:g} s"
    )
    print(
        f"{label} ({mdp.n_states} states): alignspec optimal (exact) {al_s}"
        + (f", J* = {float(j_al):.10g}" if j_al is not None else ""),
        flush=True,
    )
    if cert is not None:
        t_cert, lo, hi = cert
        print(
            f"{label}: alignspec certified optimum (value intervals) {t_cert:.3f} s, "
            f"J* in [{float(lo):.12g}, {float(hi):.12g}] (width {float(hi - lo):.1e})",
            flush=True,
        )
    runs = [("float", "float VI", drn, "discount" if discounted else "total")]
    runs.append(("exact", "exact (sink)" if discounted else "exact", sink or drn, "total"))
    for mode, name, path, kind in runs:
        cmd = [storm_python, str(HERE), "--storm", mode, str(path), kind]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"  storm {name:<13}: > {timeout:g} s", flush=True)
            continue
        res = next(
            (json.loads(x[7:]) for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None
        )
        if res is None:
            tail = (proc.stderr.strip().splitlines() or ["?"])[-1][:120]
            print(f"  storm {name:<13}: failed (rc={proc.returncode}): {tail}", flush=True)
            continue
        value = res["value"] if mode == "float" else Fraction(res["value"]) - offset
        line = (
            f"  storm {name:<13}: build {res['build_s']:.3f} s, check {res['check_s']:.4f} s, "
            f"J* = {float(value):.10g}"
        )
        if t_al is not None:
            line += f", alignspec exact/storm {t_al / res['check_s']:.3g}x"
        if cert is not None:
            line += f", alignspec certified/storm {cert[0] / res['check_s']:.3g}x"
            if mode == "exact":
                line += f", inside the certified interval: {cert[1] <= value <= cert[2]}"
        if j_al is not None:
            line += (
                f", |diff| = {abs(value - float(j_al)):.2e}"
                if mode == "float"
                else f", equal to alignspec's: {value == j_al}"
            )
        print(line, flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--storm-python", default="/tmp/stormvenv/bin/python")
    p.add_argument("--random", type=int, nargs="*", default=[1000, 10000, 100000])
    p.add_argument("--grid", type=int, nargs="*", default=[12, 100, 1111])
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--storm", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    sys.set_int_max_str_digits(0)  # exact values can have thousands of digits
    if args.storm:
        storm_main(*args.storm)
        return
    sys.path.insert(0, str(HERE.parent))
    import mdp_scale

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for n in args.random:
            mdp, spec, _ = mdp_scale.random_sparse(n)
            compare(f"random-{n}", mdp, spec, args.storm_python, args.timeout, tmp)
        for h in args.grid:
            mdp, spec, _ = mdp_scale.gridworld(h)
            compare(f"grid-H{h}", mdp, spec, args.storm_python, args.timeout, tmp)


if __name__ == "__main__":
    main()
