"""Sequential objectives: MDPs, reward hacking over trajectories, shaping equivalence."""

from alignspec.mdp._bmc import bmc
from alignspec.mdp._epic import Epic, epic
from alignspec.mdp._equivalent import equivalent
from alignspec.mdp._forbidden import forbidden
from alignspec.mdp._hackable import hackable
from alignspec.mdp._regret import regret
from alignspec.mdp._unbounded import inductive
from alignspec.mdp.invariant import Invariant
from alignspec.mdp.model import MDP
from alignspec.mdp.model_error import ModelError
from alignspec.mdp.returns import evaluate, optimal
from alignspec.mdp.spec import MDPSpec, Trajectories
from alignspec.mdp.system import TransitionSystem

__all__ = [
    "MDP",
    "Epic",
    "Invariant",
    "MDPSpec",
    "ModelError",
    "Trajectories",
    "TransitionSystem",
    "bmc",
    "epic",
    "equivalent",
    "evaluate",
    "forbidden",
    "hackable",
    "inductive",
    "optimal",
    "regret",
]
