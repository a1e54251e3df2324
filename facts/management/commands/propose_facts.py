"""`manage.py propose_facts <source id or slug>`: write the extractor's candidate facts and mentions for a source.

Candidates (`status=candidate`: facts, new actors and their affiliations, and passages proposed as more evidence for
an existing event) wait in the admin's review queue and are hidden from lists until a curator accepts them. Running
it again proposes nothing new.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from facts.models import Source
from facts.services.proposals import source_propose


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("source", help="The source's id or slug.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs and scripts).")

    def handle(self, *args, source: str, no_progress: bool = False, **options):
        found = Source.objects.filter(pk=int(source)) if source.isdigit() else Source.objects.filter(slug=source)
        stored = found.first()
        if stored is None:
            raise CommandError(f"No source with id or slug “{source[:80]}”.")
        bar = tqdm(desc="Sentences", unit=" sentences", disable=no_progress, file=self.stderr._out)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = source_propose(source=stored, progress=progress)
        bar.close()
        if options["json"]:
            self.stdout.write(_json(report.as_dict()))
            return
        events = sorted({row["event"] for row in report.evidence})
        self.stdout.write(
            f"Source {stored.pk} “{stored.title[:60]}”: {len(report.statements)} candidate statement(s), "
            f"{len(report.events)} candidate event(s), {len(report.actors)} candidate actor(s) "
            f"({', '.join(row['name'] for row in report.new_actors if row['id'] in report.actors) or 'none'}) and "
            f"{len(report.affiliations)} candidate affiliation(s), {len(report.evidence)} passage(s) proposed as more "
            f"evidence for existing event(s) {', '.join(f'#{pk}' for pk in events) or '(none)'}, "
            f"{len(report.merged)} passage(s) added to a candidate reporting the same event, {report.mentions} new "
            f"mention(s); {report.already_there} proposal(s) already covered by a fact, {report.unknown_speaker} "
            f"without a known actor, {len(report.refused)} refused."
        )


def _json(data) -> str:
    return json.dumps(data, default=str, ensure_ascii=False, indent=2)
