"""The one condition language every stage compiles its rules onto: values (folding, numbers, dates), the catalogue
of fields, the text syntax, comparisons and evaluation with explanations. Pure: standard library only."""

from leadflow.conditions.evaluate import Outcome, Part, compile_tree, evaluate
from leadflow.conditions.fields import EVENT, FIT, SALES_READY
from leadflow.conditions.syntax import RuleError, Rule, parse, render

__all__ = ["EVENT", "FIT", "SALES_READY", "Outcome", "Part", "Rule", "RuleError", "compile_tree", "evaluate",
           "parse", "render"]
