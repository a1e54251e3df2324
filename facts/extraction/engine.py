"""The entry point: extract(input) reads one source and returns every proposal, without touching the database."""

from bisect import bisect_left
from collections.abc import Callable

from .context import Context, actor_refs
from .datefinder import find_dates
from .events import sentence_events
from .lexicon import load_lexicon
from .newactors import find_new_actors
from .pipeline import blank_pipeline, find_mentions, sentence_bounds
from .statements import find_statements
from .types import Extraction, ExtractionInput

Progress = Callable[[int, int], object]


def _within(items: list, starts: list[int], bounds: tuple[int, int]) -> list:
    """The items (sorted by start) that begin inside bounds."""
    i, j = bisect_left(starts, bounds[0]), bisect_left(starts, bounds[1])
    return items[i:j]


def extract(source: ExtractionInput, progress: Progress | None = None) -> Extraction:
    """Propose statements, mentions, new actors, dates and events for one source.

    `progress`, if given, is called after each sentence with (sentences done, sentences in all), so that a command
    can drive a progress bar (tqdm: `bar.total = total; bar.update(1)`).
    """
    lexicon = source.lexicon or load_lexicon()
    text = source.text
    doc = blank_pipeline()(text)
    sentences = sentence_bounds(doc)
    mentions = find_mentions(doc, source.actors, source.places)
    kinds = {actor.slug: actor.kind for actor in source.actors}
    known = actor_refs(mentions, kinds)
    new_actors, new_refs = find_new_actors(text, known, lexicon, source.actors)
    ctx = Context(text, source.published, lexicon, sentences, known + new_refs)
    dates = find_dates(text, source.published)
    names = {actor.slug: actor.name for actor in source.actors}
    statements = find_statements(ctx, dates, ctx.quotes)
    events = []
    mention_starts, date_starts = [m.start for m in mentions], [d.start for d in dates]
    for done, bounds in enumerate(sentences, start=1):
        events += sentence_events(
            ctx, bounds, _within(mentions, mention_starts, bounds), _within(dates, date_starts, bounds), names
        )
        if progress:
            progress(done, len(sentences))
    return Extraction(statements=statements, mentions=mentions, actors=new_actors, dates=dates, events=events)
