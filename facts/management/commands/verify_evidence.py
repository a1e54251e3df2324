"""Verify every evidence span in the database against the stored source text.

A span is good when its offsets are in range (0 <= start < end <= len(text)) and its quote equals
source.text[start:end]. Every event, statement and relation must also have at least one span, and every alias
too unless it is marked external (ActorAlias.needs_evidence). Every problem is
printed with the ids involved, then one summary line; the command fails (exit status 1) on any problem, so CI and
`make verify` can rely on it.

    python manage.py verify_evidence
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from facts.models import ActorAlias, Event, EvidenceSpan, Relation, Source, Statement
from facts.selectors.planning import live


def _fact_label(span: EvidenceSpan) -> str:
    for name in EvidenceSpan.FACT_FIELDS:
        fact_id = getattr(span, f"{name}_id")
        if fact_id is not None:
            return f"{name} {fact_id}"
    return "no fact"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def span_problems(span: EvidenceSpan, text: str) -> list[str]:
    """What is wrong with one span, given its source's text (empty when nothing is)."""
    if span.start is None or span.end is None:
        return ["offsets missing"]
    if not 0 <= span.start < span.end <= len(text):
        return [f"offsets {span.start}:{span.end} out of range for a text of {len(text)} characters"]
    actual = text[span.start : span.end]
    if actual != span.quote:
        return [
            f"quote “{_short(span.quote)}” differs from the source text at {span.start}:{span.end}, "
            f"which is “{_short(actual)}”"
        ]
    return []


class Command(BaseCommand):
    help = "Check every evidence span against its source text and that every fact has evidence; exit 1 on any problem."

    def handle(self, *args, **options):
        problems = 0
        # Source texts are loaded once each: spans outnumber sources by far.
        texts = dict(Source.objects.values_list("id", "text"))
        spans = EvidenceSpan.objects.order_by("source_id", "start", "id")
        checked = 0
        for span in spans.iterator():
            checked += 1
            for problem in span_problems(span, texts[span.source_id]):
                problems += 1
                self.stdout.write(f"MISMATCH span {span.pk} ({_fact_label(span)}, source {span.source_id}): {problem}")

        facts = 0
        for model in (Event, Statement, Relation):
            label = model._meta.model_name
            # A tombstone of a merge cites nothing: its evidence moved to the event it was merged into.
            queryset = live(model.objects.all()).annotate(spans=Count("evidence"))
            facts += queryset.count()
            for pk in queryset.filter(spans=0).order_by("pk").values_list("pk", flat=True):
                problems += 1
                self.stdout.write(f"MISSING evidence for {label} {pk}: it cites no span")
        # An alias cites the passages where a source uses it, unless it is marked external (a canonical spelling).
        for alias in ActorAlias.objects.annotate(spans=Count("evidence")).filter(spans=0).order_by("pk"):
            if alias.needs_evidence():
                problems += 1
                self.stdout.write(
                    f"MISSING evidence for alias {alias.pk} “{_short(alias.name)}”: it cites no span "
                    "and is not marked external"
                )

        summary = (
            f"Checked {checked} evidence span(s) over {len(texts)} source(s) and {facts} fact(s): "
            f"{problems} problem(s)."
        )
        self.stdout.write(summary)
        if problems:
            raise CommandError(summary)
