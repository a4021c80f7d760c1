"""Integer actions (gymnasium's Discrete, classifiers trained on 0, 1, 2) map to action
labels by position; vector callables get a float row, as stable-baselines3 models want."""

import warnings
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import alignspec as al

SPACE = al.Space(x=al.Real(-3, 3), y=al.Real(-3, 3), n=al.Int(0, 4))
ACTIONS = al.Actions("left", "down", "right")


def data(seed=0, size=400):
    rng = np.random.default_rng(seed)
    xs = np.column_stack(
        [rng.uniform(-3, 3, size), rng.uniform(-3, 3, size), rng.integers(0, 5, size)]
    )
    ys = np.where(xs[:, 0] + 0.3 * xs[:, 1] > 0.1, 0, np.where(xs[:, 2] >= 2, 1, 2))
    return xs, ys


def probes(seed=1, size=300):
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [rng.uniform(-3, 3, size), rng.uniform(-3, 3, size), rng.integers(0, 5, size)]
    )


def test_integer_labels_are_strings_with_a_hint():
    with pytest.raises(al.SpaceError, match=r"Actions.numbered\(n\)"):
        al.Actions(0, 1, 2)
    assert al.Actions.numbered(3).labels == ("0", "1", "2")
    with pytest.raises(al.SpaceError, match="positive integer"):
        al.Actions.numbered(0)


def test_label_by_position():
    assert ACTIONS.label(np.int64(2)) == "right"
    assert ACTIONS.label(np.array([1])) == "down"  # what model.predict returns for one row
    assert ACTIONS.label(0) == "left" and ACTIONS.label("down") == "down"
    with pytest.raises(al.LabelCountError, match="3 labels"):
        ACTIONS.label(3)
    with pytest.raises(al.LabelCountError):
        ACTIONS.label(-1)
    with pytest.raises(al.UnknownLabelError, match="neither a label"):
        ACTIONS.label(True)
    with pytest.raises(al.UnknownLabelError):
        ACTIONS.label("jump")


def test_tree_on_integer_classes_maps_by_position_exactly():
    tree_mod = pytest.importorskip("sklearn.tree")
    xs, ys = data()
    model = tree_mod.DecisionTreeClassifier(max_depth=5, random_state=0).fit(xs, ys)
    with pytest.raises(al.UnknownLabelError, match=r"labels=actions.labels"):
        al.TreePolicy.from_sklearn(model, SPACE, ACTIONS)
    policy = al.TreePolicy.from_sklearn(model, SPACE, ACTIONS, labels=ACTIONS.labels)
    grid = probes()
    want = [ACTIONS.labels[k] for k in model.predict(grid)]
    got = [policy.act(policy.decode_row(row)) for row in grid]
    assert got == want  # differential: exact semantics against scikit-learn
    assert list(policy.act_batch(grid)) == list(model.predict(grid))
    # a permutation: class k acts as labels[k]
    order = ("right", "left", "down")
    permuted = al.TreePolicy.from_sklearn(model, SPACE, ACTIONS, labels=order)
    assert [permuted.act(policy.decode_row(r)) for r in grid] == [
        order[k] for k in model.predict(grid)
    ]
    # numbered actions need no labels: class 2 prints as "2"
    numbered = al.TreePolicy.from_sklearn(model, SPACE, al.Actions.numbered(3))
    assert [numbered.act(policy.decode_row(r)) for r in grid] == [
        str(k) for k in model.predict(grid)
    ]


def test_float_classes_holding_integers():
    tree_mod = pytest.importorskip("sklearn.tree")
    xs, ys = data()
    model = tree_mod.DecisionTreeClassifier(max_depth=4, random_state=0).fit(xs, ys * 1.0)
    assert model.classes_.dtype == np.float64
    with pytest.raises(al.UnknownLabelError, match="its classes are integers"):
        al.TreePolicy.from_sklearn(model, SPACE, ACTIONS)
    policy = al.TreePolicy.from_sklearn(model, SPACE, ACTIONS, labels=ACTIONS.labels)
    grid = probes()
    assert list(policy.act_batch(grid)) == [int(k) for k in model.predict(grid)]
    from alignspec.policy.base import class_labels

    assert class_labels([np.float64(2.0), 0], ACTIONS, ACTIONS.labels, "tree") == ["right", "left"]
    with pytest.raises(al.UnknownLabelError, match=r"the class\(es\) \[0.5\]"):
        class_labels([0.5], ACTIONS, ACTIONS.labels, "tree")


def test_label_count_errors_are_typed():
    tree_mod = pytest.importorskip("sklearn.tree")
    xs, ys = data()
    model = tree_mod.DecisionTreeClassifier(max_depth=3, random_state=0).fit(xs, ys)
    with pytest.raises(al.LabelCountError, match="labels= has 2 entries"):
        al.TreePolicy.from_sklearn(model, SPACE, ACTIONS, labels=("left", "down"))
    with pytest.raises(al.UnknownLabelError, match="'jump' is not one of the actions"):
        al.TreePolicy.from_sklearn(model, SPACE, ACTIONS, labels=("left", "down", "jump"))
    with pytest.raises(al.UnknownLabelError, match="repeats"):
        al.TreePolicy.from_sklearn(model, SPACE, ACTIONS, labels=("left", "left", "down"))
    four = tree_mod.DecisionTreeClassifier(max_depth=3, random_state=0).fit(xs, ys + (ys == 2))
    assert list(four.classes_) == [0, 1, 3]
    with pytest.raises(al.LabelCountError, match="tree class 3 has no label"):
        al.TreePolicy.from_sklearn(four, SPACE, ACTIONS, labels=ACTIONS.labels)
    named = tree_mod.DecisionTreeClassifier(max_depth=2).fit(xs, np.array(["a", "b"])[ys % 2])
    with pytest.raises(al.UnknownLabelError, match="train it on the action labels"):
        al.TreePolicy.from_sklearn(named, SPACE, ACTIONS)
    with pytest.raises(al.UnknownLabelError, match="maps integer classes by position"):
        al.TreePolicy.from_sklearn(named, SPACE, ACTIONS, labels=ACTIONS.labels)


def test_mlp_on_integer_classes():
    nn = pytest.importorskip("sklearn.neural_network")
    xs, ys = data()
    model = nn.MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0)
    with warnings.catch_warnings():  # may not converge in 300 iterations: irrelevant here
        warnings.simplefilter("ignore")
        model.fit(xs, ys)
    with pytest.raises(al.UnknownLabelError, match="labels="):
        al.MLPPolicy.from_sklearn(model, SPACE, ACTIONS)
    policy = al.MLPPolicy.from_sklearn(model, SPACE, ACTIONS, labels=ACTIONS.labels)
    grid = probes()
    assert list(policy.act_batch(grid)) == list(model.predict(grid))
    two = al.Actions("a", "b")
    with pytest.raises(al.LabelCountError):
        al.MLPPolicy.from_sklearn(model, SPACE, two, labels=two.labels)


CORRIDOR = al.Space(agent=al.Int(0, 10), coin=al.Int(0, 10))
MOVES = al.Actions("left", "right")
C = CORRIDOR.vars
TOWARDS_COIN = -sp.Abs(C.agent + MOVES.per_action({"left": -1, "right": 1}) - C.coin)


class FakeModel:
    """Duck-typed stable-baselines3 model: predict(obs) -> (action array, state)."""

    def __init__(self):
        self.seen = []

    def predict(self, obs, deterministic=True):
        self.seen.append(obs)
        return np.array(1 if obs[0] < 10 else 0), None


def test_vector_callable_receives_float_rows_and_is_never_proved():
    model = FakeModel()
    box = al.CallablePolicy(
        CORRIDOR, MOVES, lambda obs: model.predict(obs)[0], vector=True, labels=MOVES.labels
    )
    assert box.act({"agent": 3, "coin": 7}) == "right"
    row = model.seen[-1]
    assert isinstance(row, np.ndarray) and row.dtype == np.float64
    assert row.tolist() == [3.0, 7.0]  # the space's variable order
    f = al.inner.optimality(box, TOWARDS_COIN)
    assert f.verdict is al.Verdict.VIOLATED and f.method == "sampling"
    s = f.witness["s"]
    assert s["coin"] < s["agent"] < 10 and s["action"] == "right"
    # replayed on the original callable
    assert model.predict(np.array([s["agent"], s["coin"]], dtype=float))[0] == 1
    f = al.inner.optimality(box, TOWARDS_COIN, C.coin >= 10, samples=100)
    assert f.verdict is al.Verdict.UNKNOWN and "sampling never proves" in f.reason


def test_callable_errors_point_at_the_wrapper():
    model = FakeModel()
    with pytest.raises(al.SpecError, match=r"\.predict method: wrap it"):
        al.CallablePolicy(CORRIDOR, MOVES, model)
    with pytest.raises(al.SpecError, match="needs a callable"):
        al.CallablePolicy(CORRIDOR, MOVES, 3)
    plain = al.CallablePolicy(CORRIDOR, MOVES, lambda obs: 1, vector=True)
    with pytest.raises(al.SpecError, match=r"pass labels=actions.labels"):
        plain.act({"agent": 0, "coin": 0})
    far = al.CallablePolicy(CORRIDOR, MOVES, lambda obs: 2, vector=True, labels=MOVES.labels)
    with pytest.raises(al.LabelCountError, match=r"at \{'agent': 0, 'coin': 0\}"):
        far.act({"agent": 0, "coin": 0})
    with pytest.raises(al.LabelCountError):
        al.CallablePolicy(CORRIDOR, MOVES, lambda obs: 0, labels=("left",))
    with pytest.raises(al.SpecError, match="True or False"):
        al.CallablePolicy(CORRIDOR, MOVES, lambda obs: 0, vector=1)


def test_vector_callable_with_action_variables():
    space = al.Space(a=al.Real(0, 1), b=al.Bool(), m=al.Choice("x", "y"))
    acts = al.Space(force=al.Real(-5, 5), turn=al.Real(-5, 5))
    box = al.CallablePolicy(
        space, acts, lambda row: np.array([row[0] + row[1], row[2]]), vector=True
    )
    out = box.act({"a": Fraction(1, 2), "b": True, "m": "y"})
    assert out == {"force": Fraction(3, 2), "turn": Fraction(1)}
    short = al.CallablePolicy(space, acts, lambda row: np.array([0.0]), vector=True)
    with pytest.raises(al.SpecError, match="2 numbers in that order"):
        short.act({"a": 0, "b": False, "m": "x"})


def test_table_of_integer_actions():
    line = al.Space(x=al.Int(0, 3))
    lr = al.Actions("left", "right")
    gain = lr.per_action({"left": -line.vars.x, "right": line.vars.x})
    q_argmax = {(x,): np.int64(1 if x < 2 else 0) for x in range(4)}  # a Q-table's argmax
    table = al.TablePolicy(line, lr, q_argmax, labels=lr.labels)
    assert [table.act({"x": x}) for x in range(4)] == ["right", "right", "left", "left"]
    f = al.inner.optimality(table, gain)
    assert f.verdict is al.Verdict.VIOLATED and f.witness["s"]["x"] in (2, 3)
    assert f.witness["s"]["action"] == "left" and f.witness["better"]["action"] == "right"
    right = al.TablePolicy(line, lr, {(x,): 1 for x in range(4)}, labels=lr.labels)
    assert al.inner.optimality(right, gain).verdict is al.Verdict.PROVED
    with pytest.raises(al.UnknownLabelError, match="'1' is not one of the actions"):
        al.TablePolicy(line, lr, {(0,): 1})
    with pytest.raises(al.LabelCountError, match="has no label"):
        al.TablePolicy(line, lr, {(0,): 2}, labels=lr.labels)
    with pytest.raises(al.LabelCountError):
        al.TablePolicy(line, lr, {(0,): 0}, labels=("left",))
    numbered = al.TablePolicy(line, lr, {(0,): 0}, default=1, labels=lr.labels)
    assert numbered.act({"x": 3}) == "right"
