"""Pairwise tasks with more than two responses (ranked on the work page) import from JSONL and from CSV."""
import io

from marketplace.jobs.import_readers import RowError, read_csv, read_jsonl
from marketplace.jobs.kinds import task_validator


def rows(reader, text):
    return [row for _line, row in reader(io.BytesIO(text.encode()), "pairwise_preference", 100_000)] \
        if reader is read_csv else [row for _line, row in reader(io.BytesIO(text.encode()), 100_000)]


def test_more_responses_come_as_a_json_list_in_a_csv_cell():
    [row] = rows(read_csv, 'prompt,response_a,response_b,more_responses\nBest haiku?,A,B,"[""C"", ""D""]"\n')
    assert row == {"prompt": "Best haiku?", "response_a": "A", "response_b": "B", "more_responses": ["C", "D"]}
    assert task_validator("pairwise_preference")(row) is None


def test_a_csv_cell_that_is_not_a_list_is_named():
    [row] = rows(read_csv, "prompt,response_a,response_b,more_responses\nBest haiku?,A,B,C and D\n")
    assert isinstance(row, RowError) and row.field == "more_responses" and "JSON list" in row.message


def test_jsonl_rows_carry_the_list_as_is_and_the_schema_bounds_it():
    [row] = rows(read_jsonl, '{"prompt": "P", "response_a": "A", "response_b": "B", "more_responses": ["C"]}\n')
    assert task_validator("pairwise_preference")(row) is None
    too_many = {**row, "more_responses": [str(n) for n in range(9)]}
    assert "more_responses" in task_validator("pairwise_preference")(too_many)
