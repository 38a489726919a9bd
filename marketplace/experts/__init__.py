"""The expert library (专家库) and evaluations (成果评价)."""
