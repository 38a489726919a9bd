"""Background job runs: state, progress and history of long jobs (reindex, recompute, import)."""
