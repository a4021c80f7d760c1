"""The infrastructure every family of checks (outer, inner, mdp) builds on: ``run`` (clock,
option validation, the Finding of a search), ``convention`` (one calling convention, the
old spellings), ``links`` (a policy's choices as solver constraints).  It imports no
family: outer, inner and mdp import it, never each other's private modules."""
