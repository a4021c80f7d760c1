"""Bridges to the tools RL users work in (gymnasium, ...); each imports its tool lazily."""
