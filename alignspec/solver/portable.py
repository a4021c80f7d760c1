"""Re-deciding stored SMT-LIB2 queries with z3 and, independently, cvc5 (optional)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import z3


def z3_answer(text: str, rlimit: int = 200_000_000) -> str:
    s = z3.Solver()
    s.set("rlimit", rlimit)
    s.set("ctrl_c", False)  # Ctrl-C stops a recheck instead of turning into "unknown"
    try:
        s.from_string(text)
        return str(s.check())
    except z3.Z3Exception as err:
        return f"error ({err})"


SOLVERS = ("z3", "cvc5")


def versions(solvers: Sequence[str]) -> dict[str, str | None]:
    """Each solver's version, None for one that is not installed."""
    out: dict[str, str | None] = {}
    for name in solvers:
        if name == "z3":
            out[name] = z3.get_version_string()
        else:
            try:
                import cvc5
            except ImportError:
                out[name] = None
                continue
            out[name] = str(getattr(cvc5, "__version__", None) or _cvc5_version(cvc5))
    return out


def _cvc5_version(cvc5: Any) -> str:
    tm = cvc5.TermManager()
    return str(cvc5.Solver(tm).getVersion()).removeprefix("This is cvc5 version ").split()[0]


def cvc5_answer(text: str) -> str | None:
    """cvc5's answer, or None when cvc5 is not installed (pip install 'alignspec[cvc5]')."""
    try:
        import cvc5
    except ImportError:
        return None
    tm = cvc5.TermManager()
    solver = cvc5.Solver(tm)
    parser = cvc5.InputParser(solver)
    try:
        parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "query")
        symbols = parser.getSymbolManager()
        answers = []
        while True:
            command = parser.nextCommand()
            if command.isNull():
                break
            answers.append(str(command.invoke(solver, symbols)).strip())
    except Exception as err:  # cvc5 rejects what it cannot read: say so
        return f"error ({err})"
    said = [a for a in answers if a]
    return said[-1] if said else "no answer"
