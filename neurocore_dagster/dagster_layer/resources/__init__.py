"""Resources of blueprint jobs: one per component, the run's inputs, the LLMs."""
