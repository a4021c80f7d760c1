"""Differential test harness (issue 8): random small specs, policies, MDPs and transition
systems over domains small enough to enumerate; ground truth by brute force.

Layout:
- ``evaluator``: the harness's own exact evaluator of the spec language (Fractions);
- ``generators``: hypothesis strategies (spaces, expressions, specs, policies of every
  kind, MDPs with rewards in every form, transition systems) and runnable reproductions;
- ``oracles``: brute-force answers to each check's documented question;
- ``z3oracle``: an independent z3 encoding, only to break ties on Real domains;
- ``known``: signatures of the known bugs being fixed (tallied, or failed with
  ``--differential-known=fail``);
- ``harness``: budgets, the typed-error rule, tallies (UNKNOWN rates) printed at the end;
- ``test_*``: the properties.

Run ``pytest tests/differential`` (fast, seeded: the CI profile) or
``pytest tests/differential --differential=long`` (thousands of examples per test).
"""
