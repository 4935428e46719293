"""What runs inside one op: skills on a context, routing, loops, deltas. No Dagster."""
