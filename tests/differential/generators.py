"""Hypothesis strategies for the differential harness: small spaces, expressions, specs,
policies of every kind, MDPs and transition systems.

Every generated object carries what the oracles need to judge it *independently* of
alignspec: the raw sympy expressions (evaluated by :mod:`.evaluator`) and, for policies,
a plain description the harness evaluates itself (see ``PolicyCase.act``).
Each case renders a runnable reproduction (``case.repro()``) for failure messages.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp
from hypothesis import strategies as st

import alignspec as al

from . import evaluator as ev

LABELS = ("p", "q", "r")
ACTION_LABELS = ("a0", "a1", "a2")

# --------------------------------------------------------------------------- spaces


def _frac(x: object) -> str:
    f = Fraction(x)  # type: ignore[arg-type]
    return str(f.numerator) if f.denominator == 1 else f"Fraction({f.numerator}, {f.denominator})"


def var_repr(var: object) -> str:
    if isinstance(var, al.Int):
        return f"al.Int({var.lo}, {var.hi})"
    if isinstance(var, al.Real):
        return f"al.Real({_frac(var.lo)}, {_frac(var.hi)})"
    if isinstance(var, al.Bool):
        return "al.Bool()"
    assert isinstance(var, al.Choice)
    return "al.Choice(" + ", ".join(repr(x) for x in var.labels) + ")"


def space_repr(space: al.Space) -> str:
    return "al.Space(" + ", ".join(f"{n}={var_repr(v)}" for n, v in space.variables.items()) + ")"


def symbols_preamble(*spaces: al.Space, extra: tuple[str, ...] = ()) -> list[str]:
    """Lines defining every variable and label symbol so that ``str(expr)`` evaluates."""
    lines = []
    labels: set[str] = set(extra)
    for space in spaces:
        for name, var in space.variables.items():
            if isinstance(var, al.Int):
                lines.append(f"{name} = sp.Symbol({name!r}, integer=True)")
            elif isinstance(var, al.Real):
                lines.append(f"{name} = sp.Symbol({name!r}, real=True)")
            else:
                lines.append(f"{name} = sp.Symbol({name!r})")
            if isinstance(var, al.Choice):
                labels.update(var.labels)
    for label in sorted(labels):
        lines.append(f"{label} = sp.Symbol({label!r})")
    return lines


HEADER = [
    "import sympy as sp",
    "from sympy import *",
    "from fractions import Fraction",
    "import alignspec as al",
]


@st.composite
def int_vars(draw: Any) -> al.Int:
    lo = draw(st.integers(-3, 2))
    hi = draw(st.integers(lo, min(lo + 4, 3)))
    return al.Int(lo, hi)


NASTY_REAL_BOUNDS = [Fraction(0.679857769), Fraction(1, 3), Fraction(0.1)]


@st.composite
def real_vars(draw: Any) -> al.Real:
    kind = draw(st.sampled_from(["int", "int", "int", "half", "nasty"]))
    if kind == "int":
        lo = draw(st.integers(-3, 2))
        hi = draw(st.integers(lo, 3))
        return al.Real(lo, hi)
    if kind == "half":
        lo = Fraction(draw(st.integers(-6, 4)), 2)
        hi = lo + Fraction(draw(st.integers(1, 6)), 2)
        return al.Real(lo, hi)
    return al.Real(0, draw(st.sampled_from(NASTY_REAL_BOUNDS)))


@st.composite
def spaces(
    draw: Any,
    *,
    reals: bool = False,
    choices: bool = True,
    need_bool: bool = False,
    max_vars: int = 3,
    max_size: int = 120,
) -> al.Space:
    """A small Space: Int, Bool, Choice (and with ``reals`` up to two Real) variables; the
    product of the discrete domains stays below ``max_size`` so brute force can enumerate."""
    kinds = (
        ["int", "int", "bool"] + (["choice"] if choices else []) + (["real"] * 2 if reals else [])
    )
    n = draw(st.integers(1, max_vars))
    picked = draw(st.lists(st.sampled_from(kinds), min_size=n, max_size=n))
    if need_bool and "bool" not in picked:
        picked[-1] = "bool"
    if reals and "real" not in picked:
        picked[0] = "real"
    if picked.count("real") > 2:
        picked = [k if k != "real" or i < 2 else "int" for i, k in enumerate(picked)]
    variables: dict[str, Any] = {}
    size = 1
    counters: dict[str, int] = {}
    prefix = {"int": "x", "bool": "b", "choice": "c", "real": "r"}
    for kind in picked:
        i = counters.get(kind, 0)
        counters[kind] = i + 1
        name = f"{prefix[kind]}{i}"
        if kind == "int":
            var = draw(int_vars())
            width = var.hi - var.lo + 1
        elif kind == "bool":
            var, width = al.Bool(), 2
        elif kind == "choice":
            k = draw(st.integers(2, 3))
            var, width = al.Choice(*LABELS[:k]), k
        else:
            var, width = draw(real_vars()), 1
        if size * width > max_size:
            var, width = al.Bool(), 2
            name = f"b{counters.get('bool', 0) + 10}"
        size *= width
        variables[name] = var
    return al.Space(**variables)


# --------------------------------------------------------------------------- expressions

small_consts = st.one_of(
    st.integers(-3, 3).map(sp.Integer),
    st.sampled_from([sp.Rational(1, 2), sp.Rational(-3, 2), sp.Rational(1, 3)]),
)


def _numeric_names(scope: dict[str, Any]) -> list[str]:
    return [n for n, v in scope.items() if isinstance(v, (al.Int, al.Real, al.Bool))]


def _symbols(scope: dict[str, Any]) -> dict[str, sp.Symbol]:
    return al.Space(**scope).symbols


@st.composite
def numbers(draw: Any, scope: dict[str, Any], depth: int = 2, nonlinear: bool = False) -> sp.Expr:
    """A numeric expression over ``scope`` (Bool variables count 0/1)."""
    syms = _symbols(scope)
    nums = _numeric_names(scope)
    choices = [n for n, v in scope.items() if isinstance(v, al.Choice)]
    leaf_options = ["const"] + (["var"] * 3 if nums else [])
    if depth <= 0:
        kind = draw(st.sampled_from(leaf_options))
    else:
        kind = draw(
            st.sampled_from(
                leaf_options
                + ["add", "add", "scale", "abs", "min", "max", "piecewise", "indicator", "half"]
                + (["by_label"] if choices else [])
                + (["mul", "square"] if nonlinear and nums else [])
            )
        )
    sub = lambda: draw(numbers(scope, depth - 1, nonlinear))  # noqa: E731
    if kind == "const":
        return draw(small_consts)
    if kind == "var":
        return syms[draw(st.sampled_from(nums))]
    if kind == "add":
        return sub() + sub() if draw(st.booleans()) else sub() - sub()
    if kind == "scale":
        return draw(st.sampled_from([2, -1, 3, sp.Rational(1, 2)])) * sub()
    if kind == "half":
        return sub() / 2
    if kind == "abs":
        return sp.Abs(sub())
    if kind == "min":
        return sp.Min(sub(), sub())
    if kind == "max":
        return sp.Max(sub(), sub())
    if kind == "piecewise":
        return sp.Piecewise((sub(), draw(conditions(scope, depth - 1))), (sub(), True))
    if kind == "indicator":
        return al.indicator(draw(conditions(scope, depth - 1)))
    if kind == "by_label":
        c = draw(st.sampled_from(choices))
        labels = scope[c].labels
        pieces = [(draw(small_consts), al.eq(syms[c], lab)) for lab in labels[:-1]]
        return sp.Piecewise(*pieces, (draw(small_consts), True))
    if kind == "mul":
        return sub() * sub()
    assert kind == "square"
    return syms[draw(st.sampled_from(nums))] ** 2


@st.composite
def conditions(
    draw: Any,
    scope: dict[str, Any],
    depth: int = 2,
    *,
    bool_eq: bool = False,
    bool_piecewise: bool = False,
    nonlinear: bool = False,
) -> sp.Basic:
    """A condition over ``scope``.  ``bool_eq`` allows ``Eq(b, 1)`` on Bool variables (known
    bug (c) in ExprPolicy); ``bool_piecewise`` a Piecewise of conditions (known bug (g))."""
    syms = _symbols(scope)
    bools = [n for n, v in scope.items() if isinstance(v, al.Bool)]
    choices = [n for n, v in scope.items() if isinstance(v, al.Choice)]
    nums = _numeric_names(scope)
    leaves = ["rel", "rel"] + (["bool"] if bools else []) + (["choice"] if choices else [])
    if bool_eq and bools:
        leaves += ["bool_eq", "bool_eq"]
    nodes = ["and", "or", "not", "implies", "xor", "equiv"]
    if bool_piecewise:
        nodes += ["piecewise", "piecewise"]
    kind = draw(st.sampled_from(leaves if depth <= 0 else leaves + nodes))
    sub = lambda: draw(  # noqa: E731
        conditions(
            scope, depth - 1, bool_eq=bool_eq, bool_piecewise=bool_piecewise, nonlinear=nonlinear
        )
    )
    if kind == "rel":
        op = draw(st.sampled_from([sp.Lt, sp.Le, sp.Gt, sp.Ge, sp.Eq, sp.Ne]))
        left = draw(numbers(scope, 1, nonlinear)) if nums else draw(small_consts)
        right = draw(st.one_of(small_consts, numbers(scope, 0)))
        out = op(left, right)
        if out in (sp.true, sp.false) or isinstance(out, bool):
            return sp.true if out else sp.false
        return out
    if kind == "bool":
        b = syms[draw(st.sampled_from(bools))]
        return b if draw(st.booleans()) else sp.Not(b)
    if kind == "bool_eq":
        b = syms[draw(st.sampled_from(bools))]
        return sp.Eq(b, draw(st.sampled_from([0, 1])))
    if kind == "choice":
        c = draw(st.sampled_from(choices))
        lab = draw(st.sampled_from(scope[c].labels))
        return al.eq(syms[c], lab) if draw(st.booleans()) else al.ne(syms[c], lab)
    if kind == "and":
        return sp.And(sub(), sub())
    if kind == "or":
        return sp.Or(sub(), sub())
    if kind == "not":
        return sp.Not(sub())
    if kind == "implies":
        return sp.Implies(sub(), sub())
    if kind == "xor":
        return sp.Xor(sub(), sub())
    if kind == "equiv":
        return sp.Equivalent(sub(), sub())
    assert kind == "piecewise"
    return sp.Piecewise((sub(), sub()), (sub(), True))


# --------------------------------------------------------------------------- enumeration


def real_grid(var: al.Real) -> list[Fraction]:
    """Rational points of [lo, hi]: both ends, quarters, whole numbers, thirds."""
    lo, hi = Fraction(var.lo), Fraction(var.hi)
    pts = {lo, hi} | {lo + (hi - lo) * Fraction(k, 4) for k in range(1, 4)}
    pts |= {Fraction(k) for k in range(-4, 5) if lo <= k <= hi}
    pts |= {lo + (hi - lo) * Fraction(k, 3) for k in (1, 2)}
    pts |= {lo + (hi - lo) * Fraction(k, 12) for k in (1, 11)}
    return sorted(pts)


def values_of(var: object, dense: bool = False) -> list[object]:
    if isinstance(var, al.Bool):
        return [False, True]
    if isinstance(var, al.Choice):
        return list(var.labels)
    if isinstance(var, al.Int):
        return list(range(var.lo, var.hi + 1))
    assert isinstance(var, al.Real)
    pts = real_grid(var)
    if dense:
        lo, hi = Fraction(var.lo), Fraction(var.hi)
        pts = sorted(set(pts) | {lo + (hi - lo) * Fraction(k, 24) for k in range(25)})
    return pts  # type: ignore[return-value]


def states(space_vars: dict[str, Any], dense: bool = False) -> list[dict[str, object]]:
    """Every state of the discrete variables; Reals on a rational grid."""
    names = list(space_vars)
    pools = [values_of(space_vars[n], dense) for n in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*pools)]


def is_finite(space_vars: dict[str, Any]) -> bool:
    return not any(isinstance(v, al.Real) for v in space_vars.values())


# --------------------------------------------------------------------------- outer specs


@dataclass
class SpecCase:
    space: al.Space
    actions: al.Actions | None
    reward: sp.Basic | None
    utility: sp.Basic | None
    require: list[sp.Basic]
    assume: list[sp.Basic]
    margin: Fraction = Fraction(0)
    epsilon: Fraction = Fraction(0)
    tolerance: Fraction = Fraction(0)
    features: set[str] = field(default_factory=set)

    @property
    def domain(self) -> dict[str, Any]:
        out = dict(self.space.variables)
        if self.actions is not None:
            out[self.actions.name] = self.actions.variable
        return out

    def build(self) -> al.Spec:
        return al.Spec(
            space=self.space,
            actions=self.actions,
            reward=None if self.reward is None else al.Reward(self.reward),
            intent=al.Intent(self.utility, require=self.require)
            if (self.utility is not None or self.require)
            else None,
            assume=self.assume,
        )

    def repro(self) -> str:
        extra = self.actions.labels if self.actions else ()
        lines = HEADER + [f"space = {space_repr(self.space)}"]
        lines += symbols_preamble(self.space, extra=tuple(extra))
        if self.actions is not None:
            labels = ", ".join(repr(a) for a in self.actions.labels)
            lines.append(f"actions = al.Actions({labels}, name={self.actions.name!r})")
            lines.append(f"{self.actions.name} = sp.Symbol({self.actions.name!r})")
        lines.append(
            "spec = al.Spec(space=space"
            + (", actions=actions" if self.actions else "")
            + f", reward={self.reward}, intent=al.Intent({self.utility}, "
            + f"require=[{', '.join(map(str, self.require))}])"
            + f", assume=[{', '.join(map(str, self.assume))}])"
        )
        lines.append(f"# margin={self.margin} epsilon={self.epsilon} tolerance={self.tolerance}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "SpecCase:\n" + self.repro()


@st.composite
def spec_cases(
    draw: Any,
    *,
    reals: bool = False,
    actions: bool | None = None,
    nonlinear: bool | None = None,
    need_utility: bool = False,
    need_require: bool = False,
) -> SpecCase:
    space = draw(spaces(reals=reals, max_size=60 if actions is not False else 120))
    acts = None
    if actions is None:
        actions = draw(st.integers(0, 3)) == 0
    if actions:
        k = draw(st.integers(2, 3))
        acts = al.Actions(*ACTION_LABELS[:k], name=draw(st.sampled_from(["action", "act"])))
    scope = dict(space.variables)
    if acts is not None:
        scope[acts.name] = acts.variable
    if nonlinear is None:
        nonlinear = draw(st.integers(0, 4)) == 0
    features: set[str] = set()
    reward = draw(numbers(scope, 2, nonlinear))
    if acts is not None and draw(st.booleans()):
        # values over the state, or (sometimes) branching on the action themselves
        value_scope = scope if draw(st.integers(0, 2)) == 0 else dict(space.variables)
        per = {a: draw(numbers(value_scope, 1, nonlinear)) for a in acts.labels}
        reward = acts.per_action(per)
        features.add("per_action")
    utility = (
        draw(numbers(scope, 2, nonlinear)) if (need_utility or draw(st.integers(0, 4))) else None
    )
    n_req = draw(st.integers(1 if need_require else 0, 2))
    require = [
        draw(conditions(scope, 1, bool_piecewise=draw(st.integers(0, 9)) == 0, nonlinear=nonlinear))
        for _ in range(n_req)
    ]
    assume = [
        draw(conditions(scope, 1, nonlinear=nonlinear)) for _ in range(draw(st.integers(0, 2)))
    ]
    reals_ = [n for n, v in space.variables.items() if isinstance(v, al.Real)]
    if nonlinear and reals_ and draw(st.integers(0, 2)) == 0:
        # solutions are irrational: z3 answers with algebraic numbers that cannot replay
        syms = space.symbols
        a, b = syms[draw(st.sampled_from(reals_))], syms[draw(st.sampled_from(reals_))]
        assume.append(sp.Eq(a * b, draw(st.sampled_from([2, 3, sp.Rational(1, 2)]))))
        features.add("irrational")
    margin = Fraction(draw(st.sampled_from([0, 0, 0, 1, Fraction(1, 2)])))
    epsilon = Fraction(draw(st.sampled_from([0, 0, 1, Fraction(1, 2)])))
    tolerance = Fraction(draw(st.sampled_from([0, 0, 1])))
    return SpecCase(
        space, acts, reward, utility, require, assume, margin, epsilon, tolerance, features
    )


# --------------------------------------------------------------------------- policies

KINDS = ("expr", "table", "tree", "linear", "mlp", "callable", "extract")


def _is_number_like(space: al.Space) -> bool:
    return not any(isinstance(v, al.Choice) for v in space.variables.values())


def _state_number(var: object, value: object) -> Fraction:
    """The number a tree split, linear policy or network sees: Bool 0/1, Choice index."""
    if isinstance(var, al.Choice):
        return Fraction(var.labels.index(value))
    if isinstance(value, bool):
        return Fraction(int(value))
    return Fraction(value)  # type: ignore[arg-type]


@dataclass
class PolicyCase:
    kind: str
    space: al.Space
    actions: al.Actions | al.Space
    desc: dict[str, Any]
    policy: al.Policy | None = None

    @property
    def finite(self) -> bool:
        return isinstance(self.actions, al.Actions)

    @property
    def action_vars(self) -> dict[str, Any]:
        if isinstance(self.actions, al.Actions):
            return {self.actions.name: self.actions.variable}
        return dict(self.actions.variables)

    # --- the harness's own semantics of every policy kind ---------------------------
    def defined(self, state: dict[str, object]) -> bool:
        if self.kind == "table" and self.desc["default"] is None:
            return self._key(state) in self.desc["table"]
        return True

    def _key(self, state: dict[str, object]) -> tuple[object, ...]:
        return tuple(state[n] for n in self.space.names)

    def act(self, state: dict[str, object]) -> object:
        """A label (finite actions) or a dict of exact action values; None: undefined."""
        d = self.desc
        kind = d.get("inner_kind", self.kind)
        if kind == "expr":
            if self.finite:
                for cond, label in d["branches"]:
                    if ev.truth(cond, state):
                        return label
                return d["default"]
            return {n: ev.num(e, state) for n, e in d["outputs"].items()}
        if kind == "table":
            key = self._key(state)
            if key in d["table"]:
                return d["table"][key]
            return d["default"]
        if kind == "tree":
            node = d["root"]
            while isinstance(node, tuple):
                name, t, left, right, strict = node
                x = _state_number(self.space.variables[name], state[name])
                node = left if (x < t if strict else x <= t) else right
            return node
        xs = [_state_number(v, state[n]) for n, v in self.space.variables.items()]
        if kind == "linear":
            outs = [
                sum((w * x for w, x in zip(row, xs, strict=True)), b)
                for row, b in zip(d["W"], d["b"], strict=True)
            ]
        elif kind == "mlp":
            outs = xs
            for i, (W, b) in enumerate(d["layers"]):
                outs = [
                    sum((w * x for w, x in zip(row, outs, strict=True)), bb)
                    for row, bb in zip(W, b, strict=True)
                ]
                if i < len(d["layers"]) - 1:
                    outs = [max(o, Fraction(0)) for o in outs]
        else:
            raise AssertionError(kind)
        if self.finite:
            assert isinstance(self.actions, al.Actions)
            best = max(outs) if d["mode"] == "argmax" else min(outs)
            return self.actions.labels[outs.index(best)]
        return dict(zip(self.actions.names, outs, strict=True))  # type: ignore[union-attr]

    def action_env(self, action: object) -> dict[str, object]:
        if self.finite:
            assert isinstance(self.actions, al.Actions)
            return {self.actions.name: action}
        return dict(action)  # type: ignore[call-overload]

    def in_bounds(self, action: object) -> bool:
        if self.finite:
            return True
        for n, var in self.actions.variables.items():  # type: ignore[union-attr]
            x = Fraction(action[n])  # type: ignore[index]
            if not var.lo <= x <= var.hi:
                return False
            if isinstance(var, al.Int) and x.denominator != 1:
                return False
        return True

    def build(self) -> al.Policy:
        d = self.desc
        kind = self.kind
        if kind == "expr":
            if self.finite:
                return al.ExprPolicy(self.space, self.actions, d["branches"], default=d["default"])
            return al.ExprPolicy(self.space, self.actions, d["outputs"])
        if kind == "table":
            return al.TablePolicy(self.space, self.actions, d["table"], default=d["default"])
        if kind == "tree":
            return al.TreePolicy(self.space, self.actions, _tree_node(d["root"], self.finite))
        if kind == "linear":
            return al.LinearPolicy(self.space, self.actions, d["W_in"], d["b_in"], mode=d["mode"])
        if kind == "mlp":
            return al.MLPPolicy(self.space, self.actions, d["layers_in"], mode=d["mode"])
        if kind in ("callable", "extract"):
            inner = PolicyCase(d["inner_kind"], self.space, self.actions, d)
            fn = lambda s: inner.act(dict(s))  # noqa: E731
            black = al.CallablePolicy(self.space, self.actions, fn)
            if kind == "callable":
                return black
            return al.extract(
                black,
                max_depth=d["max_depth"],
                iterations=d["iterations"],
                per_iteration=d["per_iteration"],
                holdout=30,
                seed=d["seed"],
            )
        raise AssertionError(kind)

    def repro(self) -> str:
        d = self.desc
        acts = (
            f"al.Actions({', '.join(repr(a) for a in self.actions.labels)}, "
            f"name={self.actions.name!r})"
            if isinstance(self.actions, al.Actions)
            else space_repr(self.actions)
        )
        lines = [f"space = {space_repr(self.space)}", f"actions = {acts}"]
        lines += symbols_preamble(self.space)
        kind = self.kind
        if kind in ("callable", "extract"):
            lines.append(
                f"# {kind} policy wrapping this {d['inner_kind']} policy "
                "(the harness's own evaluation):"
            )
            kind = d["inner_kind"]
        if kind == "expr":
            if self.finite:
                lines.append(
                    f"policy = al.ExprPolicy(space, actions, {d['branches']!r}, "
                    f"default={d['default']!r})"
                )
            else:
                lines.append(
                    "policy = al.ExprPolicy(space, actions, {"
                    + ", ".join(f"{k!r}: {v}" for k, v in d["outputs"].items())
                    + "})"
                )
        elif kind == "table":
            lines.append(
                f"policy = al.TablePolicy(space, actions, {d['table']!r}, default={d['default']!r})"
            )
        elif kind == "tree":
            lines.append(
                f"policy = al.TreePolicy(space, actions, {_tree_repr(d['root'], self.finite)})"
            )
        elif kind == "linear":
            lines.append(
                f"policy = al.LinearPolicy(space, actions, {d['W_in']!r}, {d['b_in']!r}, "
                f"mode={d['mode']!r})"
            )
        elif kind == "mlp":
            lines.append(
                f"policy = al.MLPPolicy(space, actions, {d['layers_in']!r}, mode={d['mode']!r})"
            )
        if self.kind == "callable":
            lines.append("policy = al.CallablePolicy(space, actions, policy.act)")
        if self.kind == "extract":
            lines.append(
                "policy = al.extract(al.CallablePolicy(space, actions, policy.act), "
                f"max_depth={d['max_depth']}, iterations={d['iterations']}, "
                f"per_iteration={d['per_iteration']}, holdout=30, seed={d['seed']})"
            )
        return "\n".join(lines)


def _tree_node(node: object, finite: bool) -> object:
    if isinstance(node, tuple):
        name, t, left, right, strict = node
        return al.Split(name, t, _tree_node(left, finite), _tree_node(right, finite), strict)
    return al.Leaf(node)


def _tree_repr(node: object, finite: bool) -> str:
    if isinstance(node, tuple):
        name, t, left, right, strict = node
        return (
            f"al.Split({name!r}, {_frac(t)}, {_tree_repr(left, finite)}, "
            f"{_tree_repr(right, finite)}, strict={strict})"
        )
    return f"al.Leaf({node!r})"


@st.composite
def action_sets(draw: Any, continuous: bool, ints: bool = False) -> al.Actions | al.Space:
    if not continuous:
        k = draw(st.integers(2, 3))
        return al.Actions(*ACTION_LABELS[:k], name=draw(st.sampled_from(["action", "act"])))
    lo = draw(st.sampled_from([-2, -1, 0, Fraction(-1, 2)]))
    hi = lo + draw(st.sampled_from([1, 2, 3, Fraction(3, 2)]))
    variables: dict[str, Any] = {"u": al.Real(lo, hi)}
    if draw(st.integers(0, 3)) == 0:
        variables["w"] = al.Int(-1, 1) if ints else al.Real(0, 1)
    return al.Space(**variables)


@st.composite
def action_values(draw: Any, actions: al.Actions | al.Space) -> object:
    if isinstance(actions, al.Actions):
        return draw(st.sampled_from(actions.labels))
    return {n: draw(st.sampled_from(values_of(v))) for n, v in actions.variables.items()}


weights = st.sampled_from(
    [
        Fraction(0),
        Fraction(1),
        Fraction(-1),
        Fraction(2),
        Fraction(-2),
        Fraction(1, 2),
        Fraction(-1, 2),
    ]
)


@st.composite
def policy_cases(
    draw: Any,
    space: al.Space,
    *,
    kind: str | None = None,
    continuous: bool | None = None,
    kinds: tuple[str, ...] = KINDS,
    actions: al.Actions | al.Space | None = None,
) -> PolicyCase:
    """A policy of any kind over ``space`` (finite or continuous actions; ``actions`` fixes
    the action set)."""
    numeric_ok = _is_number_like(space)
    if actions is not None:
        continuous = not isinstance(actions, al.Actions)
    options = [k for k in kinds if numeric_ok or k not in ("linear", "mlp")]
    if continuous:
        options = [k for k in options if k != "extract"]
    if kind is None:
        kind = draw(st.sampled_from(options))
    if continuous is None:
        continuous = kind != "extract" and draw(st.integers(0, 2)) == 0
    if kind == "extract":
        continuous = False
    if actions is None:
        actions = draw(action_sets(continuous, ints=kind in ("table", "tree")))
    scope = dict(space.variables)
    d: dict[str, Any] = {}
    inner = kind
    if kind in ("callable", "extract"):
        inner = draw(st.sampled_from(["expr", "tree"] + (["linear"] if numeric_ok else [])))
        d["inner_kind"] = inner
        d["max_depth"] = draw(st.integers(1, 3))
        d["iterations"] = draw(st.integers(1, 2))
        d["per_iteration"] = draw(st.sampled_from([20, 40]))
        d["seed"] = draw(st.integers(0, 3))
    finite = isinstance(actions, al.Actions)
    if inner == "expr":
        if finite:
            n = draw(st.integers(0, 3))
            d["branches"] = [
                (draw(conditions(scope, 1, bool_eq=True)), draw(st.sampled_from(actions.labels)))
                for _ in range(n)
            ]
            d["default"] = draw(st.sampled_from(actions.labels))
        else:
            d["outputs"] = {
                n: draw(numbers(scope, 1))
                if not isinstance(v, al.Int)
                else draw(st.integers(-1, 1))
                for n, v in actions.variables.items()
            }
            d["outputs"] = {n: sp.sympify(e) for n, e in d["outputs"].items()}
    elif inner == "table":
        all_states = states(scope)
        k = draw(st.integers(1, min(len(all_states), 10)))
        idx = draw(
            st.lists(st.integers(0, len(all_states) - 1), min_size=k, max_size=k, unique=True)
        )
        d["table"] = {
            tuple(all_states[i][n] for n in space.names): draw(action_values(actions)) for i in idx
        }
        d["default"] = draw(action_values(actions)) if draw(st.booleans()) else None
    elif inner == "tree":
        d["root"] = draw(_trees(space, actions, draw(st.integers(0, 3))))
    elif inner == "linear":
        rows = len(actions.labels) if finite else len(actions.variables)
        W = [[draw(weights) for _ in space.names] for _ in range(rows)]
        b = [draw(weights) for _ in range(rows)]
        d["W"], d["b"] = W, b
        d["W_in"] = [[_plain(x) for x in row] for row in W]
        d["b_in"] = [_plain(x) for x in b]
        d["mode"] = draw(st.sampled_from(["argmax", "argmin"])) if finite else None
    elif inner == "mlp":
        width = len(space)
        out = len(actions.labels) if finite else len(actions.variables)
        hidden = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
        layers = []
        for h in hidden + [out]:
            W = [[draw(weights) for _ in range(width)] for _ in range(h)]
            b = [draw(weights) for _ in range(h)]
            layers.append((W, b))
            width = h
        d["layers"] = layers
        d["layers_in"] = [
            ([[float(x) for x in row] for row in W], [float(x) for x in b]) for W, b in layers
        ]
        d["mode"] = draw(st.sampled_from(["argmax", "argmin"])) if finite else None
    return PolicyCase(kind, space, actions, d)


def _plain(x: Fraction) -> object:
    return int(x) if x.denominator == 1 else float(x)


@st.composite
def _trees(draw: Any, space: al.Space, actions: al.Actions | al.Space, depth: int) -> object:
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        return draw(action_values(actions))
    name = draw(st.sampled_from(space.names))
    var = space.variables[name]
    if isinstance(var, al.Bool):
        t = draw(st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(1)]))
    elif isinstance(var, al.Choice):
        t = draw(st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(1), Fraction(2)]))
    else:
        lo, hi = Fraction(var.lo), Fraction(var.hi)
        t = draw(
            st.sampled_from(sorted({lo, hi, (lo + hi) / 2, lo - 1, Fraction(round(lo + hi) // 2)}))
        )
    strict = draw(st.booleans())
    return (
        name,
        t,
        draw(_trees(space, actions, depth - 1)),
        draw(_trees(space, actions, depth - 1)),
        strict,
    )


# --------------------------------------------------------------------------- inner cases


@dataclass
class InnerCase:
    pol: PolicyCase
    reward: sp.Basic | None
    utility: sp.Basic | None
    require: list[sp.Basic]
    assume: list[sp.Basic]
    region: sp.Basic | None
    epsilon: Fraction
    flag: str | None
    features: set[str] = field(default_factory=set)

    def spec(self) -> al.Spec:
        return al.Spec(
            space=self.pol.space,
            actions=self.pol.actions,
            reward=self.reward,
            intent=al.Intent(self.utility, require=self.require),
            assume=self.assume,
        )

    @property
    def domain(self) -> dict[str, Any]:
        return {**self.pol.space.variables, **self.pol.action_vars}

    def repro(self) -> str:
        lines = HEADER + [self.pol.repro()]
        if isinstance(self.pol.actions, al.Actions):
            lines += [f"{self.pol.actions.name} = sp.Symbol({self.pol.actions.name!r})"]
            lines += [f"{a} = sp.Symbol({a!r})" for a in self.pol.actions.labels]
        else:
            lines += symbols_preamble(self.pol.actions)
        lines.append(
            f"spec = al.Spec(space=space, actions=actions, reward={self.reward}, "
            f"intent=al.Intent({self.utility}, require=[{', '.join(map(str, self.require))}]), "
            f"assume=[{', '.join(map(str, self.assume))}])"
        )
        lines.append(f"region = {self.region}; epsilon = {self.epsilon}; flag = {self.flag!r}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "InnerCase:\n" + self.repro()


@st.composite
def action_requirements(draw: Any, pol: PolicyCase, state_scope: dict[str, Any]) -> sp.Basic:
    """A requirement about the action, where the policy's choice decides it."""
    where = draw(st.one_of(st.just(sp.true), conditions(state_scope, 1)))
    if pol.finite:
        acts = pol.actions
        lab = draw(st.sampled_from(acts.labels))  # type: ignore[union-attr]
        sym = acts.symbol  # type: ignore[union-attr]
        what = al.ne(sym, lab) if draw(st.booleans()) else al.eq(sym, lab)
    else:
        name = draw(st.sampled_from(list(pol.actions.variables)))  # type: ignore[union-attr]
        var = pol.actions.variables[name]  # type: ignore[union-attr]
        sym = pol.actions.symbols[name]  # type: ignore[union-attr]
        k = draw(st.sampled_from(values_of(var)))
        op = draw(st.sampled_from([sp.Le, sp.Lt, sp.Ge, sp.Gt]))
        what = op(sym, k)
    return what if where is sp.true else sp.Implies(where, what)


@st.composite
def inner_cases(
    draw: Any,
    *,
    kind: str | None = None,
    continuous: bool | None = None,
    reals: bool | None = None,
    need_bool: bool = False,
    kinds: tuple[str, ...] = KINDS,
) -> InnerCase:
    if reals is None:
        reals = draw(st.integers(0, 4)) == 0
    if kind is None:
        kind = draw(st.sampled_from(kinds))
    choices = kind not in ("linear", "mlp") and draw(st.booleans())
    space = draw(spaces(reals=reals, choices=choices, need_bool=need_bool, max_size=48))
    pol = draw(policy_cases(space, kind=kind, continuous=continuous, kinds=kinds))
    scope = {**space.variables, **pol.action_vars}
    state_scope = dict(space.variables)
    features: set[str] = set()
    if pol.finite and draw(st.booleans()):
        assert isinstance(pol.actions, al.Actions)
        per = {a: draw(numbers(state_scope, 1)) for a in pol.actions.labels}
        reward = pol.actions.per_action(per)
        features.add("per_action")
    else:
        reward = draw(numbers(scope, 2))
    utility = draw(numbers(scope, 2))
    require = [
        draw(st.one_of(conditions(scope, 1), action_requirements(pol, state_scope)))
        for _ in range(draw(st.integers(1, 2)))
    ]
    assume = [draw(conditions(scope, 1)) for _ in range(draw(st.integers(0, 1)))]
    region = draw(st.one_of(st.none(), conditions(state_scope, 1)))
    epsilon = Fraction(draw(st.sampled_from([0, 0, 0, Fraction(1, 2), 1])))
    bools = [n for n, v in space.variables.items() if isinstance(v, al.Bool)]
    flag = draw(st.sampled_from(bools)) if bools else None
    return InnerCase(pol, reward, utility, require, assume, region, epsilon, flag, features)


# --------------------------------------------------------------------------- MDPs

FEATURES = al.Space(x=al.Int(0, 2), on=al.Bool())
MDP_ACTIONS = ("go", "stay", "jump")


@dataclass
class MDPCase:
    states: list[tuple[object, ...]]
    actions: list[str]
    trans: dict[tuple[object, str], list[tuple[Fraction, object]]]
    init: dict[object, Fraction]
    gamma: Fraction
    terminal: list[object]
    rewards: dict[str, tuple[str, Any]]  # name -> (form, data)
    features: al.Space = FEATURES

    def build(self) -> al.MDP:
        return al.MDP(
            self.states,
            self.actions,
            self.trans,
            self.init,
            gamma=self.gamma,
            terminal=self.terminal,
            space=self.features,
        )

    def reward_input(self, name: str) -> object:
        """The reward in the form handed to alignspec."""
        import numpy as np

        form, data = self.rewards[name]
        if form == "sympy":
            return data
        if form == "function":
            table = data

            def f(s: object, a: object, s2: object) -> object:
                return table[(s, a, s2)]

            return f
        if form == "array3":
            return np.array(
                [
                    [[data[(s, a, t)] for t in self.states] for a in self.actions]
                    for s in self.states
                ],
                dtype=object,
            )
        if form == "array2":
            return np.array(
                [[data[(s, a)] for a in self.actions] for s in self.states], dtype=object
            )
        assert form == "array1"
        return np.array([data[s] for s in self.states], dtype=object)

    def R(self, name: str, s: object, a: str, s2: object) -> Fraction:
        """The reward R(s, a, s2) by the harness's own reading of its form."""
        form, data = self.rewards[name]
        if form == "sympy":
            env = dict(zip(self.features.names, s, strict=True))  # type: ignore[arg-type]
            env["action"] = a
            return ev.num(data, env)
        if form in ("function", "array3"):
            return Fraction(data[(s, a, s2)])
        if form == "array2":
            return Fraction(data[(s, a)])
        return Fraction(data[s])

    def repro(self) -> str:
        lines = HEADER + [
            f"features = {space_repr(self.features)}",
            "x = sp.Symbol('x', integer=True); on = sp.Symbol('on'); action = sp.Symbol('action')",
            *[f"{a} = sp.Symbol({a!r})" for a in self.actions],
            f"mdp = al.MDP({self.states!r}, {self.actions!r}, {self.trans!r}, {self.init!r}, "
            f"gamma={self.gamma!r}, terminal={self.terminal!r}, space=features)",
        ]
        for name, (form, data) in self.rewards.items():
            lines.append(f"# {name}: {form}: {data}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "MDPCase:\n" + self.repro()


probabilities = st.sampled_from(
    [
        (Fraction(1),),
        (Fraction(1, 2), Fraction(1, 2)),
        (Fraction(1, 3), Fraction(2, 3)),
        (Fraction(3, 4), Fraction(1, 4)),
    ]
)


@st.composite
def reward_forms(draw: Any, states: list[object], actions: list[str]) -> tuple[str, Any]:
    form = draw(st.sampled_from(["sympy", "sympy", "function", "array3", "array2", "array1"]))
    val = st.sampled_from(
        [Fraction(1), Fraction(0), Fraction(-1), Fraction(2), Fraction(1, 2), Fraction(3)]
    )
    if form == "sympy":
        scope = {**FEATURES.variables, "action": al.Choice(*actions)}
        expr = draw(numbers(scope, 2))
        if draw(st.booleans()):  # break ties between actions
            lab = draw(st.sampled_from(actions))
            expr = expr + draw(st.sampled_from([1, -1, 2])) * al.indicator(
                al.eq(sp.Symbol("action"), lab)
            )
        return form, expr
    if form in ("function", "array3"):
        return form, {(s, a, t): draw(val) for s in states for a in actions for t in states}
    if form == "array2":
        return form, {(s, a): draw(val) for s in states for a in actions}
    return form, {s: draw(val) for s in states}


@st.composite
def mdp_cases(
    draw: Any, *, rewards: tuple[str, ...] = ("spec", "int"), max_states: int = 4
) -> MDPCase:
    all_states = [(x, on) for x in range(3) for on in (False, True)]
    n = draw(st.integers(2, max_states))
    idx = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n, unique=True))
    states_ = [all_states[i] for i in sorted(idx)]
    m = draw(st.integers(2, 3))
    actions = list(MDP_ACTIONS[:m])
    episodic = draw(st.integers(0, 3)) == 0
    terminal: list[object] = []
    if episodic:
        gamma = Fraction(1)
        terminal = [states_[-1]]
    else:
        gamma = draw(
            st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(9, 10), Fraction(2, 3)])
        )
        if draw(st.integers(0, 4)) == 0:
            terminal = [states_[-1]]
    trans: dict[tuple[object, str], list[tuple[Fraction, object]]] = {}
    for i, s in enumerate(states_):
        if s in terminal:
            continue
        for a in actions:
            probs = draw(probabilities)
            pool = states_[i + 1 :] if episodic else states_
            succ = [draw(st.sampled_from(pool)) for _ in probs]
            trans[(s, a)] = list(zip(probs, succ, strict=True))
    start = draw(st.sampled_from([s for s in states_ if s not in terminal] or states_))
    init: dict[object, Fraction] = {start: Fraction(1)}
    if draw(st.integers(0, 3)) == 0 and n > 2:
        other = draw(st.sampled_from(states_))
        if other != start:
            zero = draw(st.booleans())
            init = {
                start: Fraction(1 if zero else Fraction(1, 2)),
                other: Fraction(0 if zero else Fraction(1, 2)),
            }
    rs = {name: draw(reward_forms(states_, actions)) for name in rewards}
    return MDPCase(states_, actions, trans, init, gamma, terminal, rs)


# --------------------------------------------------------------------------- transition systems


@dataclass
class TSCase:
    space: al.Space
    actions: al.Actions
    init: sp.Basic
    update: dict[str, sp.Basic] | None
    trans: list[sp.Basic] | None
    specified: sp.Basic | None
    intended: sp.Basic | None
    horizon: int
    reach: Fraction | None
    below: Fraction | None
    require: list[sp.Basic]
    gamma: Fraction
    pol: PolicyCase | None = None

    def build(self) -> al.TransitionSystem:
        if self.update is not None:
            return al.TransitionSystem.deterministic(
                self.space, self.actions, self.init, self.update
            )
        return al.TransitionSystem(self.space, self.actions, self.init, self.trans_exprs())

    def trans_exprs(self) -> list[sp.Basic]:
        assert self.trans is not None
        return list(self.trans)

    def next_symbols(self) -> dict[str, sp.Symbol]:
        return {n: sp.Symbol(f"{n}__next", integer=True) for n in self.space.names}

    def repro(self) -> str:
        lines = HEADER + [
            f"space = {space_repr(self.space)}",
            f"actions = al.Actions({', '.join(map(repr, self.actions.labels))})",
        ]
        lines += symbols_preamble(self.space, extra=self.actions.labels)
        lines.append("action = sp.Symbol('action')")
        if self.update is not None:
            lines.append(
                "system = al.TransitionSystem.deterministic(space, actions, "
                f"{self.init}, {self.update!r})"
            )
        else:
            lines += [f"{n}__next = sp.Symbol('{n}__next', integer=True)" for n in self.space.names]
            lines.append(
                f"system = al.TransitionSystem(space, actions, {self.init}, {self.trans!r})"
            )
        if self.pol is not None:
            lines.append(self.pol.repro())
        lines.append(
            f"finding = al.mdp.bmc(system, {self.specified}, {self.intended}, "
            f"horizon={self.horizon}, reach={self.reach!r}, below={self.below!r}, "
            f"require={self.require!r}, gamma={self.gamma!r}"
            + (", policy=policy" if self.pol else "")
            + ")"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "TSCase:\n" + self.repro()


@st.composite
def ts_cases(draw: Any, *, policy: bool | None = None) -> TSCase:
    n = draw(st.integers(1, 2))
    variables = {}
    for i in range(n):
        lo = draw(st.integers(-2, 0))
        variables[f"x{i}"] = al.Int(lo, lo + draw(st.integers(1, 4)))
    space = al.Space(**variables)
    actions = al.Actions(*ACTION_LABELS[: draw(st.integers(2, 3))])
    syms = space.symbols
    scope = {**space.variables, "action": actions.variable}
    # init: a box condition (may be a single point)
    init_parts = []
    for name, var in variables.items():
        lo = draw(st.integers(var.lo, var.hi))
        hi = draw(st.integers(lo, var.hi))
        init_parts.append(
            sp.And(syms[name] >= lo, syms[name] <= hi) if lo != hi else sp.Eq(syms[name], lo)
        )
    init = sp.And(*init_parts)
    deterministic = draw(st.integers(0, 3)) > 0
    update = trans = None
    asym = sp.Symbol("action")
    if deterministic:
        update = {}
        for name in variables:
            step = sp.Piecewise(
                *[(draw(st.integers(-1, 1)), al.eq(asym, a)) for a in actions.labels[:-1]],
                (draw(st.integers(-1, 1)), True),
            )
            base = syms[name] + step
            other = syms[draw(st.sampled_from(list(variables)))]
            shape = draw(st.sampled_from(["plain", "clamp", "mix", "piecewise"]))
            if shape == "clamp":
                var = variables[name]
                base = sp.Max(var.lo, sp.Min(var.hi, base))
            elif shape == "mix":
                base = base + draw(st.sampled_from([-1, 1])) * other
            elif shape == "piecewise":
                base = sp.Piecewise(
                    (base, draw(conditions(scope, 1))), (draw(st.integers(-2, 2)), True)
                )
            update[name] = base
    else:
        nxt = {n: sp.Symbol(f"{n}__next", integer=True) for n in variables}
        trans = []
        for name in variables:
            lo_step = draw(st.integers(-1, 1))
            trans.append(
                sp.And(
                    nxt[name] >= syms[name] + lo_step,
                    nxt[name] <= syms[name] + lo_step + draw(st.integers(0, 1)),
                )
            )
        if draw(st.booleans()):
            trans.append(sp.Implies(al.eq(asym, actions.labels[0]), nxt["x0"] >= syms["x0"]))
    specified = draw(numbers(scope, 1))
    intended = draw(numbers(scope, 1))
    horizon = draw(st.integers(1, 3))
    reach = draw(st.one_of(st.none(), st.integers(-2, 4).map(Fraction)))
    below = draw(st.one_of(st.none(), st.integers(-2, 4).map(Fraction)))
    require = [draw(conditions(scope, 1)) for _ in range(draw(st.integers(0, 1)))]
    if not deterministic and below is None and not require:
        below = Fraction(draw(st.integers(-2, 3)))
    gamma = draw(st.sampled_from([Fraction(1), Fraction(1), Fraction(1, 2)]))
    pol = None
    if policy is None:
        policy = draw(st.integers(0, 2)) == 0
    if policy:
        pol = draw(
            policy_cases(space, kinds=("expr", "tree", "linear", "mlp", "table"), actions=actions)
        )
        if pol.kind == "table" and pol.desc["default"] is None:
            pol.desc["default"] = actions.labels[0]
    return TSCase(
        space,
        actions,
        init,
        update,
        trans,
        specified,
        intended,
        horizon,
        reach,
        below,
        require,
        gamma,
        pol,
    )
