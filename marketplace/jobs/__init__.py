"""Jobs: requesters' paid postings, task kinds, task import and export, eligibility rules."""
