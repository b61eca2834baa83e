"""The labeller and grader registries resolve to the classes and functions the commands run."""

from prmkit.labeling import (
    GRADERS,
    LABELLERS,
    BinarySearch,
    MonteCarlo,
)
from prmkit.labeling.tree_search import TreeSearch
from prmkit.steps import grade_text, grade_text_lenient


def test_every_registered_name_resolves_to_what_it_names() -> None:
    assert {name: LABELLERS.get(name) for name in LABELLERS} == {
        "mc": MonteCarlo, "binary_search": BinarySearch, "tree_search": TreeSearch,
    }  # fmt: skip
    assert {name: GRADERS.get(name) for name in GRADERS} == {"strict": grade_text, "lenient": grade_text_lenient}
    for name in LABELLERS:
        assert LABELLERS.get(name).method == name  # the registry key is the method a job records
