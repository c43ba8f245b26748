"""Transfers of organisational relationship (组织关系转接, docs/domain.md §3):
a sub-domain of members with the standard module names. ``service`` is the
entrypoints' mixin of ``MembersService``; ``domain`` the Transfer aggregate;
``member`` the member's side (one open transfer at a time); ``saga`` the
steps across orgs and dues; ``commands``, ``queries``, ``projections``,
``rules`` and ``checks`` as in every service."""
