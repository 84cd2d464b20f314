"""Email templates: revisions, variables and rendering, the automatic content checks, and
the review workflow with the reviewers' queue."""
