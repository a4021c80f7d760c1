"""Extraction from rollouts in a real gymnasium environment, and the runtime shield."""

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import alignspec as al

gym = pytest.importorskip("gymnasium")
pytest.importorskip("sklearn")
from alignspec.integrations.gym import Intervention, Shield  # noqa: E402
from alignspec.integrations.observations import observation_state  # noqa: E402

SPACE = al.Space(
    x=al.Real(-2.4, 2.4),
    x_dot=al.Real(-3, 3),
    theta=al.Real(-0.2094, 0.2094),
    theta_dot=al.Real(-3, 3),
)
PUSH = al.Actions("left", "right")
V = SPACE.vars
RIGHT = al.eq(PUSH.symbol, "right")
LEAN = al.Spec(
    space=SPACE,
    actions=PUSH,
    intent=al.Intent(0, require=[sp.Implies(V.theta > Fraction(1, 20), RIGHT)]),
    reward=al.Reward(0),
)


def falls_right(obs):
    """Pushes left whatever happens: the pole falls to the right."""
    return 0


def balance(state):
    return "right" if state["theta"] + state["theta_dot"] / 4 > 0 else "left"


def test_observations_read_as_exact_states():
    obs = np.array([0.1, -0.5, 0.02, 1.0], dtype=np.float32)
    state = observation_state(SPACE, obs)
    assert state["x"] == Fraction(float(np.float32(0.1))) and state["x_dot"] == Fraction(-1, 2)
    with pytest.raises(al.LabelCountError, match="observation has 3 entries"):
        observation_state(SPACE, obs[:3])
    mixed = al.Space(cell=al.Int(0, 15), hot=al.Bool(), mode=al.Choice("a", "b"))
    assert observation_state(mixed, {"cell": 3, "flags": [1, 1]}) == {
        "cell": 3,
        "hot": True,
        "mode": "b",
    }


def test_extraction_from_rollouts_in_the_real_environment():
    env = gym.make("CartPole-v1")
    teacher = al.CallablePolicy(SPACE, PUSH, balance)
    tree = al.extract(teacher, env=env, max_depth=3, iterations=2, per_iteration=300, holdout=200)
    again = al.extract(teacher, env=env, max_depth=3, iterations=2, per_iteration=300, holdout=200)
    assert tree.root == again.root and tree.fidelity == again.fidelity  # seeded: reproducible
    assert tree.fidelity["train"] >= Fraction(9, 10)
    # the training states are those the environment produced (float32 observations)
    rows = np.asarray(tree.model.tree_.threshold)
    assert rows.size > 1
    with pytest.raises(al.OptionError, match="one source of states"):
        al.extract(teacher, env=env, step=lambda s, a: s)


def test_rollouts_stop_at_the_edge_of_the_space():
    env = gym.make("CartPole-v1")
    narrow = al.Space(
        x=al.Real(-2.4, 2.4),
        x_dot=al.Real(-3, 3),
        theta=al.Real(-0.05, 0.05),  # the pole leaves this band quickly
        theta_dot=al.Real(-3, 3),
    )
    lazy = al.CallablePolicy(narrow, PUSH, lambda s: "left")
    tree = al.extract(lazy, env=env, max_depth=2, iterations=1, per_iteration=200, holdout=50)
    assert tree.cut_episodes > 0
    outside = al.Space(
        x=al.Real(5, 6), x_dot=al.Real(-3, 3), theta=al.Real(-1, 1), theta_dot=al.Real(-3, 3)
    )
    with pytest.raises(al.SpecError, match="started outside the Space"):
        al.extract(al.CallablePolicy(outside, PUSH, lambda s: "left"), env=env, per_iteration=10)


def run(shield, proposer, seeds=range(3), steps=200):
    taken = []
    for seed in seeds:
        obs, _ = shield.reset(seed=seed)
        for _ in range(steps):
            state = observation_state(SPACE, obs)
            obs, _, terminated, truncated, info = shield.step(proposer(obs))
            event = info["shield"]
            taken.append((state, event))
            if terminated or truncated:
                break
    return taken


def test_shield_replaces_breaking_actions_and_logs_them():
    shield = Shield(gym.make("CartPole-v1"), LEAN, PUSH)
    taken = run(shield, falls_right)
    events = [e for _, e in taken if e is not None]
    assert events and events == shield.interventions
    for state, event in taken:
        leaning = state["theta"] > Fraction(1, 20)
        assert (event is not None) == leaning  # only a breaking proposal is touched
        if event is not None:
            assert event.proposed == "left" and event.taken == "right"
            assert event.state == state and event.broken.startswith("require")
    first = events[0]
    assert isinstance(first, Intervention) and first.episode == 1
    # unshielded, always pushing left drops the pole sooner than shielded
    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    plain = next(t for t in range(500) if any(env.step(0)[2:4])) + 1
    shielded = len(run(Shield(gym.make("CartPole-v1"), LEAN, PUSH), falls_right, seeds=[0]))
    assert plain < shielded


def test_shield_lookahead_and_no_compliant_action():
    v = V
    tau = Fraction(1, 50)
    drift = al.TransitionSystem.deterministic(
        SPACE,
        PUSH,
        True,
        {
            "x": v.x + tau * v.x_dot,
            "x_dot": v.x_dot + tau * PUSH.per_action({"left": -10, "right": 10}),
            "theta": v.theta + tau * v.theta_dot,
            "theta_dot": v.theta_dot,
        },
    )
    cart_stays = sp.Abs(v.x_dot) <= 1  # the next velocity must stay within 1
    shield = Shield(
        gym.make("CartPole-v1"), space=SPACE, actions=PUSH, system=drift, safe=cart_stays
    )
    state = {"x": 0, "x_dot": Fraction(9, 10), "theta": 0, "theta_dot": 0}
    assert shield.allowed(state, "right") == "safe after one step"  # 0.9 + 0.2 > 1
    assert shield.allowed(state, "left") is None
    fast = {**state, "x_dot": Fraction(5, 2)}  # both actions leave |x_dot| <= 1
    with pytest.warns(UserWarning, match="no action meets"):
        event = shield._decide(fast, "right")
    assert event.taken is None and shield.interventions[-1] is event
    strict = Shield(
        gym.make("CartPole-v1"),
        space=SPACE,
        actions=PUSH,
        system=drift,
        safe=cart_stays,
        strict=True,
    )
    with pytest.raises(al.SpecError, match="no action meets"):
        strict._decide(fast, "right")
    with pytest.raises(al.OptionError, match="both system= and safe="):
        Shield(gym.make("CartPole-v1"), space=SPACE, actions=PUSH, system=drift)
    with pytest.raises(al.OptionError, match="actions="):
        Shield(gym.make("CartPole-v1"), LEAN)


def test_shield_carries_the_policy_check_verdict():
    fine = al.TreePolicy(
        SPACE, PUSH, al.Split("theta", Fraction(1, 20), al.Leaf("left"), al.Leaf("right"))
    )
    shield = Shield(gym.make("CartPole-v1"), LEAN, PUSH, policy=fine)
    assert shield.verdict.verdict is al.Verdict.PROVED
    shield = Shield(
        gym.make("CartPole-v1"), LEAN, PUSH, policy=al.TreePolicy(SPACE, PUSH, al.Leaf("left"))
    )
    assert shield.verdict.verdict is al.Verdict.VIOLATED


@given(
    st.fractions(-Fraction(2094, 10000), Fraction(2094, 10000)),
    st.fractions(-3, 3),
    st.sampled_from(["left", "right"]),
)
def test_shield_decisions_equal_direct_evaluation(theta, theta_dot, proposed):
    rule = sp.Implies((V.theta > Fraction(1, 20)) & (V.theta_dot > 0), RIGHT)
    shield = Shield(gym.make("CartPole-v1"), space=SPACE, actions=PUSH, require=[rule])
    state = {"x": 0, "x_dot": 0, "theta": theta, "theta_dot": theta_dot}
    breaks = theta > Fraction(1, 20) and theta_dot > 0 and proposed == "left"
    event = shield._decide(state, proposed)
    assert (event is not None) == breaks
    if breaks:
        assert event.taken == "right"


def test_cartpole_example_runs():
    import subprocess

    script = Path(__file__).resolve().parent.parent / "examples" / "cartpole.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "trained: 500-step episodes [500, 500, 500, 500, 500]" in out.stdout
    assert "black box: VIOLATED" in out.stdout and "tree, 10 steps: PROVED" in out.stdout
    assert "learned: episode lengths [500" in out.stdout and "0 interventions" in out.stdout
