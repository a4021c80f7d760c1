"""gymnasium spaces as Spaces and Actions; toy-text transition tables as exact MDPs."""

import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest

import alignspec as al
from alignspec import mdp

gym = pytest.importorskip("gymnasium")
spaces = gym.spaces
FROZEN_ACTIONS = ["left", "down", "right", "up"]


def frozenlake(**kwargs):
    return gym.make("FrozenLake-v1", **kwargs)


def test_observation_spaces():
    assert al.Space.from_gym(spaces.Discrete(5, start=2)).variables == {"obs": al.Int(2, 6)}
    assert al.Space.from_gym(spaces.Discrete(3), names="cell").names == ("cell",)
    box = spaces.Box(np.array([-1.0, 0.0]), np.array([1.0, 2.5]), dtype=np.float64)
    assert al.Space.from_gym(box, names=["x", "v"]).variables == {
        "x": al.Real(-1, 1),
        "v": al.Real(0, Fraction(5, 2)),
    }
    tenth = spaces.Box(np.float32(0.1), np.float32(1), shape=(1,), dtype=np.float32)
    assert al.Space.from_gym(tenth)["obs"] == al.Real(Fraction(float(np.float32(0.1))), 1)
    ints = spaces.Box(0, 9, shape=(2,), dtype=np.int64)
    assert al.Space.from_gym(ints).variables == {"obs_0": al.Int(0, 9), "obs_1": al.Int(0, 9)}
    md = al.Space.from_gym(spaces.MultiDiscrete([3, 4]))
    assert md.variables == {"obs_0": al.Int(0, 2), "obs_1": al.Int(0, 3)}
    assert al.Space.from_gym(spaces.MultiBinary(2)).variables == {
        "obs_0": al.Bool(),
        "obs_1": al.Bool(),
    }
    d = spaces.Dict({"pos": spaces.Discrete(4), "vel": spaces.Box(-1, 1, shape=(2,))})
    assert al.Space.from_gym(d).names == ("pos", "vel_0", "vel_1")
    assert al.Space.from_gym(d, names={"vel": ["vx", "vy"]}).names == ("pos", "vx", "vy")


def test_observation_space_errors():
    with pytest.raises(al.BoundsError, match="finite bounds"):
        al.Space.from_gym(spaces.Box(-np.inf, np.inf, shape=(2,)))
    with pytest.raises(al.LabelCountError, match="1 name"):
        al.Space.from_gym(spaces.MultiDiscrete([3, 4]), names=["a"])
    with pytest.raises(al.SpaceError, match="not a Python identifier"):
        al.Space.from_gym(spaces.Discrete(3), names="a b")
    with pytest.raises(al.SpaceError, match="unknown Dict key"):
        al.Space.from_gym(spaces.Dict({"a": spaces.Discrete(2)}), names={"b": "c"})
    with pytest.raises(al.SpaceError, match="Discrete, Box"):
        al.Space.from_gym(spaces.Text(5))


def test_action_spaces():
    acts = al.Actions.from_gym(spaces.Discrete(4), FROZEN_ACTIONS)
    assert acts == al.Actions(*FROZEN_ACTIONS)
    assert al.Actions.from_gym(spaces.Discrete(3, start=1)).labels == ("1", "2", "3")
    with pytest.raises(al.LabelCountError, match="3 entries"):
        al.Actions.from_gym(spaces.Discrete(4), ["a", "b", "c"])
    box = al.Actions.from_gym(spaces.Box(-2, 2, shape=(2,)), ["force", "turn"])
    assert isinstance(box, al.Space) and box.variables == {
        "force": al.Real(-2, 2),
        "turn": al.Real(-2, 2),
    }
    md = al.Actions.from_gym(spaces.MultiDiscrete([2, 3]))
    assert md.variables == {"action_0": al.Int(0, 1), "action_1": al.Int(0, 2)}


def test_missing_gymnasium_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    with pytest.raises(al.SpecError, match=r"pip install 'alignspec\[gym\]'"):
        al.Space.from_gym(object())


def float_values(env, gamma=0.9, sweeps=2000):
    """Value iteration on the raw float table (the brute-force reference)."""
    table = env.unwrapped.P
    n = len(table)
    v = np.zeros(n)
    for _ in range(sweeps):
        q = np.array(
            [
                [
                    sum(p * (r + (0 if d else gamma * v[s2])) for p, s2, r, d in table[s][a])
                    for a in sorted(table[s])
                ]
                for s in range(n)
            ]
        )
        v = q.max(axis=1)
    return v


def test_frozenlake_is_rationalised_and_says_so():
    env = frozenlake()
    with pytest.warns(al.RationalisedWarning, match="132 of 152 probabilities rationalised"):
        m = al.MDP.from_gym(env, actions=FROZEN_ACTIONS)
    record = m.rationalisation
    assert (record.changed, record.probabilities, record.merged) == (132, 152, 4)
    assert record.max_change == abs(Fraction(1, 3) - Fraction(0.33333333333333337))
    assert not record.exact and record.renormalised == ()
    assert m.terminal == frozenset(m.index[s] for s in (5, 7, 11, 12, 15))  # holes, goal
    assert m.P[0][0] == [(0, Fraction(2, 3)), (4, Fraction(1, 3))]  # left at the corner
    for row in m.P:  # every row sums to 1 exactly
        for successors in row:
            assert sum(p for _, p in successors) == 1
    # every exact probability within the tolerance of the table's (summed) float
    table = env.unwrapped.P
    for s in range(16):
        if s in (5, 7, 11, 12, 15):
            continue
        for a in range(4):
            floats = {}
            for p, s2, _, _ in table[s][a]:
                floats[s2] = floats.get(s2, 0.0) + p
            assert {j: float(p) for j, p in m.P[s][a]} == pytest.approx(floats, abs=1e-9)
    assert m.reward[14, 2, 15] == 1 and m.reward[14, 2, 14] == 0
    assert m.init == [(0, Fraction(1))]
    # differential: exact optimal values match float value iteration on the raw table
    _, v = mdp.optimal(m, m.reward)
    assert [float(x) for x in v] == pytest.approx(list(float_values(env)), abs=1e-9)


def test_deterministic_frozenlake_is_exact_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = al.MDP.from_gym(frozenlake(is_slippery=False))
    assert m.rationalisation.exact and m.rationalisation.changed == 0
    assert m.actions == (0, 1, 2, 3)
    # the shortest safe path takes 6 steps: the goal pays gamma^5 exactly
    policy, _ = mdp.optimal(m, m.reward)
    assert mdp.evaluate(m, policy, m.reward) == Fraction(9, 10) ** 5


def test_the_raw_table_error_points_to_from_gym():
    table = frozenlake().unwrapped.P
    transitions = {
        (s, a): [(p, s2) for p, s2, _, _ in table[s][a]] for s in table for a in range(4)
    }
    with pytest.raises(al.SpecError, match=r"MDP.from_gym\(env, tolerance=...\)"):
        al.MDP(range(16), range(4), transitions, 0)


def test_cliffwalking_and_taxi():
    cliff = al.MDP.from_gym(gym.make("CliffWalking-v1"))
    assert cliff.rationalisation.exact and cliff.init == [(36, Fraction(1))]
    assert cliff.terminal == frozenset({47})
    assert cliff.reward[36, 1, 36] == -100  # right from the start: the cliff, back to start
    taxi = al.MDP.from_gym(gym.make("Taxi-v4"))
    assert (taxi.n_states, taxi.n_actions) == (500, 6)
    assert sum(p for _, p in taxi.init) == 1 and all(p == Fraction(1, 300) for _, p in taxi.init)
    assert len(taxi.rationalisation.done_conflicts) == 4
    assert taxi.reward.shape == (500, 6, 500)


class FakeEnv:
    """Duck-typed toy-text environment (no gymnasium needed)."""

    def __init__(self, P, isd=(1.0, 0.0)):
        self.P = P
        self.initial_state_distrib = np.array(isd)


def test_renormalisation_is_exact_and_reported():
    env = FakeEnv(
        {
            0: {0: [(0.1, 0, 0.0, False), (0.2, 1, 0.0, False), (0.7, 1, 1.0, False)]},
            1: {0: [(1.0, 1, 0.0, True)]},
        }
    )
    assert sum(Fraction(p) for p in (0.1, 0.2, 0.7)) != 1
    with pytest.warns(al.RationalisedWarning, match="1 row"):
        m = al.MDP.from_gym(env, tolerance=0)
    ((s, a, total),) = m.rationalisation.renormalised
    assert (s, a) == (0, 0) and total == sum(Fraction(p) for p in (0.1, 0.2, 0.7))
    assert sum(p for _, p in m.P[0][0]) == 1
    assert m.P[0][0][0][1] == Fraction(0.1) / total
    # a merged successor with differing rewards: the weighted mean keeps the expectation
    assert m.rationalisation.averaged == 1
    assert m.reward[0, 0, 1] == Fraction(0.7) / (Fraction(0.2) + Fraction(0.7))
    with pytest.warns(al.RationalisedWarning):
        exact = al.MDP.from_gym(env)  # tolerance 1e-9: 1/10, 1/5, 7/10 sum to 1
    assert exact.rationalisation.renormalised == ()
    assert exact.P[0][0] == [(0, Fraction(1, 10)), (1, Fraction(9, 10))]
    assert exact.reward[0, 0, 1] == Fraction(7, 9)


def test_table_errors():
    with pytest.raises(al.SpecError, match="not a distribution"):
        al.MDP.from_gym(FakeEnv({0: {0: [(0.33, 0, 0, False)] * 3}}, isd=(1.0,)))
    with pytest.raises(al.SpecError, match="no transition table"):
        al.MDP.from_gym(object())
    env = FakeEnv({0: {0: [(1.0, 0, 0, False)]}})
    del env.initial_state_distrib
    with pytest.raises(al.SpecError, match="pass init="):
        al.MDP.from_gym(env)
    assert al.MDP.from_gym(env, init=0).init == [(0, Fraction(1))]
    with pytest.raises(al.LabelCountError):
        al.MDP.from_gym(env, init=0, actions=["a", "b"])
    with pytest.raises(al.SpecError, match="tolerance"):
        al.MDP.from_gym(env, init=0, tolerance=-1)


def test_frozenlake_example_runs():
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "examples" / "frozenlake.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "P(. | start, left) = [(0, Fraction(2, 3)), (4, Fraction(1, 3))]" in out.stdout
    assert "regret: PROVED" in out.stdout and "forbidden: VIOLATED" in out.stdout


def test_large_tables_keep_their_reward_sparse(monkeypatch):
    """A table too big for a dense (S, A, S) reward array keeps it as a function over the
    transitions present; the checks give the same answers either way."""
    n = 40
    table = {
        s: {
            0: [
                (0.5, min(s + 1, n - 1), 1.0 if s == n - 2 else 0.0, s == n - 2),
                (0.5, s, 0.0, False),
            ],
            1: [(1.0, max(s - 1, 0), 0.5 if s == 0 else 0.0, False)],
        }
        for s in range(n)
    }
    env = FakeEnv(table, isd=[1.0] + [0.0] * (n - 1))
    dense = al.MDP.from_gym(env)
    assert isinstance(dense.reward, np.ndarray)
    monkeypatch.setattr("alignspec.integrations.gym.DENSE_REWARD", n * 2 * n - 1)
    sparse = al.MDP.from_gym(env)
    assert not isinstance(sparse.reward, np.ndarray) and sparse.reward.shape == (n, 2, n)
    for s, a, s2 in [(n - 2, 0, n - 1), (0, 1, 0), (3, 0, 4), (3, 1, 2)]:
        assert sparse.reward(s, a, s2) == dense.reward[s, a, s2]
    state_reward = np.zeros(n, dtype=object)
    state_reward[5] = 1  # what we meant: get to state 5 and stay
    for model in (dense, sparse):
        assert mdp.regret(model, model.reward, state_reward).verdict is al.Verdict.VIOLATED
    assert (
        mdp.regret(sparse, sparse.reward, state_reward).values
        == mdp.regret(dense, dense.reward, state_reward).values
    )


def test_bundled_frozenlake_spec_is_gymnasiums_table():
    """specs/frozenlake.py writes FrozenLake's rule out (no gymnasium needed); it must be
    exactly the table gymnasium's own environment gives."""
    from alignspec.loader import load

    (bundled,) = [s for s in load(["specs/frozenlake.py"]) if s.name == "frozenlake-slippery"]
    ours = bundled.mdp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", al.RationalisedWarning)
        theirs = al.MDP.from_gym(frozenlake(), actions=FROZEN_ACTIONS)

    def table(m):
        return {
            (m.states[i], m.actions[a]): {m.states[j]: p for j, p in m.P[i][a]}
            for i in range(m.n_states)
            for a in range(m.n_actions)
        }

    assert table(ours) == table(theirs)
    assert {ours.states[i] for i in ours.terminal} == {theirs.states[i] for i in theirs.terminal}
    assert ours.init == [(ours.index[0], 1)] and theirs.init == [(theirs.index[0], 1)]
    for i, s in enumerate(theirs.states):
        if i in theirs.terminal:
            continue  # terminal states earn nothing, whatever the function says
        for a, act in enumerate(theirs.actions):
            for j, _ in theirs.P[i][a]:
                assert bundled.specified(s, act, theirs.states[j]) == theirs.reward[i, a, j]
