"""People working together: preferences, substitutes and delegation, comments,
attachments, drafts, saved filters and task changes by supervisors."""
