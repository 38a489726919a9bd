"""Full-text search (Whoosh with Chinese analysis) and demand ↔ achievement matching."""
