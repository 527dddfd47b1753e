"""Queue page response time with a large database (default 10,000 tickets).

Seeds a throwaway SQLite database (or ``--database-url``) through the store models, then
requests the queue page in-process N times per scenario (default view, a country filter, a
free-text search that reaches message bodies) and prints median and p95 in milliseconds.

    python -m bench.queue_page [--tickets 10000] [--requests 40]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from store.db import make_engine, session_scope
from store.migrate import upgrade
from store.models import REQUEST_TYPES, Ticket, TicketMessage, utcnow
from store.users import create_user
from triage.settings import load_settings
from triage.web.app import create_app

COUNTRIES = ("GB", "US", "FR", "DE", "ES", "IT", "NL", "PL", "IE", "BR", "IN", "EU")
AGENCIES = ("Metropolitan Police Service", "Federal Bureau of Investigation", "Police nationale", "Guardia Civil",
            "Polizei Bayern", "Politie", "Garda Síochána", "Europol", "Polícia Federal", "Policja")  # fmt: skip
STATUSES = ("new", "new", "new", "in_review", "waiting_on_authority", "responded", "closed")
PASSWORD = "bench-password-1"


def seed(engine: Engine, n: int, rng: random.Random) -> None:
    """``n`` tickets with one inbound message each, spread over 90 days, ~2% emergencies."""
    now = utcnow()
    with session_scope(engine) as session:
        create_user(session, "bench", PASSWORD, "reviewer")
    batch = 1000
    for start in range(0, n, batch):
        with session_scope(engine) as session:
            tickets = []
            for i in range(start, min(n, start + batch)):
                received = now - timedelta(minutes=rng.randint(1, 90 * 24 * 60))
                deadline = (received + timedelta(days=rng.randint(1, 30))).date() if rng.random() < 0.6 else None
                emergency = rng.random() < 0.02
                due = None
                if deadline is not None:
                    due = received.replace(year=deadline.year, month=deadline.month, day=deadline.day, hour=23)
                country = rng.choice(COUNTRIES)
                tickets.append(
                    Ticket(
                        reference=f"LE-2026-{i + 1:06d}",
                        status=rng.choice(STATUSES),
                        subject=f"Request {i} for account @user{i}",
                        sender_address=f"officer{i}@police.example",
                        received_at=received,
                        agency=rng.choice(AGENCIES),
                        country=country,
                        request_type=rng.choice(REQUEST_TYPES),
                        emergency=emergency,
                        deadline=deadline,
                        due_at=due,
                        case_reference=f"CASE/{i}",
                        targets=[f"@user{i}"],
                        sender_verified=rng.random() < 0.8,
                        acknowledged_at=received + timedelta(minutes=rng.randint(1, 120)),
                    )
                )
            session.add_all(tickets)
            session.flush()
            for t in tickets:
                assert t.id is not None
                body = f"Dear team, please provide data for @user{t.id}. Reference {t.case_reference}.\n" * 20
                session.add(TicketMessage(ticket_id=t.id, direction="inbound", subject=t.subject, body_text=body))


def measure(client: TestClient, url: str, requests: int) -> tuple[float, float]:
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {resp.status_code}")
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        t0 = time.perf_counter()
        seed(engine, args.tickets, random.Random(7))
        print(f"seeded {args.tickets} tickets in {time.perf_counter() - t0:.1f} s ({engine.dialect.name})")
        settings = load_settings(database_url=url, data_dir=Path(tmp) / "data")
        with TestClient(create_app(settings, engine)) as client:
            form = client.get("/login").text
            token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
            for name, path in (("queue (open, urgency order)", "/"), ("filter country=DE", "/?country=DE"),
                               ("search q=user42 (bodies too)", "/?q=user42"), ("page 50", "/?page=50")):  # fmt: skip
                client.get(path)  # warm-up
                med, p95 = measure(client, path, args.requests)
                print(f"{name:32s} median {med:7.1f} ms   p95 {p95:7.1f} ms   (n={args.requests})")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
