"""`propose_facts` on a 20,000-word article, end to end: at most 20 s with its database writes and its progress bar.

The article is built deterministically (a seeded random.Random) from the seed's own patterns and names: meetings,
visits, hosted talks, accusations, quotations with their speakers and dates, titled new people and unnamed
officials, so that every rule of the extractor and every write of the wiring (candidate actors, affiliations,
statements, events, merged duplicates, mentions) is exercised, not one sentence repeated. It is stored with
`add_source` and proposed with the command, both as a curator runs them; run on SQLite and on PostgreSQL
(DATABASE_URL) alike.
"""

import random
import time

from django.core.management import call_command

from facts.models import Actor, Event, ProposalState, Source, Statement

WORDS = 20_000
BOUND_SECONDS = 20.0
PEOPLE = ["Antony Blinken", "Ararat Mirzoyan", "Jeyhun Bayramov", "Ilham Aliyev", "Nikol Pashinyan", "Vedant Patel"]
SURNAMES = ["Blinken", "Mirzoyan", "Bayramov", "Aliyev", "Pashinyan", "Patel", "Colonna"]
STATES = ["Armenia", "Azerbaijan", "Russia", "France", "Turkey", "Ukraine", "the United States"]
CAPITALS = ["Yerevan", "Baku", "Moscow", "Washington"]
PLACES = ["Washington", "Baku", "Yerevan", "Moscow", "Munich", "the Lachin Corridor"]
DAYS = ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "last week", "in March", "on Sunday"]
DEMONYMS = ["French", "Russian", "Turkish", "Armenian", "Azerbaijani", "Ukrainian"]
TITLES = ["Foreign Minister", "Prime Minister", "Defense Minister"]
FIRST = ["Anna", "Mark", "Lena", "Pavel", "Omar", "Sofia", "Karim", "Elena", "Ivan", "Nadia", "Timur", "Clara"]
LAST = ["Novak", "Harutyunyan", "Mammadov", "Petrov", "Durand", "Yilmaz", "Kovalenko", "Sargsyan", "Aliyeva"]
QUOTE_WORDS = (
    "peace talks border ceasefire corridor progress agreement trust dialogue security region people future "
    "humanitarian access guarantees delegation negotiations treaty stability settlement"
).split()
VERBS = ["said", "added", "told reporters", "stressed"]
CAST = 30


def _quote(rng: random.Random) -> str:
    words = rng.sample(QUOTE_WORDS, rng.randint(5, 9))
    return f"We {rng.choice(['want', 'need', 'will not accept', 'welcome'])} " + " ".join(words)


BACKGROUND = [
    "The conflict over the {topic} dates back to the end of the Soviet Union.",
    "Tensions over the {topic} have simmered for months, observers say.",
    "The {topic} remains the main obstacle to a lasting settlement between the neighbours.",
    "Diplomats describe the {topic} as the hardest question on the table.",
    "Thousands of families displaced by the fighting are still waiting to return home.",
    "Analysts expect the {topic} to dominate the next round, if there is one.",
]
TOPICS = ["border", "corridor", "ceasefire", "peace treaty", "humanitarian access", "prisoner exchange"]


def _sentence(rng: random.Random, new_people: list[str]) -> str:
    a, b = rng.sample(STATES, 2)
    person, other = rng.sample(PEOPLE, 2)
    # About a third of a news article's sentences give context, not a fact: the seed's density of proposals.
    pattern = rng.randrange(15)
    if pattern >= 10:
        return rng.choice(BACKGROUND).format(topic=rng.choice(TOPICS))
    if pattern == 0:
        return f"{person} met {other} in {rng.choice(PLACES)} {rng.choice(DAYS)}."
    if pattern == 1:
        return f"“{_quote(rng)},” {rng.choice(SURNAMES)} {rng.choice(VERBS)} {rng.choice(DAYS)}."
    if pattern == 2:
        return f"{a.capitalize()} hosted talks between {b} and {rng.choice(STATES)} {rng.choice(DAYS)}."
    if pattern == 3:
        return f"{rng.choice(CAPITALS)} accused {b} of violating the cease-fire {rng.choice(DAYS)}."
    if pattern == 4:
        # A cast of new people, each introduced with a title and named again later (by surname) as an article does.
        name = f"{FIRST[len(new_people) % len(FIRST)]} {LAST[len(new_people) % len(LAST)]}"
        if len(new_people) < CAST:
            new_people.append(name)
        name = rng.choice(new_people)
        title = f"{rng.choice(DEMONYMS)} {rng.choice(TITLES)} {name}"
        return f"{title} visited {rng.choice(PLACES)} {rng.choice(DAYS)}, urging {b} to return to the table."
    if pattern == 5 and new_people:
        return f"“{_quote(rng)},” {rng.choice(new_people).split()[-1]} said."
    if pattern == 6:
        return f"A {rng.choice(DEMONYMS)} official said “{_quote(rng)}.”"
    if pattern == 7:
        return f"{person} spoke with {other} by phone {rng.choice(DAYS)} about the {rng.choice(QUOTE_WORDS)} talks."
    if pattern == 8:
        return f"According to a statement from {rng.choice(CAPITALS)}, {a} and {b} agreed to resume negotiations."
    return f"{a.capitalize()} and {b} have clashed over {rng.choice(PLACES)} since {rng.choice(['1990', '2020'])}."


def long_article(words: int = WORDS, seed: int = 19) -> str:
    """About `words` words of varied news sentences, in paragraphs of three to six sentences; the same every run."""
    rng, new_people, paragraphs, count = random.Random(seed), [], [], 0
    while count < words:
        paragraph = " ".join(_sentence(rng, new_people) for _ in range(rng.randint(3, 6)))
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    return "Talks on the South Caucasus resume\n\n" + "\n\n".join(paragraphs) + "\n"


def test_propose_facts_on_20000_words_with_its_writes_and_progress_bar_within_20_s(new_article, tmp_path, capsys):
    text = long_article()
    assert len(text.split()) >= WORDS and long_article() == text
    path = tmp_path / "long.txt"
    path.write_text(text, encoding="utf-8")
    call_command("add_source", str(path), "--title", "Talks on the South Caucasus resume", "--published", "2023-05-10")
    source = Source.objects.get(slug="talks-on-the-south-caucasus-resume")
    capsys.readouterr()
    started = time.perf_counter()
    call_command("propose_facts", source.slug)
    seconds = time.perf_counter() - started
    out, err = capsys.readouterr()
    statements = Statement.objects.filter(evidence__source=source).distinct().count()
    events = Event.objects.filter(evidence__source=source).distinct().count()
    actors = Actor.objects.filter(status=ProposalState.CANDIDATE).count()
    print(
        f"\npropose_facts on {len(text.split())} words: {seconds:.1f} s; {statements} statements, {events} events, "
        f"{actors} candidate actors"
    )
    assert "Sentences" in err and "candidate statement(s)" in out  # the progress bar, then the report
    assert statements > 300 and events > 200 and 0 < actors <= CAST + len(DEMONYMS)
    assert seconds <= BOUND_SECONDS
