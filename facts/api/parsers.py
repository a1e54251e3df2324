"""The one parser of the write API: strict JSON, refused with a 400 naming the offending key before a view sees it.

Python's json module accepts more than a database (or a careful client) does, and what slips through fails deep
inside a write with a 500, or silently means something else:

- a key given twice (`{"title": "a", "title": "b"}`): the last one would win;
- lone surrogates (`"\\ud800"`) in a key or string: not Unicode text, so encoding them to UTF-8 fails, for the
  database driver and for any error message that quotes them;
- NUL characters (`\\u0000`) in a key: PostgreSQL refuses them in text and jsonb, and no field is named so;
- nesting thousands of levels deep: RecursionError; more than MAX_DEPTH levels is refused (no write takes more
  than 4: event -> evidence -> item -> field);
- NaN, Infinity and numbers too large for a float (1e999 becomes inf): not JSON, and no field takes them;
- more than MAX_CONTAINERS arrays and objects or MAX_VALUES values: no write needs more than a few hundred, and
  building millions of them costs seconds (a 4 MB body of `[[]],` takes a second to parse, let alone to check).

A NUL in a string value is valid text, and left to the field that takes it: every field of the write serializers
refuses it (facts.api.write_serializers), so that it is named together with the body's other problems, in the field's
own words ("is not a slug"). Each problem found here is reported where it is, in the shape of a serializer's
errors: `{"evidence": {"0": {"quote": [...]}}}` for a string, the key itself for a key, `body` when the body as a
whole is at fault (not JSON, not in the charset named). Every check is iterative and linear in the size of the
body, which Django bounds (DATA_UPLOAD_MAX_MEMORY_SIZE: a larger body is answered 413 by facts.api.errors).
"""

import json
import math
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding  # type: ignore[attr-defined]  # missing from the stubs

MAX_DEPTH = 32  # levels of arrays and objects
MAX_CONTAINERS = 10_000  # arrays and objects in one body
MAX_VALUES = 50_000  # values in one body (counted by their separators)
MAX_REPORTED = 20  # problems named in one answer
NAME_LENGTH = 80  # characters of a key shown in an answer
KEY_SEARCH_TOKENS = 10_000  # strings and brackets read to find the key under which a body nests too deeply
NESTED_TOO_DEEPLY = f"Nested too deeply: at most {MAX_DEPTH} levels of arrays and objects."


class BodyRefused(ParseError):
    """400 parse_error naming where in the body the problem is (`errors`, as facts.api.errors renders it)."""

    def __init__(self, detail: str, errors: dict):
        super().__init__(detail)
        self.errors = errors


class _Duplicated(dict):
    """An object in which some keys occurred more than once (only in bodies that are refused)."""

    duplicates: list[str]


# What is left of a JSON structure without its strings, but its brackets, all made one kind.
_BRACKETS_ONLY = str.maketrans({"{": "[", "}": "]", **dict.fromkeys(",: \t\n\r0123456789-+.eEtrufalsn")})


def without_strings(text: str) -> str:
    """A JSON text with its string literals left out, by C-level string operations only.

    Escaped backslashes go first, then escaped quotes (a run of backslashes pairs up from the left, as in the JSON
    grammar); every quote left then opens or closes a string, so the text outside strings is every other piece.
    """
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    return "".join(unescaped.split('"')[0::2])


def structure_problem(text: str) -> str | None:
    """Why a body has too many arrays, objects or values, found by counting characters (C speed, before parsing)."""
    containers, separators = text.count("[") + text.count("{"), text.count(",")
    if containers <= MAX_CONTAINERS and separators < MAX_VALUES:
        return None  # these counts include what strings hold: the body cannot have more
    structure = without_strings(text)
    containers, separators = structure.count("[") + structure.count("{"), structure.count(",")
    if containers <= MAX_CONTAINERS and separators < MAX_VALUES:
        return None
    if containers > MAX_DEPTH:
        # Nested too deeply? Each pass drops the innermost pairs: one level (brackets made one kind, so that a
        # pass never closes two levels). JSON or not, it stops after MAX_DEPTH passes.
        brackets = structure.translate(_BRACKETS_ONLY)
        for _ in range(MAX_DEPTH):
            brackets = brackets.replace("[]", "")
        if "[]" in brackets:
            return NESTED_TOO_DEEPLY
    return (
        f"The body holds too much: at most {MAX_CONTAINERS:,} arrays and objects and {MAX_VALUES:,} values "
        "(no write needs more than a few hundred)."
    )


def _object(pairs: list[tuple[str, object]]) -> dict:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen, duplicates = set(), []
    for key, _ in pairs:
        if key in seen and key not in duplicates:
            duplicates.append(key)
        seen.add(key)
    result = _Duplicated(result)
    result.duplicates = duplicates
    return result


# A key (a string followed by a colon), another string, or a bracket: what deep_key() reads of a body.
_KEY_STRING_OR_BRACKET = re.compile(r'("(?:[^"\\]|\\.)*")\s*:|"(?:[^"\\]|\\.)*"|[\[\]{}]')


def deep_key(text: str) -> str | None:
    """The key of the body's top-level object under which it nests more than MAX_DEPTH levels, or None when the
    body is not an object, or the key is not among its first KEY_SEARCH_TOKENS strings and brackets (bounded work:
    the body was refused before it was parsed, for having too many levels to parse)."""
    depth, key = 0, None
    for count, match in enumerate(_KEY_STRING_OR_BRACKET.finditer(text)):
        token = match.group()
        if count >= KEY_SEARCH_TOKENS or (depth == 0 and token != "{"):
            return None
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return key
        elif token in ("]", "}"):
            depth -= 1
        elif depth == 1 and match.group(1) is not None:
            try:
                key = json.loads(match.group(1))
            except ValueError:
                key = match.group(1)[1:-1]
    return None


def too_deep(text: str) -> dict:
    """The errors of a body nested too deeply: at the top-level key under which it is, else at `body`."""
    key = deep_key(text)
    return {"body" if key is None else shown(key): [NESTED_TOO_DEEPLY]}


class _NotJSONNumber(str):
    """NaN, Infinity or -Infinity where a number stands, as json.loads reads it; refused at its place by problems()."""


def _not_json_constant(name: str):
    return _NotJSONNumber(name)


def shown(name) -> str:
    """A key as it can be shown in an answer: NUL and surrogates escaped, shortened."""
    text = str(name)
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = text.replace("\x00", "\\u0000")
    return text if len(text) <= NAME_LENGTH else text[: NAME_LENGTH - 1] + "…"


def text_problem(text: str, *, key: bool = False) -> str | None:
    """Why a string (or, with `key`, a key) cannot be taken, or None."""
    if key and "\x00" in text:
        return "NUL characters (\\u0000) are not allowed."
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (
                f"Lone surrogate characters (here U+{ord(text[exc.start]):04X}) are not allowed: "
                "text must be valid Unicode."
            )
    return None


def number_problem(value) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return "Numbers must be finite: this one is too large for a double."
    return None


def problems(data) -> list[tuple[tuple, str]]:
    """(path, message) of what the parsed body holds that no write may take, depth first, without recursion.

    A path is the keys and positions leading to the value; a key's own problems are reported at its path. Only
    arrays and objects are stacked; strings and numbers are checked where they stand.
    """
    found: list[tuple[tuple, str]] = []

    def check(path, item):
        kind = type(item)
        if kind is str:
            if message := text_problem(item):
                found.append((path, message))
        elif kind is float:
            if message := number_problem(item):
                found.append((path, message))
        elif kind is _NotJSONNumber:
            found.append((path, f"{item} is not a JSON number: numbers must be finite."))
        elif kind is dict or kind is list or isinstance(item, dict):
            stack.append((path, item))

    stack: list = []
    check((), data)
    while stack and len(found) < MAX_REPORTED:
        path, value = stack.pop()
        if len(path) >= MAX_DEPTH:
            found.append((path[:1], NESTED_TOO_DEEPLY))
            continue
        start = len(stack)
        if isinstance(value, list):
            for index, item in enumerate(value):
                check((*path, index), item)
        else:
            for key in getattr(value, "duplicates", ()):
                found.append(((*path, key), "Given more than once: give each key once."))
            for key, item in value.items():
                if message := text_problem(key, key=True):
                    found.append(((*path, key), f"Invalid key. {message}"))
                else:
                    check((*path, key), item)
        stack[start:] = reversed(stack[start:])  # in the order of the body
    return found[:MAX_REPORTED]


def errors_at(found: list[tuple[tuple, str]]) -> dict:
    """Problems as nested errors: {"evidence": {"0": {"quote": ["..."]}}}; at `body` for the body itself."""
    errors: dict = {}
    for path, message in found:
        if not path:
            errors.setdefault("body", []).append(message)
            continue
        node = errors
        for step in path[:-1]:
            child = node.setdefault(shown(step), {})
            if not isinstance(child, dict):  # a message already stands here: keep it, add nothing below it
                break
            node = child
        else:
            messages = node.setdefault(shown(path[-1]), [])
            if isinstance(messages, list):
                messages.append(message)
    return errors


def summary(found: list[tuple[tuple, str]]) -> str:
    names = list(dict.fromkeys(shown(path[0]) if path else "body" for path, _ in found))
    return (
        f"The body was refused: {found[0][1]}"
        if names == ["body"]
        else (f"The body was refused, at: {', '.join(names)}. {found[0][1]}")
    )


class StrictJSONParser(JSONParser):
    """JSON with the refusals above; what it returns is plain dicts, lists, strings, numbers, booleans and None."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        raw = stream.read()
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            message = f"The body is not valid {encoding} (at byte {exc.start})."
            raise BodyRefused(message, {"body": [message]}) from None
        if message := structure_problem(text):
            raise BodyRefused(message, too_deep(text) if message == NESTED_TOO_DEEPLY else {"body": [message]})
        try:
            data = json.loads(text, object_pairs_hook=_object, parse_constant=_not_json_constant)
        except RecursionError:
            raise BodyRefused(NESTED_TOO_DEEPLY, too_deep(text)) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        found = problems(data)
        if found:
            raise BodyRefused(summary(found), errors_at(found))
        return data
