"""Reference data for synthetic facts: places, actors with their aliases, and the CAMEO event types."""

from __future__ import annotations

from decimal import Decimal

from django.core.management import call_command

from bench.synthetic.base import Batch, GeneratorBase
from bench.synthetic.vocabulary import CAMEO_FIXTURE, CAMEO_ROOTS, COUNTRIES, ROOT_WEIGHTS, SYLLABLES, SYNTHETIC_PREFIX
from facts.models import EventType


def ensure_event_types() -> list[str]:
    """The CAMEO codes to draw from: the loaded codebook, else fixtures/00_cameo.json, else the 20 root codes."""
    if not EventType.objects.exists():
        if CAMEO_FIXTURE.exists():
            call_command("loaddata", str(CAMEO_FIXTURE), verbosity=0)
        else:
            EventType.objects.bulk_create([EventType(code=c, label=label) for c, label in CAMEO_ROOTS.items()])
    return list(EventType.objects.order_by("code").values_list("code", flat=True))


def _slugify(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-").replace("--", "-")


class ReferenceData(GeneratorBase):
    """The places, actors (with their aliases) and event types that the news reports draw from."""

    # -- names -------------------------------------------------------------------------------------------------
    def _word(self, parts: int) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(parts)).capitalize()

    def _unique_slug(self, name: str) -> str:
        base = SYNTHETIC_PREFIX + _slugify(name)[:100]
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add(slug)
        return slug

    # -- reference data ----------------------------------------------------------------------------------------
    def _places(self, batch: Batch):
        rng, plan = self.rng, self.plan
        countries = COUNTRIES[: plan.countries]
        regions = {}
        self.leaf_places, self.countries = [], []
        ext_geo = self.writer.adapt_json({"name": "synthetic", "latitude": "approximate", "longitude": "approximate"})
        ext_country = self.writer.adapt_json(
            {
                "name": "canonical spelling",
                "country_code": "ISO 3166-1",
                "latitude": "approximate",
                "longitude": "approximate",
            }
        )

        def add(name, kind, parent, lat, lon, code="", external=ext_geo):
            pk = self._id("place")
            lat = Decimal(f"{max(-89.9, min(89.9, lat)):.5f}") if lat is not None else None
            lon = Decimal(f"{((lon + 180) % 360) - 180:.5f}") if lon is not None else None
            slug = self._unique_slug(name)
            batch.add("place", (pk, slug, name, kind, parent, lat, lon, True, code, "", external, self.now, self.now))
            return pk, slug, name

        for name, code, region, lat, lon in countries:
            if region not in regions:
                regions[region] = add(
                    region, "region", None, None, None, external=self.writer.adapt_json({"name": "synthetic grouping"})
                )
            country = add(name, "country", regions[region][0], lat, lon, code, ext_country)
            self.countries.append((country, code, name))
            for _ in range(5):
                plat, plon = lat + rng.uniform(-2, 2), lon + rng.uniform(-2, 2)
                province = add(f"{self._word(2)} Province", "enclave", country[0], plat, plon)
                self.leaf_places.append(province)
                for kind, suffix in (("city", ""), ("city", ""), ("facility", " border crossing")):
                    self.leaf_places.append(
                        add(
                            self._word(rng.choice((2, 3))) + suffix,
                            kind,
                            province[0],
                            plat + rng.uniform(-0.5, 0.5),
                            plon + rng.uniform(-0.5, 0.5),
                        )
                    )
        self.place_cum = self._zipf(len(self.leaf_places), 0.7)

    def _zipf(self, n: int, s: float) -> list[float]:
        total, cum = 0.0, []
        for rank in range(n):
            total += 1.0 / (rank + 5) ** s
            cum.append(total)
        return cum

    def _actors(self, batch: Batch):
        rng, plan = self.rng, self.plan
        ext_state = self.writer.adapt_json({"name": "canonical spelling", "country_code": "ISO 3166-1"})
        self.states, self.orgs, self.persons, self.unnamed, self.all_actors = [], [], [], [], []

        def add(name, kind, code="", external=self.external_name):
            pk = self._id("actor")
            slug = self._unique_slug(name)
            batch.add("actor", (pk, slug, name, kind, code, "", external, self.now, self.now))
            return (pk, slug, name)

        def alias(actor, name, kind):
            # Generated, not read in a source: marked external, as any alias no source cites must be.
            batch.add("alias", (self._id("alias"), actor[0], name, kind, self.external_name, self.now, self.now))

        for _place, code, cname in self.countries:
            state = add(cname, "state", code, ext_state)
            self.states.append(state)
            alias(state, f"the {cname} government", "description")
        remaining = plan.actors - len(self.states)
        n_orgs, n_groups, n_unnamed = remaining * 3 // 100, remaining * 4 // 100, remaining * 3 // 100
        for i in range(n_orgs):
            (_, code, cname) = self.countries[i % len(self.countries)]
            kind_name = rng.choice(
                [
                    "Ministry of Foreign Affairs",
                    "Ministry of Defence",
                    "Red Crescent Society",
                    "Electoral Commission",
                    "Border Guard Service",
                ]
            )
            org = add(
                f"{cname} {kind_name}" if i < len(self.countries) * 5 else f"{self._word(2)} {kind_name}",
                "organization",
            )
            self.orgs.append(org)
            alias(org, "".join(w[0] for w in org[2].split() if w[0].isupper()), "abbreviation")
        for _ in range(n_groups):
            group = add(
                f"{self._word(2)} {rng.choice(['Liberation Front', 'Self-Defence Units', 'Brigade', 'Movement'])}",
                "group",
            )
            self.orgs.append(group)
        for i in range(n_unnamed):
            cname = self.countries[i % len(self.countries)][2]
            adjective = rng.choice(["senior", "military", "diplomatic", "security", "government", "regional"])
            noun = rng.choice(["official", "source", "diplomat"])
            self.unnamed.append(add(f"a {adjective} {cname} {noun}", "unnamed"))
        for _ in range(remaining - n_orgs - n_groups - n_unnamed):
            given, surname = self._word(2), self._word(rng.choice((2, 3)))
            person = add(f"{given} {surname}", "person")
            self.persons.append(person)
            alias(person, surname, "surname")
        self.all_actors = self.states + self.persons + self.orgs
        rng.shuffle(self.all_actors)
        self.actor_cum = self._zipf(len(self.all_actors), 0.8)

    def _event_types(self, codes: list[str]):
        by_root: dict[str, list[str]] = {}
        for code in codes:
            by_root.setdefault(code[:2], []).append(code)
        # Prefer specific codes (3-4 digits) when the codebook has them, as coders do.
        self.type_choices = {r: ([c for c in cs if len(c) > 2] or cs) for r, cs in by_root.items()}
        self.labels = dict(EventType.objects.values_list("code", "label"))
        self.roots = [r for r in ROOT_WEIGHTS if r in self.type_choices]
        self.root_cum, total = [], 0.0
        for r in self.roots:
            total += ROOT_WEIGHTS[r]
            self.root_cum.append(total)
