"""Streaming export writers (JSONL, CSV, COCO, YOLO): generators over row iterables, never the whole file in memory.

Each writer takes iterables (e.g. a server-side cursor) and yields pieces as it goes, so a view can return
`Response(stream_with_context(chunked(csv_lines(rows, columns))))` and memory stays flat whatever the job's size.
Text writers yield str; the YOLO writer yields bytes (a ZIP built on the fly).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import shutil
import zipfile
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from .aggregation import Aggregate
from .boxes import Box, parse_box

# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection"); tab and carriage
# return are included because some spreadsheets strip them and then see the formula behind them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def chunked(pieces: Iterable[str | bytes], size: int = 64 * 1024) -> Iterator[str | bytes]:
    """Join small pieces into ~`size` chunks: one socket write per 64 KiB instead of one per row."""
    buf: list = []
    n = 0
    for piece in pieces:
        buf.append(piece)
        n += len(piece)
        if n >= size:
            yield buf[0][:0].join(buf)
            buf, n = [], 0
    if buf:
        yield buf[0][:0].join(buf)


def _json_default(value: Any):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars from the aggregation code
        return value.item()
    if isinstance(value, Box):
        return {"label": value.label, "x": value.x, "y": value.y, "w": value.w, "h": value.h}
    raise TypeError(f"cannot export a {type(value).__name__} as JSON")


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


# -- JSONL --------------------------------------------------------------------------------------------------------

def jsonl_lines(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """One JSON object per line (raw answers or aggregates), UTF-8 text kept readable (no \\u escapes)."""
    for row in rows:
        yield to_json(row) + "\n"


def aggregate_record(agg: Aggregate, method: str, posterior: Mapping[Any, float] | None = None) -> dict:
    """The export row for one aggregated answer (majority vote or Dawid-Skene), ties and confidence included."""
    record = {"task_id": agg.task, "method": method, "answer": agg.value, "confidence": round(agg.confidence, 6),
              "n_answers": agg.n_votes, "is_tie": agg.is_tie}
    if agg.is_tie:
        record["tied_answers"] = list(agg.tied)
    if posterior is not None:
        record["posterior"] = {str(k): round(v, 6) for k, v in posterior.items()}
    return record


# -- CSV ----------------------------------------------------------------------------------------------------------

def neutralise_cell(value: Any) -> str:
    """The text of one CSV cell, with a leading quote added when a spreadsheet would run it as a formula.

    Real numbers are written as they are: "-3" is read by every spreadsheet as the number -3, not a formula, and
    quoting it would corrupt ratings and offsets. Everything else (text, non-finite floats, JSON for structured
    values) is checked for a trigger character.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    if isinstance(value, (dict, list, tuple, set, frozenset, Box)):
        text = to_json(value)
    elif isinstance(value, (dt.datetime, dt.date)):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


class _LastLine:
    """A write-only target for csv.writer that keeps only the row just written."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, s: str) -> int:
        self.parts.append(s)
        return len(s)

    def take(self) -> str:
        out = "".join(self.parts)
        self.parts.clear()
        return out


def csv_lines(rows: Iterable[Mapping[str, Any] | Sequence[Any]], columns: Sequence[str],
              headers: Sequence[str] | None = None, excel_bom: bool = False) -> Iterator[str]:
    """CSV (RFC 4180, CRLF line ends) with a header row; rows are mappings (by column) or sequences (in order).

    Missing mapping keys become empty cells. `excel_bom` prefixes a UTF-8 byte order mark, which Excel needs to
    read non-ASCII text (Japanese prompts, accented names) correctly.
    """
    sink = _LastLine()
    writer = csv.writer(sink, lineterminator="\r\n")
    if excel_bom:
        yield "\ufeff"
    writer.writerow([neutralise_cell(h) for h in (headers or columns)])
    yield sink.take()
    for row in rows:
        if isinstance(row, Mapping):
            cells = [row.get(c) for c in columns]
        else:
            cells = list(row)
            if len(cells) != len(columns):
                raise ValueError(f"a CSV row has {len(cells)} cells but there are {len(columns)} columns")
        writer.writerow([neutralise_cell(v) for v in cells])
        yield sink.take()


# -- COCO ---------------------------------------------------------------------------------------------------------

def _image_fields(image: Mapping[str, Any]) -> tuple[Any, str, int, int]:
    try:
        width, height = int(image["width"]), int(image["height"])
        ident, name = image["id"], str(image["file_name"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"an image needs id, file_name, width and height: {image!r}") from None
    if width <= 0 or height <= 0:
        raise ValueError(f"image {ident!r} has no size ({width}x{height})")
    return ident, name, width, height


def coco_json(images: Iterable[Mapping[str, Any]], annotations: Iterable[Mapping[str, Any]],
              categories: Sequence[str], description: str = "") -> Iterator[str]:
    """A COCO detection file, written incrementally: categories, then every image, then every annotation.

    images: {id, file_name, width, height}; annotations: {image_id, label, x, y, w, h, ...} where any other keys
    (e.g. support, confidence, trainer pseudonym) go into the annotation's "attributes". The two iterables are
    read once each, in order, so they can be two database cursors; annotation ids are numbered from 1 here.
    """
    cat_id = {name: i for i, name in enumerate(categories, start=1)}
    if len(cat_id) != len(categories):
        raise ValueError("category names must be unique")
    head = {"info": {"description": description, "date_created": dt.datetime.now(dt.timezone.utc).isoformat()},
            "licenses": [], "categories": [{"id": i, "name": n, "supercategory": ""} for n, i in cat_id.items()]}
    # Open the object by hand: everything before the two big arrays is small and written at once.
    yield to_json(head)[:-1] + ',"images":['
    for n, image in enumerate(images):
        ident, name, width, height = _image_fields(image)
        yield ("," if n else "") + to_json({"id": ident, "file_name": name, "width": width, "height": height})
    yield '],"annotations":['
    for n, ann in enumerate(annotations, start=1):
        if "image_id" not in ann:
            raise ValueError(f"annotation {n} has no image_id")
        box = parse_box(ann)
        if box.label not in cat_id:
            raise ValueError(f"annotation label {box.label!r} is not one of the job's labels")
        extra = {k: v for k, v in ann.items() if k not in ("image_id", "label", "x", "y", "w", "h")}
        record = {"id": n, "image_id": ann["image_id"], "category_id": cat_id[box.label],
                  "bbox": [box.x, box.y, box.w, box.h], "area": box.area, "iscrowd": 0}
        if extra:
            record["attributes"] = extra
        yield ("," if n > 1 else "") + to_json(record)
    yield "]}\n"


# -- YOLO ---------------------------------------------------------------------------------------------------------

def yolo_label_text(image: Mapping[str, Any], boxes: Iterable[Box | Mapping[str, Any]],
                    class_index: Mapping[str, int]) -> str:
    """One image's YOLO label file: "class cx cy w h" per box, normalised to the image size and clipped to it."""
    _, _, width, height = _image_fields(image)
    lines = []
    for raw in boxes:
        b = parse_box(raw)
        if b.label not in class_index:
            raise ValueError(f"box label {b.label!r} is not one of the job's labels")
        # Clip to the image first: YOLO readers reject coordinates outside 0..1.
        x1, y1 = min(max(b.x, 0.0), width), min(max(b.y, 0.0), height)
        x2, y2 = min(max(b.x2, 0.0), width), min(max(b.y2, 0.0), height)
        if x2 <= x1 or y2 <= y1:
            continue  # nothing of the box is inside the image
        cx, cy = (x1 + x2) / 2 / width, (y1 + y2) / 2 / height
        lines.append(f"{class_index[b.label]} {cx:.6f} {cy:.6f} {(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}")
    return "".join(line + "\n" for line in lines)


class _ZipSink:
    """Unseekable file for zipfile: it collects written bytes until the generator hands them on."""

    def __init__(self):
        self.buf = bytearray()

    def write(self, b) -> int:
        self.buf += b
        return len(b)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        out = bytes(self.buf)
        self.buf.clear()
        return out


def yolo_zip(images: Iterable[tuple[Mapping[str, Any], Iterable[Box | Mapping[str, Any]]]],
             categories: Sequence[str]) -> Iterator[bytes]:
    """A ZIP of YOLO labels, streamed: classes.txt, labels/<image stem>.txt per image (empty when no boxes).

    Each item is (image, boxes). An image mapping may carry "open": a callable returning a binary file, in which
    case the picture is copied into images/<file_name> too. zipfile writes data descriptors on an unseekable
    stream, so each file is emitted as soon as it is written; only the ZIP's index (about 100 bytes a file)
    stays in memory until the end.
    """
    class_index = {name: i for i, name in enumerate(categories)}
    sink = _ZipSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("classes.txt", "".join(f"{name}\n" for name in categories))
        yield sink.drain()
        for image, boxes in images:
            _, file_name, _, _ = _image_fields(image)
            stem = PurePosixPath(file_name).stem
            label_name = f"labels/{stem}.txt"
            if label_name in zf.NameToInfo:  # zipfile's own index, so this check costs no extra memory
                raise ValueError(f"two images share the name {stem!r}; YOLO needs one label file per image name")
            zf.writestr(label_name, yolo_label_text(image, boxes, class_index))
            opener: Callable | None = image.get("open")
            if opener is not None:
                with opener() as src, zf.open(f"images/{PurePosixPath(file_name).name}", "w") as dst:
                    shutil.copyfileobj(src, dst, 256 * 1024)
            yield sink.drain()
    yield sink.drain()  # the central directory, written on close
