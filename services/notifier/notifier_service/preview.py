"""Operator command: render every notification with its sample data, to look at each of them.

    python -m notifier_service preview --out DIR [--portal-url URL]

Writes ``DIR/<name>.html`` and ``DIR/<name>.txt`` for every e-mail (the HTML and text parts a
person receives), ``DIR/<name>.txt`` for every SMS, and ``DIR/index.html`` listing them with
their requirement id and subject. Nothing is sent.
"""
from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

from .messages import NOTIFICATIONS, render_email, render_previews
from .messages.rendering import (
    DEFAULT_PREVIEW_PORTAL_URL, DEFAULT_PREVIEW_RECIPIENT, DEFAULT_PREVIEW_SENDER,
)


def _subject(notification, portal_url: str) -> str:
    if notification.channel != "email":
        return "(SMS)"
    message = render_email(notification.name, notification.sample_context, to=DEFAULT_PREVIEW_RECIPIENT,
                           sender=DEFAULT_PREVIEW_SENDER, notification_id="preview",
                           portal_url=portal_url)
    return str(message["Subject"])


def write_index(out: Path, portal_url: str) -> Path:
    rows = []
    for name in sorted(NOTIFICATIONS, key=lambda n: (int(NOTIFICATIONS[n].spec_id.split("-")[1]), n)):
        notification = NOTIFICATIONS[name]
        links = [f'<a href="{name}.txt">texte</a>']
        if notification.channel == "email":
            links.insert(0, f'<a href="{name}.html">HTML</a>')
        rows.append(
            f"<tr><td>{html.escape(notification.spec_id)}</td><td>{html.escape(name)}</td>"
            f"<td>{html.escape(notification.channel)}</td>"
            f"<td>{html.escape(_subject(notification, portal_url))}</td><td>{' · '.join(links)}</td></tr>")
    page = (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        "<title>Notifications – aperçu</title></head><body>\n"
        f"<h1>Notifications ({len(rows)})</h1>\n"
        '<table border="1" cellpadding="4" cellspacing="0">\n'
        "<tr><th>exigence</th><th>nom</th><th>canal</th><th>objet</th><th>aperçu</th></tr>\n"
        + "\n".join(rows) + "\n</table></body></html>\n"
    )
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def preview_command(settings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m notifier_service preview",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder to write the previews to")
    parser.add_argument("--portal-url", default=(settings.get("PORTAL_PUBLIC_URL") if settings else None)
                        or DEFAULT_PREVIEW_PORTAL_URL)
    args = parser.parse_args(argv)
    out = Path(args.out)
    written = render_previews(out, portal_url=args.portal_url)
    index = write_index(out, args.portal_url)
    print(f"{len(NOTIFICATIONS)} notifications, {len(written)} files written to {out} (open {index})")
    return 0


if __name__ == "__main__":  # pragma: no cover - the usual entry is `python -m notifier_service preview`
    sys.exit(preview_command(None, sys.argv[1:]))
