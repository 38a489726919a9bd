"""Technology achievements (科技成果) and technical demands (技术需求), and their review."""
