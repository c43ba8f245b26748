"""orgs: the organisation tree, branch founding, committees and alliances."""
