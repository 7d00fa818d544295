"""Exports: CSV formula injection neutralised (hypothesis), COCO/YOLO correctness, streaming in bounded memory."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tracemalloc
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.quality.aggregation import dawid_skene, majority_vote
from marketplace.quality.boxes import Box
from marketplace.quality.exports import (
    FORMULA_TRIGGERS,
    aggregate_record,
    chunked,
    coco_json,
    csv_lines,
    jsonl_lines,
    neutralise_cell,
    yolo_label_text,
    yolo_zip,
)


def read_csv(pieces) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(pieces), newline="")))


# -- CSV ----------------------------------------------------------------------------------------------------------

# Text that often starts with a trigger (plain st.text() rarely would), plus arbitrary text, numbers and None.
texts = st.one_of(st.text(), st.builds(lambda t, rest: t + rest, st.sampled_from(FORMULA_TRIGGERS), st.text()))
cells = st.one_of(texts, st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.none(), st.booleans())


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(texts, min_size=3, max_size=3), max_size=8))
def test_no_exported_text_cell_starts_with_a_formula_trigger_and_it_reads_back(rows):
    out = read_csv(csv_lines(rows, ["a", "b", "c"]))
    assert out[0] == ["a", "b", "c"]
    assert len(out) == len(rows) + 1
    for original_row, read_row in zip(rows, out[1:]):
        for original, cell in zip(original_row, read_row):
            assert not cell.startswith(FORMULA_TRIGGERS)
            # the csv module gives back the same logical value, with the escape quote as the only change
            assert cell == ("'" + original if original.startswith(FORMULA_TRIGGERS) else original)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(cells, min_size=1, max_size=6))
def test_any_cell_that_starts_with_a_trigger_is_a_plain_number(values):
    [read] = read_csv(csv_lines([values], [f"c{i}" for i in range(len(values))]))[1:]
    for value, cell in zip(values, read):
        if cell.startswith(FORMULA_TRIGGERS):
            # only a finite number may start with "-" (a spreadsheet reads it as a number, not a formula)
            assert isinstance(value, (int, float)) and not isinstance(value, bool)
            float(cell)


@pytest.mark.parametrize("value,cell", [
    ("=HYPERLINK(\"http://evil\",\"click\")", "'=HYPERLINK(\"http://evil\",\"click\")"),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("a normal reason", "a normal reason"),
    ("it = fine in the middle", "it = fine in the middle"),
    (-3, "-3"),
    (2.5, "2.5"),
    (float("-inf"), "'-inf"),
    (None, ""),
    (True, "true"),
    (["spam", "ad"], '["spam","ad"]'),
    ({"helpfulness": 5}, '{"helpfulness":5}'),
    (dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.timezone.utc), "2025-01-02T03:04:00+00:00"),
])
def test_cell_neutralisation_examples(value, cell):
    assert neutralise_cell(value) == cell


def test_csv_rows_by_mapping_fill_missing_columns_and_header_is_neutralised_too():
    out = read_csv(csv_lines([{"task": 1, "answer": "=cmd"}, {"task": 2}], ["task", "answer"],
                             headers=["Task", "=Answer"]))
    assert out == [["Task", "'=Answer"], ["1", "'=cmd"], ["2", ""]]


def test_csv_rejects_a_row_with_the_wrong_number_of_cells():
    with pytest.raises(ValueError, match="2 cells but there are 3 columns"):
        list(csv_lines([["a", "b"]], ["x", "y", "z"]))


def test_csv_for_excel_starts_with_a_byte_order_mark_and_keeps_non_ascii():
    text = "".join(csv_lines([["日本語の回答"]], ["answer"], excel_bom=True))
    assert text.startswith("\ufeff")
    assert "日本語の回答" in text


# -- JSONL --------------------------------------------------------------------------------------------------------

def test_jsonl_has_one_object_per_line_with_dates_and_sets_serialised():
    rows = [{"task_id": 1, "answer": {"labels": frozenset({"b", "a"})},
             "submitted_at": dt.datetime(2025, 5, 1, 12, 0, tzinfo=dt.timezone.utc)},
            {"task_id": 2, "answer": {"text": "línea\nnueva"}}]
    lines = "".join(jsonl_lines(rows)).splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first == {"task_id": 1, "answer": {"labels": ["a", "b"]}, "submitted_at": "2025-05-01T12:00:00+00:00"}
    assert second["answer"]["text"] == "línea\nnueva"


def test_aggregate_records_carry_confidence_ties_and_posteriors():
    rows = [("a", 1, "x"), ("b", 1, "y"), ("a", 2, "x"), ("b", 2, "x")]
    mv = majority_vote(rows)
    tie = aggregate_record(mv[1], "majority_vote")
    assert tie == {"task_id": 1, "method": "majority_vote", "answer": "x", "confidence": 0.5, "n_answers": 2,
                   "is_tie": True, "tied_answers": ["x", "y"]}
    ds = dawid_skene(rows)
    rec = json.loads(next(jsonl_lines([aggregate_record(ds.aggregates[2], "dawid_skene", ds.posteriors[2])])))
    assert rec["answer"] == "x" and set(rec["posterior"]) == {"x", "y"} and not rec["is_tie"]


def test_chunked_joins_small_pieces_without_losing_any():
    pieces = [f"row {i}\n" for i in range(10_000)]
    chunks = list(chunked(pieces, size=4096))
    assert "".join(chunks) == "".join(pieces)
    assert all(len(c) >= 4096 for c in chunks[:-1]) and len(chunks) < 100
    assert b"".join(chunked([b"ab", b"cd"], size=3)) == b"abcd"


# -- COCO ---------------------------------------------------------------------------------------------------------

IMAGES = [{"id": 1, "file_name": "street-1.jpg", "width": 640, "height": 480},
          {"id": 2, "file_name": "street-2.png", "width": 1920, "height": 1080},
          {"id": 3, "file_name": "empty.jpg", "width": 300, "height": 200}]
ANNOTATIONS = [{"image_id": 1, "label": "car", "x": 10, "y": 20, "w": 50, "h": 30, "support": 3},
               {"image_id": 1, "label": "person", "x": 100, "y": 100, "w": 20, "h": 60},
               {"image_id": 2, "label": "car", "x": 1800, "y": 1000, "w": 200, "h": 100}]


def test_coco_output_loads_as_json_with_the_right_images_categories_and_boxes():
    doc = json.loads("".join(coco_json(iter(IMAGES), iter(ANNOTATIONS), ["car", "person"], "Street scenes")))
    assert {(i["id"], i["file_name"], i["width"], i["height"]) for i in doc["images"]} == {
        (1, "street-1.jpg", 640, 480), (2, "street-2.png", 1920, 1080), (3, "empty.jpg", 300, 200)}
    assert doc["categories"] == [{"id": 1, "name": "car", "supercategory": ""},
                                 {"id": 2, "name": "person", "supercategory": ""}]
    anns = doc["annotations"]
    assert [a["id"] for a in anns] == [1, 2, 3]
    assert anns[0] == {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10.0, 20.0, 50.0, 30.0],
                       "area": 1500.0, "iscrowd": 0, "attributes": {"support": 3}}
    assert anns[1]["category_id"] == 2 and "attributes" not in anns[1]
    assert doc["info"]["description"] == "Street scenes"


def test_coco_with_no_annotations_is_still_valid():
    doc = json.loads("".join(coco_json([], [], ["car"])))
    assert doc["images"] == [] and doc["annotations"] == []


@pytest.mark.parametrize("images,annotations,message", [
    ([{"id": 1, "file_name": "a.jpg", "width": 0, "height": 10}], [], "has no size"),
    ([{"id": 1, "file_name": "a.jpg"}], [], "needs id, file_name, width and height"),
    ([], [{"image_id": 1, "label": "bus", "x": 0, "y": 0, "w": 1, "h": 1}], "not one of the job's labels"),
    ([], [{"label": "car", "x": 0, "y": 0, "w": 1, "h": 1}], "no image_id"),
])
def test_coco_refuses_bad_rows_with_a_clear_message(images, annotations, message):
    with pytest.raises(ValueError, match=message):
        "".join(coco_json(images, annotations, ["car"]))


# -- YOLO ---------------------------------------------------------------------------------------------------------

def test_yolo_lines_are_normalised_centre_and_size():
    image = {"id": 1, "file_name": "a.jpg", "width": 200, "height": 100}
    text = yolo_label_text(image, [Box("person", 50, 25, 100, 50), {"label": "car", "x": 0, "y": 0, "w": 20,
                                                                     "h": 10}], {"car": 0, "person": 1})
    assert text == "1 0.500000 0.500000 0.500000 0.500000\n0 0.050000 0.050000 0.100000 0.100000\n"


def test_yolo_clips_boxes_to_the_image_and_drops_boxes_outside_it():
    image = {"id": 1, "file_name": "a.jpg", "width": 100, "height": 100}
    # x -10..30 is clipped to 0..30; the second box lies wholly outside
    text = yolo_label_text(image, [Box("car", -10, 0, 40, 100), Box("car", 150, 0, 10, 10)], {"car": 0})
    assert text == "0 0.150000 0.500000 0.300000 1.000000\n"


def test_yolo_zip_has_classes_and_one_label_file_per_image_including_empty_ones():
    by_image = {1: [a for a in ANNOTATIONS if a["image_id"] == 1], 2: [ANNOTATIONS[2]], 3: []}
    data = b"".join(yolo_zip(((img, by_image[img["id"]]) for img in IMAGES), ["car", "person"]))
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert zf.testzip() is None
    assert sorted(zf.namelist()) == ["classes.txt", "labels/empty.txt", "labels/street-1.txt",
                                     "labels/street-2.txt"]
    assert zf.read("classes.txt").decode() == "car\nperson\n"
    assert zf.read("labels/street-1.txt").decode().splitlines() == [
        "0 0.054688 0.072917 0.078125 0.062500", "1 0.171875 0.270833 0.031250 0.125000"]
    assert zf.read("labels/empty.txt") == b""


def test_yolo_zip_can_carry_the_images_themselves():
    image = {"id": 1, "file_name": "cat.jpg", "width": 10, "height": 10, "open": lambda: io.BytesIO(b"\xff\xd8jpeg")}
    zf = zipfile.ZipFile(io.BytesIO(b"".join(yolo_zip([(image, [])], ["cat"]))))
    assert zf.read("images/cat.jpg") == b"\xff\xd8jpeg"


def test_yolo_zip_refuses_two_images_with_the_same_name():
    images = [({"id": 1, "file_name": "a.jpg", "width": 1, "height": 1}, []),
              ({"id": 2, "file_name": "a.png", "width": 1, "height": 1}, [])]
    with pytest.raises(ValueError, match="share the name 'a'"):
        b"".join(yolo_zip(images, ["car"]))


def test_yolo_zip_is_streamed_file_by_file():
    images = (({"id": i, "file_name": f"img-{i}.jpg", "width": 100, "height": 100}, [Box("car", 1, 1, 5, 5)])
              for i in range(50))
    pieces = list(yolo_zip(images, ["car"]))
    assert len(pieces) == 52  # classes.txt, 50 label files (each sent as soon as written), the central directory
    assert max(len(p) for p in pieces[:-1]) < 300


# -- bounded memory -----------------------------------------------------------------------------------------------

def answer_rows(n: int):
    """100,000 realistic answer rows, made one at a time as a database cursor would."""
    for i in range(n):
        yield {"task_id": i, "trainer": f"T-{i % 997:04d}", "answer": "hateful" if i % 3 else "=not hateful",
               "confidence": 0.5 + (i % 50) / 100, "reason": "Slur aimed at a group, no counter-speech context.",
               "submitted_at": dt.datetime(2025, 5, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=i)}


COLUMNS = ["task_id", "trainer", "answer", "confidence", "reason", "submitted_at"]


@pytest.mark.parametrize("writer", [
    pytest.param(lambda rows: csv_lines(rows, COLUMNS), id="csv"),
    pytest.param(jsonl_lines, id="jsonl"),
])
def test_exporting_100k_answers_keeps_peak_memory_bounded(writer):
    n = 100_000
    total = 0
    tracemalloc.start()
    try:
        for chunk in chunked(writer(answer_rows(n))):
            total += len(chunk)  # consume like a socket would; keep nothing
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Measured: the output is 10.9 MB (CSV) / 18.2 MB (JSONL) and merely holding the 100,000 row dicts takes
    # ~44 MB under tracemalloc; streaming peaks at 0.2-0.4 MB (one 64 KiB chunk plus small change).
    assert total > 10_000_000
    assert peak < 1_000_000, f"peak {peak} bytes for {total} bytes of output"
    assert peak < total / 20


def test_coco_export_of_many_images_keeps_peak_memory_bounded():
    n = 10_000
    images = ({"id": i, "file_name": f"img-{i}.jpg", "width": 640, "height": 480} for i in range(n))
    anns = ({"image_id": i // 2, "label": "car", "x": i % 600, "y": 10, "w": 30, "h": 20} for i in range(2 * n))
    total = 0
    tracemalloc.start()
    try:
        for chunk in chunked(coco_json(images, anns, ["car"])):
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > 2_000_000
    assert peak < 1_000_000, f"peak {peak} bytes for {total} bytes of output"
