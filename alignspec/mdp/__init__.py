"""Sequential objectives: MDPs, reward hacking over trajectories, shaping equivalence."""

from alignspec.mdp.checks import Epic, epic, equivalent, hackable, regret
from alignspec.mdp.evaluate import evaluate, optimal
from alignspec.mdp.model import MDP

__all__ = ["MDP", "Epic", "epic", "equivalent", "evaluate", "hackable", "optimal", "regret"]
