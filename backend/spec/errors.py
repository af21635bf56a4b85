"""The error raised when an experiment spec, or a spec applied to a dataset, cannot run."""

from __future__ import annotations


class SpecError(ValueError):
    """An experiment spec that cannot run, with every problem found.

    Parameters
    ----------
    problems : list of str
        One sentence per problem; each names the field, the bad value and what is allowed.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            lines = "\n".join(f"- {p}" for p in self.problems)
            message = f"The experiment spec has {len(self.problems)} problems:\n{lines}"
        super().__init__(message)
