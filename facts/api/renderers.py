"""The JSON renderer (orjson), and the export formats: CSV for every list, GeoJSON for places and events.

They are list formats: the view's export path feeds `stream()` chunk by chunk, so that an export of any size never
sits in memory and is not capped by the page size. Detail views answer JSON only.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator

import orjson
from drf_orjson_renderer.renderers import ORJSONRenderer  # type: ignore[import-untyped]  # ships no types
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# What DRF's encoder makes of the values orjson leaves to `default` (and of datetimes, passed through to it):
# datetimes in DRF's form (milliseconds, "Z" for UTC), decimals as numbers, everything else as DRF's encoder does.
_drf_encoder = JSONEncoder()


class OrjsonRenderer(ORJSONRenderer):
    """JSON through orjson (drf-orjson-renderer): the same content as DRF's JSONRenderer, several times faster.

    Datetimes and Decimals go through DRF's encoder, so a value reads the same; keys that are not strings become
    strings, as json.dumps makes them. A request for indented JSON (`Accept: application/json; indent=4`, or the
    browsable API's rendering) is DRF's JSONRenderer's: orjson only indents by 2.
    """

    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    @staticmethod
    def default(obj):
        return _drf_encoder.default(obj)

    def render(self, data, media_type=None, renderer_context=None):
        context = renderer_context or {}
        if context.get("indent") or (media_type and "indent=" in media_type):
            return JSONRenderer().render(data, media_type, renderer_context)
        if data is None:
            return b""
        return orjson.dumps(data, default=self.default, option=self.options)


def flatten(value) -> str:
    """One CSV cell for a serialized value: references become their slug, code or id; lists are joined with " | "."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " | ".join(flatten(item) for item in value)
    if isinstance(value, dict):
        if "role" in value and "slug" in value:
            return f"{value['slug']}:{value['role']}"  # a participant keeps its role
        for key in ("slug", "code", "quote", "id"):
            if key in value:
                return str(value[key])
        if {"name", "kind"} <= set(value) <= {"name", "kind", "external", "evidence"}:
            return str(value["name"])  # an alias (its evidence and external mark are in the JSON)
        return json.dumps(value, ensure_ascii=False, sort_keys=True, cls=JSONEncoder)
    return str(value)


# A spreadsheet reads a cell that begins with one of these as a formula (=HYPERLINK(...), +cmd|..., @SUM(...), and
# after a tab or carriage return too): OWASP's list for CSV injection.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """One CSV cell, neutralised against formula injection as OWASP recommends: text that begins with a formula
    trigger gets a leading single quote, which spreadsheets show as text and do not evaluate.

    Every text is treated so, whatever follows the trigger: a title "-5" exports as "'-5", because "-5+1" and
    "-2+3+cmd|' /C calc'!A0" begin the same way and it is the spreadsheet, not this exporter, that decides what is
    a formula. Values the API serializes as numbers (coordinates, ids, counts) are not text and stay as they are,
    -33.86 included: a number cannot hold a formula.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = flatten(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def column_value(item: dict, name: str):
    """The value of an export column: a field of the item, or `field.key` for a key of a nested object (None when
    the object is null)."""
    if name in item:
        return item[name]
    field, dot, key = name.partition(".")
    nested = item.get(field) if dot else None
    return nested.get(key) if isinstance(nested, dict) else None


class ExportRenderer(BaseRenderer):
    """Base of the list-export formats. Lists are streamed by the view through `stream()`; `render()` only serves
    bodies that are not a list export (an error raised before the view could switch to JSON), as plain JSON."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return json.dumps(data, ensure_ascii=False, cls=JSONEncoder).encode()

    def stream(self, header: list[str], chunks: Iterable[list[tuple[dict, list | None]]]) -> Iterator[str]:
        """Text pieces of the whole export; `chunks` yields lists of (serialized item, [lon, lat] or None)."""
        raise NotImplementedError


class CSVRenderer(ExportRenderer):
    """Flat CSV: a header row of field names, then one row per item, cells neutralised against formulas."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def stream(self, header, chunks):
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def drain() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        writer.writerow(header)
        yield drain()
        for chunk in chunks:
            for item, _point in chunk:
                writer.writerow([csv_cell(column_value(item, name)) for name in header])
            yield drain()


class GeoJSONRenderer(ExportRenderer):
    """A GeoJSON FeatureCollection of the items that have coordinates; their serialized fields become properties."""

    media_type = "application/geo+json"
    format = "geojson"
    charset = None  # JSON is UTF-8 by definition (RFC 8259)

    @staticmethod
    def dumps(obj) -> str:
        return json.dumps(obj, ensure_ascii=False, cls=JSONEncoder, separators=(",", ":"))

    def stream(self, header, chunks):
        yield '{"type":"FeatureCollection","features":['
        first = True
        for chunk in chunks:
            parts = []
            for item, point in chunk:
                if point is None:
                    continue
                feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": point}, "properties": item}
                key = item.get("slug", item.get("id"))
                if key is not None:  # absent when `fields=` leaves out both
                    feature["id"] = key
                parts.append(("" if first else ",") + self.dumps(feature))
                first = False
            yield "".join(parts)
        yield "]}"
