"""Reading the development outbox as a person reads their mail (end-to-end tests)."""
from __future__ import annotations

import json
import re
import time
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import create_engine, text


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def sms_to(system, mobile):
    folder = system.outbox / "sms"
    if not folder.exists():
        return []
    messages = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)]
    return [m for m in messages if m["to"] == mobile]


def emails_to(system, address, subject_contains=""):
    folder = system.outbox / "email"
    if not folder.exists():
        return []
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address and subject_contains in message["Subject"]:
            found.append(message)
    return found


def wait_email(system, address, subject_contains, count=1):
    mails = wait_for(lambda: len(emails_to(system, address, subject_contains)) >= count)
    assert mails, f"no e-mail « {subject_contains} » to {address}"
    return emails_to(system, address, subject_contains)[-1]


def plain_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_token(message, path: str) -> str:
    match = re.search(r"(https?://\S+" + re.escape(path) + r"\?token=\S+)", plain_text(message))
    assert match, f"no {path} link in the e-mail"
    return parse_qs(urlsplit(match.group(1)).query)["token"][0]


def scalar(url, sql, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def solved_captcha(system, session):
    captcha = session.post(system.url("/api/captcha")).json()
    answer = scalar(system.database_urls["identity"], "SELECT answer FROM captcha_challenges WHERE id = :id",
                    id=captcha["captcha_id"])
    return {"captcha_id": captcha["captcha_id"], "captcha_answer": answer}
