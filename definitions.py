"""Dagster entry point of the example project: `dagster dev -f definitions.py`.

The blueprints' definitions, merged with one asset written in plain Dagster,
`raw/tickets`, whose materializations start the `ticket-batch` blueprint (its
`asset_sensor` trigger) with the batch's metadata as run inputs.
"""

import json
from pathlib import Path

import dagster as dg

from neurocore_dagster import build_definitions

SAMPLE_TICKETS = [
    ("email", "The app crashes on login"),
    ("chat", "Please refund my last invoice"),
    ("email", "How do I export my data?"),
    ("phone", "Error 500 when I save a draft"),
    ("chat", "I was charged twice this month"),
    ("email", "Can I add a second admin?"),
]


class TicketBatchConfig(dg.Config):
    size: int = 4
    """Tickets in the batch (taken from the sample list, repeating it as needed)."""


@dg.asset(
    key=["raw", "tickets"],
    group_name="raw",
    kinds={"json"},
    description="A batch of support tickets (offline sample data), as JSON lines.",
)
def raw_tickets(
    context: dg.AssetExecutionContext, config: TicketBatchConfig
) -> dg.MaterializeResult:
    folder = Path(context.instance.storage_directory()) / "raw_tickets"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{context.run.run_id}.jsonl"
    batch = [SAMPLE_TICKETS[i % len(SAMPLE_TICKETS)] for i in range(config.size)]
    rows = [{"id": i + 1, "channel": c, "text": t} for i, (c, t) in enumerate(batch)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    channels: dict[str, int] = {}
    for row in rows:
        channels[row["channel"]] = channels.get(row["channel"], 0) + 1
    return dg.MaterializeResult(
        metadata={
            "row_count": dg.MetadataValue.int(len(rows)),
            "path": dg.MetadataValue.path(str(path)),
            "channels": dg.MetadataValue.json(channels),
            "source": dg.MetadataValue.text("offline sample"),
        }
    )


defs = dg.Definitions.merge(
    build_definitions(project_root=Path(__file__).parent),
    dg.Definitions(assets=[raw_tickets]),
)
