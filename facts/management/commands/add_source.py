"""`manage.py add_source <file> --title ... --published YYYY-MM-DD`: store a new article exactly as received."""

from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from facts.models import Source
from facts.services import REASON_MAX_LENGTH, errors_of, stamp

PUBLISHED_ORIGIN = "Publication date supplied as metadata to add_source; not checked against the text."


def publication_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--published must be a date as YYYY-MM-DD, e.g. 2023-05-01; got “{value}”.") from None


class Command(BaseCommand):
    help = (
        "Store a source text byte for byte (UTF-8), with its SHA-256 checksum. Refuses a text that is already "
        "stored, a file that is not UTF-8, and invalid metadata; on any error nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The article as a UTF-8 text file.")
        parser.add_argument("--title", required=True, help="The article's title.")
        parser.add_argument("--published", required=True, help="Publication date, YYYY-MM-DD.")
        parser.add_argument("--publisher", default="", help="Who published it.")
        parser.add_argument("--url", default="", help="Where it was published.")
        parser.add_argument("--language", default="en", help="BCP 47 language tag (default: en).")
        parser.add_argument("--slug", default="", help="Identifier in URLs (default: from the title).")
        parser.add_argument("--user", default="", help="Username to record in the history as who added it.")

    def handle(
        self,
        *args,
        file: Path,
        title: str,
        published: str,
        publisher: str,
        url: str,
        language: str,
        slug: str,
        user: str,
        **options,
    ):
        published_on = publication_date(published)
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{file} is not valid UTF-8 (byte {exc.start}: {raw[exc.start : exc.start + 1]!r}). Convert it to "
                "UTF-8 first, e.g. with iconv; the text is stored exactly, so it is never converted silently."
            ) from exc
        if not text.strip():
            raise CommandError(f"{file} is empty: there is no text to store.")
        if "\x00" in text:
            raise CommandError(f"{file} contains NUL characters, which no text column can store.")

        checksum = Source.checksum_of(text)
        duplicate = Source.objects.filter(checksum=checksum).first()
        if duplicate is not None:
            raise CommandError(
                f"This text is already stored as source “{duplicate.slug}” (id {duplicate.pk}, checksum "
                f"{checksum[:12]}…); nothing was added."
            )

        editor = None
        if user:
            editor = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: user}).first()
            if editor is None:
                raise CommandError(f"No user named “{user}”.")

        source = Source(
            slug=slug or slugify(title)[:120],
            title=title,
            publisher=publisher,
            url=url,
            published=published_on,
            language=language,
            text=text,
            external={"published": PUBLISHED_ORIGIN},
        )
        try:
            source.full_clean()
        except ValidationError as exc:
            problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors_of(exc).items())
            raise CommandError(f"The source was not added: {problems}") from exc
        with transaction.atomic():
            stamp(source, user=editor, reason=f"add_source {file.name}"[:REASON_MAX_LENGTH]).save()
        self.stdout.write(
            self.style.SUCCESS(
                f"Added source “{source.slug}” (id {source.pk}): {len(text)} characters, sha256 {source.checksum}."
            )
        )
