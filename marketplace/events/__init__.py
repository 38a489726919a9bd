"""Matchmaking events (对接活动 · 路演): sign-ups, check-in, 1-on-1 meetings, outcomes, reports."""
