"""Symbolic transition systems and bounded model checking of rewards along trajectories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy
from sympy.core.parameters import evaluate

from alignspec.actions import ActionSpace, merge
from alignspec.engine import SAMPLES, search
from alignspec.errors import OptionError, SpecError
from alignspec.outer._support import Clock, show
from alignspec.policy.base import Policy
from alignspec.results import Finding, Verdict
from alignspec.solver import Budget, Problem
from alignspec.space import Space, State, to_fraction
from alignspec.spec import _conditions
from alignspec.symbolic.evaluate import holds, value_of
from alignspec.symbolic.rename import at, canonical
from alignspec.symbolic.shape import condition_degree, number_degree

NEXT = "__next"


class TransitionSystem:
    """State variables (a Space), actions, an ``init`` condition over the state and a
    transition relation ``trans`` over the state, the action and the next state, whose
    variables are ``system.next.<name>``.

    ``TransitionSystem.deterministic(space, actions, init, {x: expr})`` builds the relation
    ``next.x == expr`` for every state variable.
    """

    def __init__(
        self,
        space: Space,
        actions: ActionSpace,
        init: object,
        trans: object,
        *,
        name: str | None = None,
    ) -> None:
        self.space = space
        self.actions = actions
        self.domain = merge(space, actions)
        self.name = name
        nexts = {f"{n}{NEXT}": v for n, v in space.variables.items()}
        self.full = Space(**self.domain.variables, **nexts)
        self.init = self._cond(init, self.space, "init")
        self.trans = tuple(
            self._cond(t, self.full, f"trans[{i}]") for i, t in enumerate(_conditions(trans))
        )

    @property
    def next(self) -> _Next:
        return _Next(self.full.symbols)

    @staticmethod
    def _cond(cond: object, space: Space, what: str) -> sympy.Basic:
        c = canonical(cond, space)
        try:
            condition_degree(c, space.variables)
        except SpecError as err:
            raise type(err)(f"{what}: {err}") from None
        return c

    @classmethod
    def deterministic(
        cls,
        space: Space,
        actions: ActionSpace,
        init: object,
        update: Mapping[str, object],
        *,
        name: str | None = None,
    ) -> TransitionSystem:
        missing = [n for n in space.names if n not in update]
        if missing:
            raise SpecError(f"deterministic update needs an expression for {missing}")
        nexts = {
            n: sympy.Symbol(f"{n}{NEXT}", **space.symbols[n].assumptions0) for n in space.names
        }
        trans = [sympy.Eq(nexts[n], sympy.sympify(update[n])) for n in space.names]
        return cls(space, actions, init, trans, name=name)

    def step_condition(self, role: str, next_role: str) -> sympy.Basic:
        """The transition relation from the state-action in ``role`` to the state in
        ``next_role``."""
        symbols = self.full.symbols
        mapping = {
            symbols[n]: at(self.domain.symbols[n], self.domain, role) for n in self.domain.names
        }
        mapping.update(
            {
                symbols[f"{n}{NEXT}"]: at(self.domain.symbols[n], self.domain, next_role)
                for n in self.space.names
            }
        )
        with evaluate(False):
            return sympy.And(*[t.xreplace(mapping) for t in self.trans])


class _Next:
    def __init__(self, symbols: Mapping[str, sympy.Symbol]) -> None:
        self._symbols = symbols

    def __getattr__(self, name: str) -> sympy.Symbol:
        try:
            return self._symbols[f"{name}{NEXT}"]
        except KeyError:
            raise AttributeError(f"no state variable {name!r}") from None

    def __getitem__(self, name: str) -> sympy.Symbol:
        return self.__getattr__(name)


def bmc(
    system: TransitionSystem,
    specified: object = None,
    intended: object = None,
    *,
    horizon: int,
    reach: object = None,
    below: object = None,
    require: Iterable[object] = (),
    gamma: object = 1,
    policy: Policy | None = None,
    budget: Budget | None = None,
    samples: int = SAMPLES,
) -> Finding:
    """Bounded model checking: is there a trajectory of ``horizon`` steps from ``init`` whose
    specified return (sum of gamma^t * specified) reaches ``reach`` while the intended return
    stays below ``below`` or a requirement breaks on the way?

    With ``policy`` (a tree, linear, network, table or expression policy over the system's
    states and actions) the actions are the policy's: a closed-loop check.  PROVED means
    no such trajectory of ``horizon`` steps exists (bounded: nothing is said beyond it).
    VIOLATED gives the trajectory (``witness["t0"]``... and ``trace``), replayed exactly.
    """
    if horizon < 1:
        raise OptionError(f"horizon={horizon} must be >= 1")
    clock, b = Clock(), budget or Budget()
    g = to_fraction(gamma, "gamma")
    dom = system.domain
    spec_r = _number(system, specified, "specified")
    int_r = _number(system, intended, "intended")
    reqs = tuple(
        system._cond(r, dom, f"require[{i}]") for i, r in enumerate(_conditions(list(require)))
    )
    if below is not None and int_r is None:
        raise OptionError("below= needs an intended reward")
    if reach is not None and spec_r is None:
        raise OptionError("reach= needs a specified reward")
    if below is None and not reqs:
        raise OptionError("say what counts as bad: below= (intended return) or require=")
    roles = [f"t{i}" for i in range(horizon + 1)]
    acting = roles[:-1]
    with evaluate(False):
        constraints: list[tuple[str, sympy.Basic]] = [("init", at(system.init, dom, "t0"))]
        constraints += [
            (f"step {i}", system.step_condition(roles[i], roles[i + 1])) for i in range(horizon)
        ]
        spec_ret = _return(spec_r, dom, acting, g)
        int_ret = _return(int_r, dom, acting, g)
        if reach is not None:
            constraints.append(
                ("specified return reaches the threshold", spec_ret >= to_fraction(reach, "reach"))
            )
        bad = []
        if below is not None:
            bad.append(int_ret < to_fraction(below, "below"))
        action_names = set(dom.names) - set(system.space.names)
        for req in reqs:
            uses_action = any(s.name in action_names for s in req.free_symbols)
            for role in acting if uses_action else roles:
                bad.append(sympy.Not(at(req, dom, role)))
        constraints.append(
            ("intended return below the threshold or a requirement broken", sympy.Or(*bad))
        )
    problem = Problem({r: dom for r in roles}, tuple(constraints))
    query: Problem | None
    if policy is None:
        result, query = search(problem, b, samples), problem
    else:
        from alignspec.inner._support import policy_search

        if policy.domain.variables != dom.variables:
            raise SpecError("the policy's states and actions differ from the system's")
        result, query = policy_search(policy, problem, acting, None, b, samples)
    options = {
        "horizon": horizon,
        "reach": reach,
        "below": below,
        "gamma": g,
        "policy": type(policy).__name__ if policy else None,
    }
    subject = system.name or "transition system"
    if result.status == "none":
        return Finding(
            "bmc",
            Verdict.PROVED,
            f"no trajectory of {horizon} steps from init reaches the specified "
            "threshold while breaking the intent (bounded: nothing is claimed beyond "
            f"{horizon} steps)",
            spec=subject,
            method="smt",
            options=options,
            stats=result.stats,
            elapsed=clock.elapsed,
            query=query,
        )
    if result.status == "unknown" or result.states is None:
        return Finding(
            "bmc",
            Verdict.UNKNOWN,
            f"bmc could not be decided: {result.reason}",
            spec=subject,
            reason=result.reason,
            method=result.method,
            options=options,
            stats=result.stats,
            elapsed=clock.elapsed,
            query=query,
        )
    states = dict(result.states)  # the last state takes no action: drop its free choice
    states[roles[-1]] = {n: states[roles[-1]][n] for n in system.space.names}
    trace = _trace(result.states, roles, spec_r, int_r, reqs, dom, g)
    lines = [f"a trajectory of {horizon} steps that games the specified reward:"] + [
        f"  {role}: {show(states[role])}" for role in roles
    ]
    return Finding(
        "bmc",
        Verdict.VIOLATED,
        "\n".join(lines),
        spec=subject,
        witness=states,
        method=result.method,
        options=options,
        stats=result.stats,
        elapsed=clock.elapsed,
        trace=trace,
        query=query,
        values={"returns": {k: v for k, v in trace[-1].items() if k.endswith("return")}},
    )


def _number(system: TransitionSystem, expr: object, what: str) -> sympy.Basic | None:
    if expr is None:
        return None
    e = canonical(expr, system.domain)
    try:
        number_degree(e, system.domain.variables)
    except SpecError as err:
        raise type(err)(f"{what}: {err}") from None
    return e


def _return(
    expr: sympy.Basic | None, dom: Space, roles: Sequence[str], gamma: Fraction
) -> sympy.Basic:
    if expr is None:
        return sympy.Integer(0)
    return sympy.Add(
        *[
            sympy.Rational(gamma.numerator**i, gamma.denominator**i) * at(expr, dom, r)
            for i, r in enumerate(roles)
        ]
    )


def _trace(
    states: Mapping[str, State],
    roles: Sequence[str],
    spec_r: sympy.Basic | None,
    int_r: sympy.Basic | None,
    reqs: Sequence[sympy.Basic],
    dom: Space,
    gamma: Fraction,
) -> tuple[dict[str, Any], ...]:
    out = []
    spec_ret = int_ret = Fraction(0)
    weight = Fraction(1)
    for i, role in enumerate(roles):
        state = states[role]
        step: dict[str, Any] = {"t": i}
        if i < len(roles) - 1:
            if spec_r is not None:
                spec_ret += weight * value_of(spec_r, dom.variables, state)
            if int_r is not None:
                int_ret += weight * value_of(int_r, dom.variables, state)
            weight *= gamma
        broken = [str(r) for r in reqs if not holds(r, dom.variables, state)]
        if broken:
            step["broken"] = "; ".join(broken)
        step["specified_return"] = spec_ret
        step["intended_return"] = int_ret
        out.append(step)
    return tuple(out)
