"""`manage.py generate_synthetic --events N --seed S`: deterministic synthetic facts at scale, for the benchmark."""

from django.core.management.base import BaseCommand, CommandError

from bench.synthetic import SYNTHETIC_PREFIX, Plan, generate


class Command(BaseCommand):
    help = (
        "Fill the database with deterministic synthetic actors, places, events, statements and evidence spans "
        f"(slugs start with '{SYNTHETIC_PREFIX}'). Refuses when synthetic data exists unless --replace is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, required=True, help="Number of events (about 3 participants each).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data.")
        parser.add_argument("--replace", action="store_true", help="Delete previous synthetic data first.")

    def handle(self, *args, events, seed, replace, **options):
        if events < 1:
            raise CommandError("--events must be at least 1.")
        plan = Plan.for_events(events)
        self.stdout.write(
            f"Generating {events} events, {plan.actors} actors, places in {plan.countries} countries (seed {seed})"
        )
        try:
            counts = generate(events=events, seed=seed, replace=replace, log=self.stdout.write)
        except FileExistsError as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{k}={v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Synthetic data written: {summary}"))
