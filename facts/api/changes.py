"""The changes feed (`GET /api/v1/changes/?since=...`) and the `updated_since` filter every list takes.

A client mirrors the dataset by reading every list once, then polling the feed from the time of its last read: each
item says which object was created, updated or deleted, when, by whom and why. Deletions are tombstones (the model,
id, slug and time of deletion), since the object itself is gone; an event merged into another is `merged`, with the
event it now lives on as (`merged_into`).

The feed reads django-simple-history's historical tables, which record every save and delete whether it comes
from the API, the admin or a command. Items are ordered by (time, model, history id), and the cursor encodes that
triple, so paging is stable even when many changes share a timestamp (one transaction writes a fact and its parts
in the same instant) and when new changes arrive between two pages.
"""

import base64
import binascii
import json
from datetime import UTC, datetime

import django_filters
from django import forms
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.crypto import salted_hmac
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from facts.api.caching import CachedReadsMixin
from facts.api.openapi import changes_schema
from facts.api.query_params import ascii_int, refuse_unknown_params
from facts.selectors.changes import (
    DEFAULT_PAGE_SIZE,
    FEED_MODELS,
    URL_KEYS,
    changes_page,
    current_keys,
    merged_into,
    page_owners,
)

# Detail routes of the read API (facts/api/urls.py router basenames), keyed as facts.selectors.changes.URL_KEYS.
DETAIL_ROUTES = {name: (f"{name}-detail", key) for name, key in URL_KEYS.items()}

CHANGE_TYPES = {"+": "created", "~": "updated", "-": "deleted"}
MAX_PAGE_SIZE = 1000


def as_utc(value: datetime) -> datetime:
    """An aware date-time in UTC, the one zone the databases store; ValueError when UTC cannot hold it.

    PostgreSQL refuses UTC offsets beyond ±15:59 ("time zone displacement out of range"), which ISO 8601 and
    Python allow, and a date-time near year 1 or 9999 can fall outside the calendar once moved to UTC.
    """
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("outside the range of dates the database holds (years 1 to 9999 in UTC)") from None


class UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time query parameter, moved to UTC before it reaches the database."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return as_utc(value)
        except ValueError as exc:
            raise forms.ValidationError(f"Give a date-time {exc}.") from exc


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class UpdatedSinceFilterSet(django_filters.FilterSet):
    """Mixin FilterSet: `updated_since` keeps objects created or changed at or after an ISO 8601 date-time.

    Include it in a model's FilterSet (``class EventFilterSet(UpdatedSinceFilterSet): ...``); the model needs the
    `updated_at` field every Timestamped model has.
    """

    updated_since = UTCIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only objects created or changed at or after this ISO 8601 date-time, e.g. "
        "2023-05-01T00:00:00Z. Deletions are in /api/v1/changes/.",
    )


# --- Query parameters and items ----------------------------------------------------------------------------------


def encode_cursor(position: tuple[datetime, str, int]) -> str:
    when, model, history_id = position
    raw = json.dumps([when.isoformat(), model, history_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, str, int]:
    """The position a cursor token encodes; ValueError for anything not made by encode_cursor()."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
        when, model, history_id = json.loads(raw)
        when = datetime.fromisoformat(when)
    except (binascii.Error, ValueError, TypeError, UnicodeError, RecursionError):
        raise ValueError("malformed cursor") from None
    # json.loads takes Infinity and NaN, and history ids are 64-bit: only a plain int in range is a position.
    if type(history_id) is not int or not 0 < history_id < 2**63 or when.tzinfo is None or model not in FEED_MODELS:
        raise ValueError("malformed cursor")
    return as_utc(when), model, history_id


class AsciiIntegerField(serializers.IntegerField):
    """An integer query parameter of ASCII digits only, as the lists' `page_size` (facts.api.query_params.ascii_int).

    DRF's IntegerField reads "5_0" as 50, "٥" as 5, " 50" and "5.0" as themselves: a client sending those has a
    bug worth a 400, not a silently reinterpreted number.
    """

    def to_internal_value(self, data):
        if isinstance(data, str) and ascii_int(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


class ChangesQuerySerializer(serializers.Serializer):
    """The feed's query parameters."""

    since = serializers.DateTimeField(
        required=False,
        help_text="Only changes at or after this ISO 8601 date-time (e.g. 2023-05-01T12:00:00Z; without a zone it "
        "is UTC). Without it the feed starts at the first recorded change.",
    )
    model = serializers.ChoiceField(
        choices=sorted(FEED_MODELS), required=False, help_text="Only changes of this model."
    )
    cursor = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Position token from the `next` link of the previous page; never build it. Empty means the start.",
    )
    page_size = AsciiIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        default=DEFAULT_PAGE_SIZE,
        help_text=f"Changes per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    )

    def validate_cursor(self, token):
        if not token:
            return None
        try:
            return decode_cursor(token)
        except ValueError:
            raise serializers.ValidationError("Invalid cursor: use the `next` link of a changes page.") from None


class ChangeOwnerSerializer(serializers.Serializer):
    """The object a part belongs to."""

    model = serializers.ChoiceField(choices=sorted(DETAIL_ROUTES), help_text="The owner's kind.")
    id = serializers.IntegerField(help_text="The owner's id.")


class MergeTargetSerializer(serializers.Serializer):
    """The event a merged event now lives on as."""

    id = serializers.IntegerField(help_text="The target event's id.")
    url = serializers.URLField(allow_null=True, help_text="Its API URL; null if it was deleted since.")


class ChangeSerializer(serializers.Serializer):
    """One change of one object."""

    model = serializers.ChoiceField(choices=sorted(FEED_MODELS), help_text="Which kind of object changed.")
    id = serializers.IntegerField(help_text="The object's id.")
    slug = serializers.CharField(allow_null=True, help_text="The object's slug at the time, for models with slugs.")
    change = serializers.ChoiceField(
        choices=[*CHANGE_TYPES.values(), "merged"],
        help_text="created, updated or deleted; `merged` for an event merged into another (`merged_into`): drop "
        "your copy of it and fetch `url`, the event it was merged into.",
    )
    time = serializers.DateTimeField(help_text="When the change was made.")
    user = serializers.CharField(
        allow_null=True,
        help_text="Who made it: the username for staff clients; for "
        "everyone else a stable pseudonym (`curator-` and 10 "
        "hex digits, the same for every change by one "
        "user). Null for commands and fixtures.",
    )
    reason = serializers.CharField(allow_null=True, help_text="Why, when the curator gave a reason.")
    deleted_at = serializers.DateTimeField(allow_null=True, help_text="Set on tombstones: when it was deleted.")
    url = serializers.URLField(
        allow_null=True,
        help_text="API URL of the object as it is now; null for "
        "deletions and for objects deleted since. For a part "
        "without an endpoint of its own (alias, participant, "
        "affiliation, evidence span), even a deleted one, the URL "
        "of its owner, whose representation changed.",
    )
    owner = ChangeOwnerSerializer(
        allow_null=True,
        help_text="For a part: the object it belongs to (an event, statement, relation or actor); null otherwise.",
    )
    merged_into = MergeTargetSerializer(
        allow_null=True, help_text="For `merged`: the event this one was merged into; null otherwise."
    )
    history_id = serializers.IntegerField(help_text="Id of the history record: unique per model.")


class ChangesPageSerializer(serializers.Serializer):
    """A page of the changes feed."""

    next = serializers.URLField(
        allow_null=True,
        help_text="The next page, or null when you have seen every change so far (poll later with `since`).",
    )
    results = ChangeSerializer(many=True, help_text="Changes in order: time, then model, then history id.")


def _detail_url(request, name: str, key) -> str | None:
    route, field = DETAIL_ROUTES[name]
    try:
        return request.build_absolute_uri(reverse(route, kwargs={field: key}))
    except NoReverseMatch:
        return None


def curator_pseudonym(user_id: int) -> str:
    """The name the public feed gives a user: stable, unlinkable to the account without SECRET_KEY."""
    return "curator-" + salted_hmac("facts.api.changes.curator", str(user_id), algorithm="sha256").hexdigest()[:10]


def change_item(request, name: str, row, current: dict, owners: dict, *, show_names: bool = False) -> dict:
    """One feed item; `user` is the username only when show_names (staff clients), else a pseudonym.

    A part's item (participant, alias, affiliation, evidence span), deletions included, names its owner and gives
    the owner's URL: the owner's representation is what changed, so a mirror fetches it.
    """
    change = CHANGE_TYPES[row.history_type]
    owner = owners.get((name, row.history_id))
    target = merged_into(name, row)
    merged = None
    if target is not None:
        # A tombstone's record: the event now lives on as its target, which the mirror fetches.
        change, key = "merged", current.get("event", {}).get(target)
        url = _detail_url(request, "event", key) if key is not None else None
        merged = {"id": target, "url": url}
    elif owner is not None:
        key = current.get(owner[0], {}).get(owner[1])
        url = _detail_url(request, owner[0], key) if key is not None else None
    else:
        key = current.get(name, {}).get(row.id)
        url = _detail_url(request, name, key) if key is not None and change != "deleted" else None
    user = None
    if row.history_user_id:
        user = row.history_user.get_username() if show_names else curator_pseudonym(row.history_user_id)
    return {
        "model": name,
        "id": row.id,
        "slug": getattr(row, "slug", None),
        "change": change,
        "time": row.history_date,
        "user": user,
        "reason": row.history_change_reason or None,
        "deleted_at": row.history_date if change == "deleted" else None,
        "url": url,
        "owner": {"model": owner[0], "id": owner[1]} if owner is not None else None,
        "merged_into": merged,
        "history_id": row.history_id,
    }


class ChangesView(CachedReadsMixin, APIView):
    """Feed of created, updated and deleted objects in time order, deletions as tombstones, paged by cursor."""

    # Staff see usernames, everyone else pseudonyms (facts.api.caching keys on the viewer class).
    viewer_dependent = True

    # A read-only view over several models: no single model permission applies, and writes get 405.
    _ignore_model_permissions = True

    @changes_schema(ChangesQuerySerializer, ChangesPageSerializer)
    def get(self, request):
        refuse_unknown_params(request, set(ChangesQuerySerializer().fields) | {api_settings.URL_FORMAT_OVERRIDE})
        query = ChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        page, position = changes_page(
            since=params.get("since"),
            model=params.get("model"),
            cursor=params.get("cursor"),
            page_size=params["page_size"],
        )
        owners = page_owners(page)
        current = current_keys(page, owners)
        # Usernames (superusers' among them) are for staff only; anonymous and other clients see pseudonyms.
        show_names = bool(request.user and request.user.is_staff)
        items = [change_item(request, name, row, current, owners, show_names=show_names) for (_, name, _), row in page]
        next_url = None
        if position is not None:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", encode_cursor(position))
        response = Response({"next": next_url, "results": ChangeSerializer(items, many=True).data})
        # The body depends on who asks (session cookie or token): shared caches must not mix the two.
        patch_vary_headers(response, ["Authorization"])
        return response
