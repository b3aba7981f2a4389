"""The Jepsen-style checker of the fault suite: from what the clients were told (the driver's
history) and what the system holds at the end (databases, e-mail outbox, dead-letter queues),
count the lost and the duplicated effects.

An effect is lost when a submission the gateway confirmed has no submitted request with that
number, no `demande_submitted` event or no confirmation e-mail; it is duplicated when one key,
one draft or one number has more than one of them."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from fault_driver import Reply, Submission


@dataclass
class Outage:
    name: str
    start: float  # seconds since the driver's start
    end: float | None = None
    detail: str = ""

    def covers(self, at: float, margin: float = 0.0) -> bool:
        return self.start - margin <= at <= (self.end if self.end is not None else float("inf")) + margin


@dataclass
class Observed:
    """The system's state after the drain."""

    requests: dict[str, tuple[str | None, str]]  # demande id -> (number, state), the drafts of the run
    keys: dict[str, list[str]]  # Idempotency-Key -> request ids recorded for it
    submitted_transitions: Counter  # demande id -> DRAFT->SUBMITTED transitions
    submitted_events: Counter  # demande id -> demande_submitted events in the outbox
    unpublished_events: int  # outbox rows of demandes not yet published
    emails: Counter  # request number -> confirmation e-mails in the outbox folder
    emails_to_wrong_person: int
    notifications: Counter  # request number -> `demande_submitted` notifications recorded as sent
    dead_letters: dict[str, list[str]]  # DLQ name -> event ids parked there
    poison_event_id: str
    poison_queue: str


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    replies_by_status: Counter = field(default_factory=Counter)
    replies_by_outage: dict[str, Counter] = field(default_factory=dict)
    slowest_by_outage: dict[str, float] = field(default_factory=dict)
    confirmed_after: dict[str, int] = field(default_factory=dict)  # outage -> successes after its end

    def problem(self, text: str, examples=()) -> None:
        examples = list(examples)
        self.problems.append(text + (f" (e.g. {examples[:3]})" if examples else ""))


def status_label(reply: Reply) -> str:
    if reply.status is not None:
        return str(reply.status)
    return "hang" if reply.error == "hang" else "no answer"


def check(submissions: list[Submission], replies: list[Reply], outages: list[Outage], seen: Observed) -> Report:
    report = Report()
    ok = [s for s in submissions if s.number]
    report.counts["submissions"] = len(submissions)
    report.counts["submitted OK"] = len(ok)
    report.counts["retried (>1 attempt)"] = sum(1 for s in submissions if s.attempts > 1)
    report.counts["attempts"] = len(replies)
    not_confirmed = [s for s in submissions if not s.number]
    report.counts["never confirmed"] = len(not_confirmed)
    if not_confirmed:
        report.problem(f"{len(not_confirmed)} submissions never got a success",
                       [(s.key, s.gave_up) for s in not_confirmed])

    # --- what the gateway answered, and when -----------------------------------------------------
    for reply in replies:
        label = status_label(reply)
        report.replies_by_status[label] += 1
        for outage in outages:
            if outage.covers(reply.at, margin=1.0):
                report.replies_by_outage.setdefault(outage.name, Counter())[label] += 1
                report.slowest_by_outage[outage.name] = max(report.slowest_by_outage.get(outage.name, 0.0),
                                                            reply.elapsed)
    for outage in outages:
        after = sum(1 for r in replies if r.status == 200 and outage.end is not None and r.at > outage.end)
        report.confirmed_after[outage.name] = after
        if not after:
            report.problem(f"no submission succeeded after « {outage.name} »: no proof the system recovered")
    report.counts["503 answers"] = report.replies_by_status.get("503", 0)
    report.counts["500 answers"] = sum(n for label, n in report.replies_by_status.items() if label.startswith("5")
                                       and label != "503")
    report.counts["hangs (no answer in 30 s)"] = report.replies_by_status.get("hang", 0)
    report.counts["connection errors"] = report.replies_by_status.get("no answer", 0)
    unexpected = [r for r in replies if r.status not in (200, 503)]
    if unexpected:
        report.problem(f"{len(unexpected)} answers other than 200/503",
                       [(status_label(r), round(r.at, 1), r.error[:120]) for r in unexpected])
    slow = [r for r in replies if r.status is not None and r.elapsed > 15]
    if slow:
        report.problem(f"{len(slow)} answers took more than 15 s", [(r.status, round(r.elapsed, 1)) for r in slow])

    # --- requests: exactly once per key, unique numbers ------------------------------------------
    lost_requests, duplicated = [], []
    for s in ok:
        number, state = seen.requests.get(s.demande_id, (None, "missing"))
        if number != s.number or state == "DRAFT" or state == "missing":
            lost_requests.append((s.key, s.number, number, state))
        if len(seen.keys.get(s.key, [])) != 1 or seen.keys[s.key][0] != s.demande_id:
            duplicated.append((s.key, seen.keys.get(s.key)))
    numbers = Counter(number for number, _ in seen.requests.values() if number)
    duplicated_numbers = [n for n, c in numbers.items() if c > 1]
    transitions_twice = [d for d, c in seen.submitted_transitions.items() if c > 1]
    events_twice = [d for d, c in seen.submitted_events.items() if c > 1]
    confirmed_numbers = {s.number for s in ok}
    submitted_unconfirmed = [d for d, (n, _) in seen.requests.items() if n and n not in confirmed_numbers]
    report.counts["requests submitted in DB"] = sum(1 for n, _ in seen.requests.values() if n)
    report.counts["lost requests"] = len(lost_requests)
    report.counts["duplicated requests/keys"] = len(duplicated) + len(duplicated_numbers) + len(transitions_twice)
    if lost_requests:
        report.problem(f"{len(lost_requests)} confirmed submissions have no submitted request with their number",
                       lost_requests)
    if duplicated:
        report.problem(f"{len(duplicated)} keys do not map to exactly their one request", duplicated)
    if duplicated_numbers:
        report.problem(f"{len(duplicated_numbers)} numbers given twice", duplicated_numbers)
    if transitions_twice:
        report.problem(f"{len(transitions_twice)} requests submitted twice (history)", transitions_twice)
    if submitted_unconfirmed:
        report.problem(f"{len(submitted_unconfirmed)} requests submitted that no client was told about",
                       submitted_unconfirmed)

    # --- events and e-mails: exactly one per submitted request ------------------------------------
    submitted_ids = [d for d, (n, _) in seen.requests.items() if n]
    missing_events = [d for d in submitted_ids if seen.submitted_events.get(d, 0) == 0]
    report.counts["demande_submitted events"] = sum(seen.submitted_events.values())
    report.counts["events not yet published"] = seen.unpublished_events
    if missing_events or events_twice:
        report.problem(f"events: {len(missing_events)} missing, {len(events_twice)} twice", missing_events + events_twice)
    if seen.unpublished_events:
        report.problem(f"{seen.unpublished_events} outbox rows still unpublished after the drain")

    expected = {n for n, _ in seen.requests.values() if n}
    lost_emails = sorted(n for n in expected if seen.emails.get(n, 0) == 0)
    twice_emails = sorted(n for n in expected if seen.emails.get(n, 0) > 1)
    stray_emails = sorted(n for n in seen.emails if n not in expected)
    report.counts["confirmation e-mails"] = sum(seen.emails[n] for n in expected if n in seen.emails)
    report.counts["lost e-mails"] = len(lost_emails)
    report.counts["duplicated e-mails"] = sum(seen.emails[n] - 1 for n in twice_emails)
    twice_sent = [n for n, c in seen.notifications.items() if c > 1]
    unsent = [n for n in expected if seen.notifications.get(n, 0) == 0]
    report.counts["notifications recorded sent"] = sum(seen.notifications.values())
    if unsent:
        report.problem(f"{len(unsent)} submitted requests without a notification recorded as sent", unsent)
    if lost_emails:
        report.problem(f"{len(lost_emails)} submitted requests without a confirmation e-mail", lost_emails)
    if twice_emails or twice_sent:
        report.problem(f"{len(twice_emails)} requests with several e-mails, {len(twice_sent)} sent twice",
                       twice_emails + twice_sent)
    if stray_emails:
        report.problem(f"{len(stray_emails)} confirmation e-mails for numbers not submitted", stray_emails)
    if seen.emails_to_wrong_person:
        report.problem(f"{seen.emails_to_wrong_person} confirmation e-mails to another address than the owner's")

    # --- dead letters: the poison message, and nothing else ----------------------------------------
    parked = {name: ids for name, ids in seen.dead_letters.items() if ids}
    report.counts["dead-lettered (all DLQs)"] = sum(len(ids) for ids in parked.values())
    if parked != {seen.poison_queue + ".dlq": [seen.poison_event_id]}:
        report.problem("the dead-letter queues do not hold exactly the poison message",
                       [(name, ids[:3], len(ids)) for name, ids in parked.items()])
    return report


def table(report: Report, outages: list[Outage]) -> str:
    width = max(len(k) for k in report.counts) + 2
    lines = ["", "fault-injection run", "-" * (width + 10)]
    lines += [f"{name:<{width}}{value:>10}" for name, value in report.counts.items()]
    lines.append("-" * (width + 10))
    lines.append("gateway answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(report.replies_by_status.items())))
    lines.append("faults (seconds since the load began; answers to submissions sent during each, ±1 s):")
    for outage in outages:
        answers = report.replies_by_outage.get(outage.name, Counter())
        end = f"{outage.end:6.1f}" if outage.end is not None else "  open"
        lines.append(f"  {outage.name:<40} {outage.start:6.1f} - {end}  "
                     + (", ".join(f"{k}: {v}" for k, v in sorted(answers.items())) or "no submission")
                     + f"; slowest {report.slowest_by_outage.get(outage.name, 0):.1f} s"
                     + f"; {report.confirmed_after.get(outage.name, 0)} OK after")
        if outage.detail:
            lines.append(f"      {outage.detail}")
    lines.append("problems: " + ("none" if not report.problems else ""))
    lines += [f"  - {p}" for p in report.problems]
    return "\n".join(lines)
