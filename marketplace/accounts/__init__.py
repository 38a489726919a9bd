"""Users, organisations, sign-in sessions, roles and API tokens."""
