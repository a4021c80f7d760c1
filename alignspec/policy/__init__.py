"""Learned policies as symbolic objects: exact evaluation, numpy batches, solver encodings."""

from alignspec.policy.base import Policy
from alignspec.policy.blackbox import CallablePolicy
from alignspec.policy.extract import ExtractedPolicy, extract, region_sampler
from alignspec.policy.mlp import MLPPolicy
from alignspec.policy.rules import ExprPolicy, LinearPolicy, TablePolicy
from alignspec.policy.tree import Leaf, Split, TreePolicy

__all__ = [
    "CallablePolicy",
    "ExprPolicy",
    "ExtractedPolicy",
    "Leaf",
    "LinearPolicy",
    "MLPPolicy",
    "Policy",
    "Split",
    "TablePolicy",
    "TreePolicy",
    "extract",
    "region_sampler",
]
