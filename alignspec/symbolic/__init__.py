"""Symbolic layer: one walker over the supported sympy grammar, and its exact algebras."""
