"""Brokerage (撮合): deals between a demand or buyer and an achievement, worked by brokers."""
