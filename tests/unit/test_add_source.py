"""`add_source` stores an article byte for byte with its checksum, and refuses duplicates and bad input cleanly."""

import hashlib
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from facts.models import Source
from tests.conftest import SEED_PATH

pytestmark = pytest.mark.django_db


def add(path, *extra, title="US Hosts Armenia-Azerbaijan Peace Talks", published="2023-05-01"):
    out = StringIO()
    call_command("add_source", str(path), "--title", title, "--published", published, *extra, stdout=out)
    return out.getvalue()


def test_stores_the_text_byte_exact_with_checksum_and_metadata():
    output = add(SEED_PATH, "--publisher", "Example Wire", "--url", "https://example.org/a", "--slug", "talks")
    source = Source.objects.get()
    raw = SEED_PATH.read_bytes()
    assert source.text.encode("utf-8") == raw
    assert source.checksum == hashlib.sha256(raw).hexdigest()
    assert (source.slug, source.publisher, source.url, str(source.published)) == (
        "talks",
        "Example Wire",
        "https://example.org/a",
        "2023-05-01",
    )
    assert "published" in source.external
    assert f"id {source.pk}" in output and source.checksum in output


def test_stores_line_ends_as_newlines_and_keeps_every_other_character(tmp_path):
    raw = "Line one\r\nCafé “quoted” — dash\r\n\ttabbed  double  spaces\n".encode()
    path = tmp_path / "article.txt"
    path.write_bytes(raw)
    add(path, title="Odd text")
    source = Source.objects.get()
    canonical = "Line one\nCafé “quoted” — dash\n\ttabbed  double  spaces\n"
    assert source.text == canonical
    assert source.slug == "odd-text"
    source.refresh_from_db()
    assert source.text == canonical and source.checksum == Source.checksum_of(canonical)


def test_duplicate_text_is_refused_and_nothing_added():
    add(SEED_PATH, "--slug", "first")
    with pytest.raises(CommandError, match="already stored as source “first”"):
        add(SEED_PATH, "--slug", "second", title="Another title")
    assert Source.objects.count() == 1


def test_records_history_with_user_and_reason():
    user = get_user_model().objects.create_user("curator")
    add(SEED_PATH, "--user", "curator")
    record = Source.objects.get().history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        user,
        f"add_source {SEED_PATH.name}",
    )


@pytest.mark.parametrize(
    ("content", "extra", "published", "message"),
    [
        ("caf\xe9".encode("latin-1"), (), "2023-05-01", "not valid UTF-8"),
        (b"   \n", (), "2023-05-01", "is empty"),
        (b"Some text", (), "1 May 2023", "--published must be a date as YYYY-MM-DD"),
        (b"Some text", ("--url", "not a url"), "2023-05-01", "url: Enter a valid URL."),
        (b"Some text", ("--user", "nobody"), "2023-05-01", "No user named “nobody”"),
        (b"Some text", ("--slug", "bad slug!"), "2023-05-01", "slug:"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(tmp_path, content, extra, published, message):
    path = tmp_path / "article.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        add(path, *extra, published=published)
    assert not Source.objects.exists()
    assert not Source.history.exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        add(tmp_path / "missing.txt")
