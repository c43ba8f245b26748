"""The kernel's schema revisions, one file each, in order of ``down_revision``."""
