"""Executors of blueprint jobs, and whether a run's process is still alive."""
