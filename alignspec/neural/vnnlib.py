"""VNN-LIB properties, read exactly, and stated as alignspec specs.

VNN-LIB (the property format of VNN-COMP) is a subset of SMT-LIB 2: ``(declare-const X_i
Real)`` for the network's inputs, ``(declare-const Y_j Real)`` for its outputs, and
``(assert ...)`` of linear comparisons combined with ``and`` / ``or``.  A file describes
the UNSAFE set: the instance is ``sat`` when some input satisfying the input constraints
makes the network produce an output satisfying the output constraints.

Every numeral becomes the exact rational its decimal text denotes (``0.679857769`` is
679857769/10**9), so a property read here is the property written, not a float near it.

    prop = read("prop_2.vnnlib")          # VnnProperty: boxes, unsafe DNF
    policy, spec, region = load("net.onnx", "prop_2.vnnlib")
    al.inner.verify(policy, spec, region)  # PROVED <=> the instance is unsat
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator, Sequence
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Literal, NamedTuple

import attrs
import sympy
from sympy.core.parameters import evaluate

from alignspec.errors import SpecError, SpecFileError, UnsupportedExpressionError
from alignspec.policy.base import Policy
from alignspec.policy.mlp import MLPPolicy
from alignspec.space import Real, Space
from alignspec.spec import Intent, Spec

#: Largest disjunctive normal form accepted (per assert and for the conjunction of asserts).
MAX_DISJUNCTS = 10_000
#: Top-level commands that are accepted and ignored.
IGNORED = ("set-logic", "set-info", "set-option", "check-sat", "get-model", "exit")

Op = Literal["<=", "<", "="]
Interval = tuple[Fraction, Fraction]
Box = tuple[Interval, ...]


class Constraint(NamedTuple):
    """``y · Y + x · X + const  OP  0`` with exact coefficients (OP: ``<=``, ``<``, ``=``)."""

    y: tuple[Fraction, ...]
    x: tuple[Fraction, ...]
    const: Fraction
    op: Op

    def value(self, x: Sequence[Fraction], y: Sequence[Fraction]) -> Fraction:
        """The left-hand side at inputs ``x`` and outputs ``y`` (exact)."""
        total = self.const
        for c, v in zip(self.y, y, strict=True):
            total += c * v
        for c, v in zip(self.x, x, strict=True):
            total += c * v
        return total

    def holds(self, x: Sequence[Fraction], y: Sequence[Fraction] = ()) -> bool:
        """Whether the constraint holds exactly (``y`` may be omitted for input constraints)."""
        v = self.value(x, y if len(y) else (Fraction(0),) * len(self.y))
        return v <= 0 if self.op == "<=" else v < 0 if self.op == "<" else v == 0


Conjunction = tuple[Constraint, ...]
#: A disjunction of conjunctions: () is false, ((),) is true.
DNF = tuple[Conjunction, ...]


@attrs.frozen
class VnnProperty:
    """A VNN-LIB property: an input region and the unsafe output condition.

    ``input_boxes`` is a disjunction of closed boxes (one ``(lo, hi)`` per input);
    ``input_constraints[k]`` are further constraints of box ``k`` that are not plain bounds
    (linear constraints over several inputs, and strict bounds, whose closure the box
    holds).  ``unsafe`` is a disjunction of conjunctions of constraints over outputs (and
    possibly inputs).  The instance is ``sat`` iff some ``x`` in the region has
    ``is_unsafe(x, network(x))``.
    """

    n_inputs: int
    n_outputs: int
    input_boxes: tuple[Box, ...]
    input_constraints: tuple[Conjunction, ...]
    unsafe: DNF
    source: str = "<string>"

    @property
    def hull(self) -> Box:
        """The smallest box containing every input box."""
        return tuple(
            (min(b[i][0] for b in self.input_boxes), max(b[i][1] for b in self.input_boxes))
            for i in range(self.n_inputs)
        )

    def in_region(self, x: Sequence[Fraction]) -> bool:
        """Whether input ``x`` satisfies the input constraints (exactly)."""
        return any(
            all(lo <= v <= hi for (lo, hi), v in zip(box, x, strict=True))
            and all(c.holds(x) for c in extra)
            for box, extra in zip(self.input_boxes, self.input_constraints, strict=True)
        )

    def is_unsafe(self, x: Sequence[Fraction], y: Sequence[Fraction]) -> bool:
        """Whether input ``x`` with output ``y`` meets the unsafe condition (exactly)."""
        return any(all(c.holds(x, y) for c in conj) for conj in self.unsafe)

    def violated_at(self, x: Sequence[Fraction], y: Sequence[Fraction]) -> bool:
        """Whether ``(x, y)`` is a counterexample: ``x`` in the region and ``y`` unsafe."""
        return self.in_region(x) and self.is_unsafe(x, y)


# --- s-expressions ---------------------------------------------------------------------------


@attrs.frozen
class _Atom:
    text: str
    line: int


@attrs.frozen
class _List:
    items: tuple[_Sexp, ...]
    line: int


_Sexp = _Atom | _List
_TOKEN = re.compile(r"[()]|[^\s();]+")
_NUMERAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"([XY])_(\d+)")


def _show(node: _Sexp, limit: int = 80) -> str:
    def text(n: _Sexp) -> str:
        return n.text if isinstance(n, _Atom) else "(" + " ".join(map(text, n.items)) + ")"

    out = text(node)
    return out if len(out) <= limit else out[: limit - 3] + "..."


class _Reader:
    """Parses one file's text; every error names the file, the line and the culprit."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.declared: dict[str, tuple[str, int]] = {}  # name -> ("X" | "Y", index)
        self.declarations: dict[str, _List] = {}
        self.n_x = self.n_y = 0

    def error(
        self, node: _Sexp | int, problem: str, kind: type[SpecError] = SpecFileError
    ) -> SpecError:
        if isinstance(node, int):
            return kind(f"{self.source}, line {node}: {problem}")
        return kind(f"{self.source}, line {node.line}: {problem} (in `{_show(node)}`)")

    def tokens(self) -> Iterator[tuple[str, int]]:
        for number, line in enumerate(self.text.splitlines(), start=1):
            for match in _TOKEN.finditer(line.split(";", 1)[0]):
                yield match.group(), number

    def sexps(self) -> list[_Sexp]:
        stack: list[tuple[int, list[_Sexp]]] = []
        top: list[_Sexp] = []
        for token, line in self.tokens():
            if token == "(":
                stack.append((line, []))
            elif token == ")":
                if not stack:
                    raise self.error(
                        line, "unbalanced parentheses: this `)` closes nothing; remove it"
                    )
                opened, items = stack.pop()
                (stack[-1][1] if stack else top).append(_List(tuple(items), opened))
            else:
                (stack[-1][1] if stack else top).append(_Atom(token, line))
        if stack:
            raise self.error(
                stack[-1][0],
                "unbalanced parentheses: the `(` opened on this line is never closed; "
                "add the missing `)`",
            )
        return top

    # --- commands ----------------------------------------------------------------------------
    def read(self) -> VnnProperty:
        asserts: list[_List] = []
        for node in self.sexps():
            if not isinstance(node, _List) or not node.items:
                raise self.error(node, "expected a command such as (assert ...)")
            head = node.items[0]
            command = head.text if isinstance(head, _Atom) else ""
            if command == "declare-const":
                self.declare(node)
            elif command == "assert":
                if len(node.items) != 2:
                    raise self.error(node, "assert takes exactly one condition")
                asserts.append(node)
            elif command not in IGNORED:
                raise self.error(
                    node,
                    f"unsupported command `{_show(head)}`; VNN-LIB files use declare-const "
                    "and assert",
                )
        self.n_x, self.n_y = self.count("X"), self.count("Y")
        inputs: list[DNF] = []
        outputs: list[DNF] = []
        for node in asserts:
            dnf = self.condition(node.items[1])
            mentions_y = any(any(c.y) for conj in dnf for c in conj)
            (outputs if mentions_y else inputs).append(dnf)
        where = asserts[-1] if asserts else 1
        unsafe = self.conjoin(outputs, where)
        # Input bounds written inside the output condition, as in (or (and X.. Y..) ...):
        # the region may also require some disjunct's input part (this changes no answer).
        projection = tuple(tuple(c for c in conj if not any(c.y)) for conj in unsafe)
        if projection and all(projection):
            inputs.append(projection)
        boxes, extras = self.boxes(self.conjoin(inputs, where), self.n_x)
        return VnnProperty(self.n_x, self.n_y, boxes, extras, unsafe, source=self.source)

    def declare(self, node: _List) -> None:
        items = node.items
        if len(items) != 3 or not all(isinstance(i, _Atom) for i in items):
            raise self.error(node, "write declarations as (declare-const X_0 Real)")
        name, sort = items[1], items[2]
        assert isinstance(name, _Atom) and isinstance(sort, _Atom)
        if sort.text != "Real":
            raise self.error(node, f"sort `{sort.text}` is not supported; declare Real")
        match = _NAME.fullmatch(name.text)
        if match is None:
            raise self.error(
                node,
                f"`{name.text}` is not a VNN-LIB variable name; inputs are X_0, X_1, ... and "
                "outputs Y_0, Y_1, ...",
            )
        if name.text in self.declared:
            raise self.error(node, f"`{name.text}` is declared twice; remove one declaration")
        self.declared[name.text] = (match.group(1), int(match.group(2)))
        self.declarations[name.text] = node

    def count(self, kind: str) -> int:
        indices = sorted(i for k, i in self.declared.values() if k == kind)
        if indices != list(range(len(indices))):
            missing = sorted(set(range(max(indices) + 1)) - set(indices))
            raise self.error(
                self.declarations[f"{kind}_{max(indices)}"],
                f"{kind}_ variables must be numbered 0, 1, 2, ... without gaps; "
                f"declare {', '.join(f'{kind}_{i}' for i in missing)}",
            )
        return len(indices)

    # --- conditions and terms ----------------------------------------------------------------
    def conjoin(self, parts: Sequence[DNF], where: _Sexp | int) -> DNF:
        out: DNF = ((),)
        for part in parts:
            if len(out) * len(part) > MAX_DISJUNCTS:
                raise self.error(
                    where,
                    f"the conditions expand to more than {MAX_DISJUNCTS} disjuncts in "
                    "disjunctive normal form; split the property into several files",
                )
            out = tuple(a + b for a in out for b in part)
        return out

    def condition(self, node: _Sexp) -> DNF:
        if isinstance(node, _Atom) or not node.items or not isinstance(node.items[0], _Atom):
            raise self.error(
                node,
                "expected a condition: (<= a b), (>= a b), (< a b), (> a b), (= a b), "
                "(and ...) or (or ...)",
            )
        op, args = node.items[0].text, node.items[1:]
        if op == "and":
            return self.conjoin([self.condition(a) for a in args], node)
        if op == "or":
            out = tuple(conj for a in args for conj in self.condition(a))
            if len(out) > MAX_DISJUNCTS:
                raise self.error(node, f"more than {MAX_DISJUNCTS} disjuncts; split the file")
            return out
        if op in ("<=", ">=", "<", ">", "="):
            if len(args) < 2:
                raise self.error(node, f"`{op}` needs two operands")
            terms = [self.term(a) for a in args]
            atoms = [self.atom(op, a, b, node) for a, b in pairwise(terms)]
            return self.conjoin(atoms, node)
        if op in ("+", "-", "*", "/"):
            raise self.error(node, "a number where a condition is expected; compare it: (<= ...)")
        raise self.error(
            node,
            f"unknown operator `{op}` in a condition; supported: <=, >=, <, >, =, and, or",
            UnsupportedExpressionError,
        )

    def atom(self, op: str, a: _Linear, b: _Linear, node: _Sexp) -> DNF:
        # a OP b  becomes  (a - b) OP' 0, or (b - a) OP' 0 for >= and >
        left, right = (b, a) if op in (">=", ">") else (a, b)
        coeffs = dict(left[0])
        for name, c in right[0].items():
            coeffs[name] = coeffs.get(name, Fraction(0)) - c
        const = left[1] - right[1]
        norm: Op = "<=" if op in ("<=", ">=") else "<" if op in ("<", ">") else "="
        if not any(coeffs.values()):  # a comparison of constants: true or false
            ok = const <= 0 if norm == "<=" else const < 0 if norm == "<" else const == 0
            return ((),) if ok else ()
        x, y = [Fraction(0)] * self.n_x, [Fraction(0)] * self.n_y
        for name, c in coeffs.items():
            kind, i = self.declared[name]
            (x if kind == "X" else y)[i] = c
        return ((Constraint(tuple(y), tuple(x), const, norm),),)

    def term(self, node: _Sexp) -> _Linear:
        if isinstance(node, _Atom):
            if node.text in self.declared:
                return {node.text: Fraction(1)}, Fraction(0)
            if _NUMERAL.fullmatch(node.text):
                return {}, Fraction(node.text)
            if _NAME.fullmatch(node.text):
                raise self.error(
                    node,
                    f"undeclared variable `{node.text}`; add (declare-const {node.text} Real)",
                )
            raise self.error(
                node,
                f"`{node.text}` is neither a number nor a declared variable; write numerals "
                "as 0.5, -2 or 1e-3 and declare variables with declare-const",
            )
        if not node.items or not isinstance(node.items[0], _Atom):
            raise self.error(node, "expected a number, a variable or (+ ...), (- ...), (* ...)")
        op = node.items[0].text
        if op in ("<=", ">=", "<", ">", "=", "and", "or"):
            raise self.error(node, f"`{op}` is a condition where a number is expected")
        if op not in ("+", "-", "*", "/"):
            raise self.error(
                node,
                f"unknown operator `{op}` in a term; supported: +, -, * and / by constants",
                UnsupportedExpressionError,
            )
        args = [self.term(a) for a in node.items[1:]]
        if not args:
            raise self.error(node, f"`{op}` needs operands")
        if op == "+":
            return _sum(args)
        if op == "-":
            if len(args) == 1:
                return _scale(args[0], Fraction(-1))
            return _sum([args[0]] + [_scale(a, Fraction(-1)) for a in args[1:]])
        if op == "*":
            product: _Linear = ({}, Fraction(1))
            for a in args:
                if _variable(product) and _variable(a):
                    raise self.error(
                        node,
                        "a product of variables is not linear; VNN-LIB terms multiply "
                        "variables only by constants",
                        UnsupportedExpressionError,
                    )
                product = _scale(product, a[1]) if _variable(product) else _scale(a, product[1])
            return product
        out = args[0]  # op is "/"
        for a in args[1:]:
            if _variable(a) or a[1] == 0:
                raise self.error(
                    node,
                    "division only by a non-zero constant is supported",
                    UnsupportedExpressionError,
                )
            out = _scale(out, 1 / a[1])
        return out

    # --- the input region --------------------------------------------------------------------
    def boxes(self, region: DNF, n: int) -> tuple[tuple[Box, ...], tuple[Conjunction, ...]]:
        boxes: list[Box] = []
        extras: list[Conjunction] = []
        for k, conj in enumerate(region):
            lo: list[Fraction | None] = [None] * n
            hi: list[Fraction | None] = [None] * n
            extra: list[Constraint] = []
            for c in conj:
                used = [i for i, a in enumerate(c.x) if a]
                if len(used) != 1:
                    extra.append(c)
                    continue
                i = used[0]
                bound = -c.const / c.x[i]
                if c.op == "=" or c.x[i] > 0:
                    hi[i] = bound if hi[i] is None else min(hi[i], bound)  # type: ignore[type-var]
                if c.op == "=" or c.x[i] < 0:
                    lo[i] = bound if lo[i] is None else max(lo[i], bound)  # type: ignore[type-var]
                if c.op == "<":
                    extra.append(c)  # the box holds the closure; the strict bound stays here
            for i in range(n):
                if lo[i] is None or hi[i] is None:
                    side = "lower" if lo[i] is None else "upper"
                    example = f"(assert ({'>=' if side == 'lower' else '<='} X_{i} ...))"
                    where = f" of input box {k}" if len(region) > 1 else ""
                    raise SpecFileError(
                        f"{self.source}: X_{i} has no {side} bound{where}; every input needs "
                        f"finite bounds, e.g. {example}"
                    )
            box = tuple((a, b) for a, b in zip(lo, hi, strict=True))
            if all(a <= b for a, b in box):  # type: ignore[operator]
                boxes.append(box)  # type: ignore[arg-type]
                extras.append(tuple(extra))
        if not boxes and n:
            raise SpecFileError(
                f"{self.source}: the input constraints admit no input (every box has a lower "
                "bound above its upper bound); check the bounds"
            )
        return tuple(boxes), tuple(extras)


_Linear = tuple[dict[str, Fraction], Fraction]  # (coefficient per variable, constant)


def _sum(terms: Sequence[_Linear]) -> _Linear:
    coeffs: dict[str, Fraction] = {}
    const = Fraction(0)
    for c, k in terms:
        for name, a in c.items():
            coeffs[name] = coeffs.get(name, Fraction(0)) + a
        const += k
    return coeffs, const


def _variable(term: _Linear) -> bool:
    return any(term[0].values())


def _scale(term: _Linear, factor: Fraction) -> _Linear:
    return {n: a * factor for n, a in term[0].items()}, term[1] * factor


# --- public entry points ---------------------------------------------------------------------


def parse(text: str, source: str = "<string>") -> VnnProperty:
    """Parse VNN-LIB ``text``; ``source`` names it in error messages."""
    return _Reader(text, source).read()


def read(path: str | Path) -> VnnProperty:
    """Read a VNN-LIB file (``.vnnlib`` or gzip-compressed ``.vnnlib.gz``).

    Raises SpecFileError (or UnsupportedExpressionError for non-linear or unknown
    operators), naming the file, the line and the offending text.
    """
    p = Path(path)
    try:
        raw = gzip.open(p).read() if p.suffix == ".gz" else p.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, EOFError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise SpecFileError(f"{p}: cannot read the VNN-LIB file ({reason})") from None
    except UnicodeDecodeError as err:
        raise SpecFileError(f"{p}: not a UTF-8 text file ({err.reason})") from None
    return parse(text, str(p))


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def _relation(c: Constraint, xs: Sequence[sympy.Symbol], ys: Sequence[sympy.Symbol]) -> object:
    """The constraint as ``positive terms OP negative terms`` (reads like the file)."""
    left: list[sympy.Basic] = []
    right: list[sympy.Basic] = []
    for coeffs, symbols in ((c.y, ys), (c.x, xs)):
        for a, s in zip(coeffs, symbols, strict=True):
            if a:
                side, a = (left, a) if a > 0 else (right, -a)
                side.append(s if a == 1 else sympy.Mul(_rational(a), s))
    if c.const:
        (left if c.const > 0 else right).append(_rational(abs(c.const)))
    lhs = sympy.Add(*left) if left else sympy.Integer(0)
    rhs = sympy.Add(*right) if right else sympy.Integer(0)
    kind = {"<=": sympy.Le, "<": sympy.Lt, "=": sympy.Eq}[c.op]
    return kind(lhs, rhs)


def _symbols(prop: VnnProperty, policy: Policy) -> tuple[list[sympy.Symbol], list[sympy.Symbol]]:
    want_x = tuple(f"X_{i}" for i in range(prop.n_inputs))
    want_y = tuple(f"Y_{j}" for j in range(prop.n_outputs))
    if policy.space.names != want_x or policy.finite or policy.action_names != want_y:
        raise SpecError(
            f"{prop.source}: the property speaks of inputs {', '.join(want_x)} and outputs "
            f"{', '.join(want_y)}; the policy has states {', '.join(policy.space.names)} and "
            f"actions {policy.actions!r}. Load the network with MLPPolicy.from_onnx(path) "
            "(no space, no actions) or with vnnlib.load"
        )
    v = policy.domain.vars
    return [v[n] for n in want_x], [v[n] for n in want_y]


def unsafe_condition(prop: VnnProperty, policy: Policy) -> sympy.Basic:
    """The unsafe output condition as a sympy condition over the policy's variables."""
    xs, ys = _symbols(prop, policy)
    with evaluate(False):
        return sympy.Or(*[sympy.And(*[_relation(c, xs, ys) for c in conj]) for conj in prop.unsafe])


def region_condition(prop: VnnProperty, policy: Policy) -> sympy.Basic:
    """The input region (the disjunction of the boxes and their extra constraints) as a
    sympy condition over the policy's state variables."""
    xs, ys = _symbols(prop, policy)
    with evaluate(False):
        return sympy.Or(
            *[
                sympy.And(
                    *[
                        part
                        for (lo, hi), x in zip(box, xs, strict=True)
                        for part in (sympy.Le(_rational(lo), x), sympy.Le(x, _rational(hi)))
                    ],
                    *[_relation(c, xs, ys) for c in extra],
                )
                for box, extra in zip(prop.input_boxes, prop.input_constraints, strict=True)
            ]
        )


def to_spec(prop: VnnProperty, policy: Policy, name: str | None = None) -> tuple[Spec, sympy.Basic]:
    """The property as ``(spec, region)`` for a policy over ``X_0..`` with action variables
    ``Y_0..`` (e.g. ``MLPPolicy.from_onnx(path)``, mode None).

    The spec requires ``Not(unsafe)``; ``region`` is the input region.  So
    ``alignspec.inner.verify(policy, spec, region)`` is PROVED exactly when the VNN-LIB
    instance is ``unsat``, and its VIOLATED witness is a counterexample (``sat``).
    """
    requirement = sympy.Not(unsafe_condition(prop, policy), evaluate=False)
    spec = Spec(
        space=policy.space,
        intent=Intent(require=[requirement]),
        actions=policy.actions,
        name=name or Path(prop.source).name,
    )
    return spec, region_condition(prop, policy)


def hull_space(prop: VnnProperty) -> Space:
    """The state space ``X_0..X_{n-1}`` bounded by the hull of the input boxes."""
    return Space(**{f"X_{i}": Real(lo, hi) for i, (lo, hi) in enumerate(prop.hull)})


def load(onnx_path: str | Path, vnnlib_path: str | Path) -> tuple[MLPPolicy, Spec, sympy.Basic]:
    """A VNN-COMP instance in one call: ``(policy, spec, region)``.

    The policy's states ``X_i`` are bounded by the hull of the input boxes; its action
    variables ``Y_j`` by sound bounds of each output over that hull (exact interval
    arithmetic, rounded outward), so the network's output never leaves them.
    """
    from alignspec.policy.onnx_import import layers_from_onnx, resolve

    prop = read(vnnlib_path)
    layers = layers_from_onnx(Path(onnx_path))
    n_in, n_out = layers[0][0].shape[1], layers[-1][0].shape[0]
    if (n_in, n_out) != (prop.n_inputs, prop.n_outputs):
        raise SpecFileError(
            f"{onnx_path} has {n_in} inputs and {n_out} outputs, but {vnnlib_path} declares "
            f"{prop.n_inputs} inputs (X_) and {prop.n_outputs} outputs (Y_); pair the network "
            "with a property written for it"
        )
    space, actions, _ = resolve(layers, hull_space(prop), None, None, None)
    policy = MLPPolicy(space, actions, layers, mode=None)
    spec, region = to_spec(prop, policy, f"{Path(onnx_path).stem} / {Path(vnnlib_path).stem}")
    return policy, spec, region
