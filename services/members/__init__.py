"""members: member records and status, the development pipeline (applicant to full member)."""
