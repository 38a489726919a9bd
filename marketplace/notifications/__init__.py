"""In-app (and e-mail) notifications delivered by the worker from the outbox."""
