"""What a check of a GUI widget's files finds: each finding names the file and the place in
it. Problems refuse a save (all of them listed at once, `DesignError`); warnings do not (an
Anvil design keeps what Widgetbox does not draw)."""

from __future__ import annotations

from dataclasses import dataclass

from widgetbox.host.errors import Malformed


@dataclass(frozen=True)
class Finding:
    file: str
    where: str
    """The place in the file: a component's name and property (`button_1.properties.text`),
    a line, or "" for the whole file."""
    problem: str

    @property
    def text(self) -> str:
        place = f"{self.file}: {self.where}: " if self.where else f"{self.file}: "
        return place + self.problem

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "where": self.where, "problem": self.problem}


class DesignError(Malformed):
    """Why the files cannot be saved: every problem found, each with its file and place
    (`file`, `where` and `problem` are the first's)."""

    def __init__(self, problems: list[Finding]) -> None:
        if not problems:
            raise ValueError("a DesignError needs a problem")
        self.problems = problems
        first = problems[0]
        self.file = first.file
        self.where = first.where
        self.problem = first.problem
        if len(problems) == 1:
            message = f"The app cannot be saved: {first.text}"
        else:
            listed = "; ".join(found.text for found in problems)
            message = f"The app cannot be saved ({len(problems)} problems): {listed}"
        super().__init__(
            "invalid_design",
            message,
            {
                "file": first.file,
                "where": first.where,
                "problems": [found.as_dict() for found in problems],
            },
        )

    @property
    def text(self) -> str:
        return self.problems[0].text
