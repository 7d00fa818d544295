"""Pure parser and formatter for the code of conduct's plain-text form (the data file and the admin editor).

Format: clauses separated by blank lines; each clause starts with a line `<number> <title>` where the number is
like `1`, `2.3` or `4.1.2` (a trailing dot is allowed), followed by one or more lines of text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(\S.*)$")


@dataclass(frozen=True)
class ClauseText:
    number: str
    title: str
    text: str


class ConductFormatError(ValueError):
    """The text is not a valid code of conduct; the message says which clause and why."""


def parse(source: str) -> list[ClauseText]:
    clauses: list[ClauseText] = []
    seen: set[str] = set()
    blocks = [b for b in re.split(r"\n\s*\n", (source or "").replace("\r\n", "\n").strip()) if b.strip()]
    for index, block in enumerate(blocks, start=1):
        if block.lstrip().startswith("#"):
            continue  # a comment block (the data file explains its own format)
        lines = [line.rstrip() for line in block.strip().split("\n")]
        heading = _HEADING.match(lines[0].strip())
        if not heading:
            raise ConductFormatError(
                f"Clause {index} must start with its number and title, like '2.1 Honest work' "
                f"(found {lines[0].strip()[:60]!r}).")
        number, title = heading.group(1), heading.group(2).strip()
        text = " ".join(line.strip() for line in lines[1:] if line.strip())
        if not text:
            raise ConductFormatError(f"Clause {number} ({title}) has no text under its title.")
        if number in seen:
            raise ConductFormatError(f"Clause number {number} is used twice.")
        if len(title) > 200:
            raise ConductFormatError(f"Clause {number}'s title is longer than 200 characters.")
        seen.add(number)
        clauses.append(ClauseText(number=number, title=title, text=text))
    if not clauses:
        raise ConductFormatError("The code of conduct needs at least one clause.")
    return clauses


def format_clauses(clauses) -> str:
    """The editable text for a list of clauses (anything with number, title and text)."""
    return "\n\n".join(f"{c.number} {c.title}\n{c.text}" for c in clauses) + "\n"
