"""TreePolicy.from_sklearn reproduces scikit-learn's predictions exactly, at the boundaries
too (scikit-learn rounds inputs to float32 before comparing with its thresholds)."""

from fractions import Fraction

import numpy as np
import pytest

import alignspec as al

sklearn_tree = pytest.importorskip("sklearn.tree")

SPACE = al.Space(x=al.Real(-3, 3), y=al.Real(-3, 3), n=al.Int(0, 4))
ACTIONS = al.Actions("up", "down", "stay")


def data(seed=0, size=400):
    rng = np.random.default_rng(seed)
    xs = np.column_stack(
        [rng.uniform(-3, 3, size), rng.uniform(-3, 3, size), rng.integers(0, 5, size)]
    )
    labels = np.where(
        xs[:, 0] + 0.3 * xs[:, 1] > 0.1, "up", np.where(xs[:, 2] >= 2, "down", "stay")
    )
    return xs, labels


def boundary_probes(model):
    """Inputs just at, below and above every threshold, per feature."""
    probes = []
    tree = model.tree_
    for f, t in zip(tree.feature, tree.threshold, strict=True):
        if f < 0:
            continue
        for x in (
            t,
            np.nextafter(t, -np.inf),
            np.nextafter(t, np.inf),
            float(np.float32(t)),
            float(np.nextafter(np.float32(t), np.float32(np.inf))),
        ):
            row = np.array([0.0, 0.0, 2.0])
            row[f] = x
            probes.append(row)
    return np.array(probes)


def test_classifier_matches_predict_everywhere_including_thresholds():
    xs, labels = data()
    model = sklearn_tree.DecisionTreeClassifier(max_depth=5, random_state=0).fit(xs, labels)
    policy = al.TreePolicy.from_sklearn(model, SPACE, ACTIONS)
    rows = np.vstack([xs[:100], boundary_probes(model)])
    rows[:, 2] = np.round(rows[:, 2])  # n is an Int variable
    rows = rows[(np.abs(rows[:, :2]) <= 3).all(axis=1)]
    expected = model.predict(rows)
    for row, want in zip(rows, expected, strict=True):
        state = {"x": Fraction(row[0]), "y": Fraction(row[1]), "n": int(row[2])}
        assert policy.act(state) == want
    assert [ACTIONS.labels[i] for i in policy.act_batch(rows)] == list(expected)


def test_regression_tree_with_action_variables():
    xs, _ = data(1)
    force = al.Space(force=al.Real(-10, 10))
    model = sklearn_tree.DecisionTreeRegressor(max_depth=3, random_state=0).fit(
        xs, np.clip(xs[:, 0] * 2 - xs[:, 1], -10, 10)
    )
    policy = al.TreePolicy.from_sklearn(model, SPACE, force)
    for row, want in zip(xs[:50], model.predict(xs[:50]), strict=True):
        state = {"x": Fraction(row[0]), "y": Fraction(row[1]), "n": int(row[2])}
        assert policy.act(state)["force"] == Fraction(float(want))


def test_not_a_tree():
    with pytest.raises(al.SpecError, match="not a fitted scikit-learn decision tree"):
        al.TreePolicy.from_sklearn(object(), SPACE, ACTIONS)
