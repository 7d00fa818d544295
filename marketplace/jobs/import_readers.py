"""Readers for task files: JSONL and CSV, streamed row by row (a file is never read whole into memory).

Each reader yields (line number, row dict) or (line number, RowError); problems with the file as a whole
(not UTF-8, a CSV header with unknown columns) raise FileProblem.
"""
from __future__ import annotations

import csv
import io
import json

import orjson
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from .kinds import import_row_schema, task_input_fields

# CSV cells can hold long texts (code under review); rows stay bounded by JOBS_IMPORT_MAX_ROW_BYTES.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str


class FileProblem(Exception):
    """The file cannot be read as a whole: the message says what to fix."""


def read_jsonl(stream: BinaryIO, max_row_bytes: int) -> Iterator[tuple[int, dict | RowError]]:
    """One JSON object per line; blank lines are skipped; over-long lines are reported, not loaded."""
    line_no = 0
    while True:
        raw = stream.readline(max_row_bytes + 1)
        if not raw:
            return
        line_no += 1
        if len(raw) > max_row_bytes and not raw.endswith(b"\n"):
            while (rest := stream.readline(1024 * 1024)) and not rest.endswith(b"\n"):
                pass  # skip the remainder of the line without holding it
            yield line_no, RowError(line_no, "line", f"is longer than {max_row_bytes // 1024} KB")
            continue
        if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            row = orjson.loads(raw)  # strict: refuses invalid UTF-8, NaN and numbers past 64 bits
        except orjson.JSONDecodeError as exc:
            yield line_no, RowError(line_no, "line", _json_problem(raw, exc))
            continue
        if not isinstance(row, dict):
            yield line_no, RowError(line_no, "line", "must be a JSON object, like {\"text\": \"...\"}")
            continue
        yield line_no, row


def _json_problem(raw: bytes, exc: orjson.JSONDecodeError) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "is not UTF-8 text"
    try:  # the standard library words the problem better, with a column number
        json.loads(raw)
    except ValueError as std:
        return f"is not valid JSON ({std.msg} at column {std.colno})" if hasattr(std, "colno") else \
            f"is not valid JSON ({std})"
    return f"is not valid JSON ({exc})"


def csv_columns(kind: str) -> tuple[list[str], list[str]]:
    required, optional = task_input_fields(kind)
    return required, optional + ["gold", "external_id", "meta.<name>"]


def read_csv(stream: BinaryIO, kind: str, max_row_bytes: int) -> Iterator[tuple[int, dict | RowError]]:
    """A header row naming the kind's fields, then one task per row. Columns `gold` (JSON, or for
    classification a label or labels separated by |), `external_id` and `meta.<name>` are optional."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except UnicodeDecodeError:
        raise FileProblem("The file is not UTF-8 text. Save it as CSV UTF-8 and upload it again.") from None
    header = [name.strip() for name in header]
    required, optional = task_input_fields(kind)
    known = set(required) | set(optional) | {"gold", "external_id"}
    unknown = [n for n in header if n not in known and not (n.startswith("meta.") and len(n) > 5)]
    missing = [n for n in required if n not in header]
    if unknown or missing or len(set(header)) != len(header):
        expected = ", ".join(required + optional + ["gold", "external_id", "meta.<name>"])
        problems = []
        if missing:
            problems.append("missing column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
        if unknown:
            problems.append("unknown column" + ("s " if len(unknown) > 1 else " ") + ", ".join(unknown))
        if len(set(header)) != len(header):
            problems.append("a column is named twice")
        raise FileProblem(f"The CSV header has {'; '.join(problems)}. Expected columns: {expected}.")
    width = len(header)
    lists = {name for name, prop in import_row_schema(kind)["properties"].items() if prop.get("type") == "array"}
    previous_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise FileProblem(f"The file is not UTF-8 text (after line {previous_end}). "
                              "Save it as CSV UTF-8 and upload it again.") from None
        except csv.Error as exc:
            raise FileProblem(f"Line {previous_end + 1}: the CSV cannot be read ({exc}).") from None
        line_no, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != width:
            yield line_no, RowError(line_no, "line", f"has {len(cells)} cells; the header has {width}")
            continue
        if sum(len(cell) for cell in cells) > max_row_bytes:
            yield line_no, RowError(line_no, "line", f"is longer than {max_row_bytes // 1024} KB")
            continue
        row: dict = {}
        for name, value in zip(header, cells):
            if value == "":
                continue
            if name.startswith("meta."):
                row.setdefault("metadata", {})[name[5:]] = value
            elif name == "gold":
                gold = _csv_gold(kind, value)
                if isinstance(gold, RowError):
                    yield line_no, RowError(line_no, "gold", gold.message)
                    break
                row["gold"] = gold
            elif name in lists:
                # A list field (pairwise more_responses) in one cell: a JSON list, e.g. ["third", "fourth"].
                try:
                    row[name] = json.loads(value)
                except ValueError:
                    yield line_no, RowError(line_no, name, 'must be a JSON list, e.g. ["first", "second"]')
                    break
            else:
                row[name] = value
        else:
            yield line_no, row


def _csv_gold(kind: str, value: str):
    value = value.strip()
    if kind == "classification" and not value.startswith("{"):
        return {"labels": [label.strip() for label in value.split("|") if label.strip()]}
    try:
        gold = json.loads(value)
    except ValueError:
        return RowError(0, "gold", "must be a JSON object (for classification: a label, or labels separated by |)")
    return gold
