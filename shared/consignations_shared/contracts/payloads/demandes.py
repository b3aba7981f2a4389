"""Events and commands of the demandes service."""
from __future__ import annotations

from typing import Any

from ..messages import Message, command


@command("demandes", "documents", "render_summary")
class RenderSummary(Message):
    """Render and store the PDF summary of one version of a request (DO-7), written by demandes
    in the transaction that transmits that version (submission, complement): the documents
    service renders it in its worker pool, stores it and announces `summary_generated`; a
    repeated command renders nothing more (one summary per request version and content).

    `snapshot` is the request snapshot of documents_service/contracts.py; `person` the person
    whose action made the version (recorded as `generated_by`)."""
    snapshot: dict[str, Any]
    person: dict[str, Any]
