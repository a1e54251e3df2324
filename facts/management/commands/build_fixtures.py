"""Build fixtures/*.json from the seed articles and their curated facts specs (facts.fixture_build describes how).

python manage.py build_fixtures           # write fixtures/01_sources.json ... 07_evidence.json
python manage.py build_fixtures --check   # exit 1 if the committed fixtures differ from what would be written
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from facts.fixture_build import Builder


class Command(BaseCommand):
    """Writes the fixtures a fresh build gives, or with --check only compares them with those on disk."""

    help = "Build fixtures/*.json from seeds/ (articles, metadata and curated facts specs); --check compares instead."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit non-zero if the fixtures on disk differ from a fresh build.",
        )
        parser.add_argument("--seeds", default=str(Path(settings.BASE_DIR) / "seeds"), help="Seeds directory.")
        parser.add_argument("--fixtures", default=str(Path(settings.BASE_DIR) / "fixtures"), help="Fixtures directory.")

    def handle(self, *args, check=False, seeds, fixtures, **options):
        fixtures_dir = Path(fixtures)
        outputs = Builder(Path(seeds), fixtures_dir).build()
        if check:
            stale = [
                name
                for name, content in outputs.items()
                if not (fixtures_dir / name).exists() or (fixtures_dir / name).read_text(encoding="utf-8") != content
            ]
            if stale:
                raise CommandError(f"Fixtures out of date: {', '.join(stale)}. Run `python manage.py build_fixtures`.")
            self.stdout.write(f"Fixtures up to date ({len(outputs)} files).")
            return
        fixtures_dir.mkdir(parents=True, exist_ok=True)
        for name, content in outputs.items():
            (fixtures_dir / name).write_text(content, encoding="utf-8")
        counts = {name: len(json.loads(content)) for name, content in outputs.items()}
        self.stdout.write("Wrote " + ", ".join(f"{name} ({n} rows)" for name, n in counts.items()))
