"""The event-sourcing kernel every eJia service uses (no domain rules here)."""
