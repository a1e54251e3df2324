"""Build the engine's input from the database: the only module of the package that reads facts.models."""

from facts.models import Actor, Place, ProposalState, Source

from .types import ExtractionInput, KnownActor, KnownPlace


def input_from_db(source: Source) -> ExtractionInput:
    """The ExtractionInput for a stored source: its text and date, every accepted actor with its aliases, every place.

    A candidate actor is not known yet: the engine proposes it again from the text, and the wiring finds the stored
    candidate by its name (facts.services.candidates.NewActors), so that a run adds its passages, not a second actor.
    """
    actors = [
        KnownActor(
            slug=actor.slug,
            name=actor.name,
            kind=actor.kind,
            aliases=sorted({alias.name for alias in actor.aliases.all()}),
        )
        for actor in Actor.objects.filter(status=ProposalState.ACCEPTED).prefetch_related("aliases").order_by("slug")
    ]
    places = [
        KnownPlace(slug=place.slug, name=place.name, aliases=[place.name])
        for place in Place.objects.only("slug", "name").order_by("slug")
    ]
    return ExtractionInput(text=source.text, published=source.published, actors=actors, places=places)
