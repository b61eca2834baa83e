"""Test-time selection: step scores -> solution scores (aggregators) -> one chosen answer (selectors).

>>> from prmkit.search import aggregate, select
>>> scores = [aggregate(s, "min") for s in ([0.9, 0.2], [0.6, 0.7], [0.5, 0.5])]
>>> select("best_of_n", ["12", "13", "13"], scores).index
1
"""

from prmkit.search.aggregate import AGGREGATORS, Aggregator, aggregate
from prmkit.search.select import SELECTORS, Selection, Selector, select

__all__ = ["AGGREGATORS", "SELECTORS", "Aggregator", "Selection", "Selector", "aggregate", "select"]
