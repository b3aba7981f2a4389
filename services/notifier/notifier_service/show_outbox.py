"""Operator command: read the development outbox as a person would read their mail and SMS.

    python -m notifier_service.show_outbox            # the 5 latest e-mails and SMS
    python -m notifier_service.show_outbox --last 20
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from consignations_shared.config import var_dir

from .delivery import read_outbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--last", type=int, default=5, help="how many messages of each kind")
    parser.add_argument("--dir", default=os.environ.get("NOTIFIER_OUTBOX_DIR") or str(var_dir() / "outbox"))
    args = parser.parse_args(argv)
    contents = read_outbox(Path(args.dir))
    for sms in contents.sms[-args.last:]:
        print(f"--- SMS à {sms['to']} ({sms['created_at']})\n{sms['text']}\n")
    for message in contents.emails[-args.last:]:
        body = message.get_body(("plain",))
        print(f"--- Courriel à {message['To']} ({message['Date']})\nObjet : {message['Subject']}\n")
        print(body.get_content().strip() if body else "(pas de partie texte)")
        print()
    if not contents.sms and not contents.emails:
        print(f"Aucun message dans {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
