"""Sequential objectives: MDPs, reward hacking over trajectories, shaping equivalence."""

from alignspec.mdp.checks import Epic, epic, equivalent, hackable, regret
from alignspec.mdp.model import MDP
from alignspec.mdp.returns import evaluate, optimal
from alignspec.mdp.spec import MDPSpec, Trajectories, forbidden
from alignspec.mdp.system import TransitionSystem, bmc

__all__ = [
    "MDP",
    "Epic",
    "MDPSpec",
    "Trajectories",
    "TransitionSystem",
    "bmc",
    "epic",
    "equivalent",
    "evaluate",
    "forbidden",
    "hackable",
    "optimal",
    "regret",
]
