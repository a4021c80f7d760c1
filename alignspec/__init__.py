"""alignspec: formal specifications of what AI systems should optimise, checked with SMT.

Outer alignment: is the reward we wrote the goal we meant?  Every verdict is PROVED (a
sound argument), VIOLATED (a witness replayed exactly) or UNKNOWN (with the reason).
"""

from alignspec import inner, mdp, outer, policy, strategies
from alignspec.actions import Actions
from alignspec.assertions import assert_aligned, assert_misaligned
from alignspec.errors import (
    BoundsError,
    ClusterError,
    LabelCountError,
    ModelTooLargeError,
    NotBooleanError,
    NotNumericError,
    OptionError,
    OutsidePolicyError,
    RationalisedWarning,
    SpaceError,
    SpecError,
    SpecFileError,
    UndecidedWarning,
    UnknownLabelError,
    UnknownSymbolError,
    UnsatisfiableAssumptionsError,
    UnsupportedExpressionError,
)
from alignspec.learned import Learned
from alignspec.mdp import MDP, MDPSpec, Trajectories, TransitionSystem
from alignspec.policy import (
    CallablePolicy,
    ExprPolicy,
    ExtractedPolicy,
    Leaf,
    LinearPolicy,
    MLPPolicy,
    Policy,
    Split,
    TablePolicy,
    TreePolicy,
    extract,
)
from alignspec.results import Finding, GoodhartCurve, GoodhartPoint, Report, Verdict
from alignspec.runner import check
from alignspec.solver import Budget
from alignspec.space import Bool, Choice, Int, Real, Space
from alignspec.spec import Intent, Reward, Spec
from alignspec.symbolic.labels import eq, indicator, ne

__version__ = "0.1.0"

__all__ = [
    "MDP",
    "Actions",
    "Bool",
    "BoundsError",
    "Budget",
    "CallablePolicy",
    "Choice",
    "ClusterError",
    "ExprPolicy",
    "ExtractedPolicy",
    "Finding",
    "GoodhartCurve",
    "GoodhartPoint",
    "Int",
    "Intent",
    "LabelCountError",
    "Leaf",
    "Learned",
    "LinearPolicy",
    "MDPSpec",
    "MLPPolicy",
    "ModelTooLargeError",
    "NotBooleanError",
    "NotNumericError",
    "OptionError",
    "OutsidePolicyError",
    "Policy",
    "RationalisedWarning",
    "Real",
    "Report",
    "Reward",
    "Space",
    "SpaceError",
    "Spec",
    "SpecError",
    "SpecFileError",
    "Split",
    "TablePolicy",
    "Trajectories",
    "TransitionSystem",
    "TreePolicy",
    "UndecidedWarning",
    "UnknownLabelError",
    "UnknownSymbolError",
    "UnsatisfiableAssumptionsError",
    "UnsupportedExpressionError",
    "Verdict",
    "__version__",
    "assert_aligned",
    "assert_misaligned",
    "check",
    "eq",
    "extract",
    "indicator",
    "inner",
    "mdp",
    "ne",
    "outer",
    "policy",
    "strategies",
]
