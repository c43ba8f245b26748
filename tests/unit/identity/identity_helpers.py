"""Constants the identity unit tests share (imported by name, like gateway_helpers)."""
import datetime as dt

NOW = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.timezone.utc)
PASSWORD = "correct horse battery"
