"""What every API endpoint accepts in its query string, checked in one place.

An endpoint refuses a parameter it does not read (a typo such as `plcae=baku` would otherwise answer every row),
and numbers in parameters are ASCII digits only.
"""

from django_filters.widgets import SuffixedMultiWidget
from rest_framework.exceptions import ValidationError


def ascii_int(raw: str) -> int | None:
    """`raw` as an int when it is ASCII digits only (at most 19, so it fits 64 bits), else None.

    int() also takes "5_0", " 50", "+50" and digits of other scripts ("٥"; and "²" passes isdigit()): a client that
    sends those has a bug worth a 400, not a silently reinterpreted number.
    """
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else None


def filter_param_names(filterset_class) -> set[str]:
    """The query parameter names a FilterSet reads: range filters read suffixed names (date_after, date_before)."""
    names: set[str] = set()
    for name, declared in filterset_class.base_filters.items():
        widget = declared.field.widget
        if isinstance(widget, SuffixedMultiWidget):
            names.update(widget.suffixed(name, suffix) for suffix in widget.suffixes)
        else:
            names.add(name)
    return names


def refuse_unknown_params(request, accepted: set[str]) -> None:
    """A 400 naming each query parameter the endpoint does not read, with the list of those it does."""
    unknown = [name for name in request.query_params if name not in accepted]
    if unknown:
        listed = ", ".join(sorted(accepted))
        raise ValidationError(
            {name[:60]: [f"Unknown query parameter. Accepted here: {listed}."] for name in unknown[:10]}
        )
