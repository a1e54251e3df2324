"""One build: every seed source and its facts spec, turned into the rows of the fixture files."""

import hashlib
import json
from datetime import date
from pathlib import Path

import yaml
from django.core.management.base import CommandError

from facts.fixture_build.rows import CAMEO_FILE, OUTPUT_FILES, dumps, row
from facts.fixture_build.spec import SourceContext


class Builder:
    """Turns seeds into fixture rows; one instance per build."""

    def __init__(self, seeds_dir: Path, fixtures_dir: Path):
        self.seeds_dir = seeds_dir
        self.fixtures_dir = fixtures_dir
        self.rows: dict[str, list[dict]] = {name: [] for name in OUTPUT_FILES}
        self.actor_pk: dict[str, int] = {}
        self.place_pk: dict[str, int] = {}
        self.event_ids: set[int] = set()
        self.event_dates: dict[int, dict] = {}
        self.statement_ids: set[int] = set()
        self.relation_ids: set[int] = set()
        self.cameo_codes = self._read_cameo()

    # --- inputs -----------------------------------------------------------------------------------------------

    def _read_cameo(self) -> set[str]:
        path = self.fixtures_dir / CAMEO_FILE
        if not path.exists():
            raise CommandError(f"{path} (the CAMEO codebook) is missing.")
        rows = json.loads(path.read_text(encoding="utf-8"))
        return {row["pk"] for row in rows if row["model"] == "facts.eventtype"}

    def build(self) -> dict[str, str]:
        metas = sorted(self.seeds_dir.glob("*.meta.json"))
        if not metas:
            raise CommandError(f"No *.meta.json files in {self.seeds_dir}.")
        for meta_path in metas:
            self._build_source(meta_path)
        return {name: dumps(rows) for name, rows in self.rows.items()}

    def _build_source(self, meta_path: Path):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        stem = meta_path.name.removesuffix(".meta.json")
        prefix = stem.split("_", 1)[0]
        if not prefix.isdigit():
            raise CommandError(f"{meta_path.name}: the file name must start with a number (the source's key).")
        source_pk = int(prefix) + 1
        raw = (self.seeds_dir / meta["file"]).read_bytes()
        text = raw.decode("utf-8")  # strict: a source that is not UTF-8 must not be stored half-decoded
        published = date.fromisoformat(meta["published"])
        self.rows["01_sources.json"].append(
            row(
                "source",
                source_pk,
                {
                    "slug": meta["slug"],
                    "title": meta["title"],
                    "publisher": meta.get("publisher", ""),
                    "url": meta.get("url", ""),
                    "published": meta["published"],
                    "language": meta.get("language", "en"),
                    "text": text,
                    "checksum": hashlib.sha256(raw).hexdigest(),
                    "external": meta.get("external", {}),
                },
            )
        )
        spec_path = self.seeds_dir / f"{stem}.facts.yaml"
        if not spec_path.exists():
            return  # a source may be stored before anyone curates its facts
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        ctx = SourceContext(self, spec_path.name, source_pk, text, published)
        for actor in spec.get("actors", []):
            ctx.actor(actor)
        for place in spec.get("places", []):
            ctx.place(place)
        for actor in spec.get("actors", []):
            for index, affiliation in enumerate(actor.get("affiliations", []), start=1):
                ctx.affiliation(actor, index, affiliation)
        events = spec.get("events", [])
        self.event_ids.update(e["id"] for e in events)
        for event in events:
            ctx.event(event)
        statements = spec.get("statements", [])
        for statement in statements:
            ctx.statement(statement)
        for relation in spec.get("relations", []):
            ctx.relation(relation)
