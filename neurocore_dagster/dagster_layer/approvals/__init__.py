"""Approval gates on Dagster: suspensions, one-winner claims, the approve job."""
