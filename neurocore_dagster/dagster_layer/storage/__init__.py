"""Where contexts live between ops and how a run's final context is read back."""
