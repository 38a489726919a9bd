"""Achievements (科技成果) and demands (技术需求): listings, review, challenges, import."""
