"""Domain event names: what later stages subscribe to."""

LEAD_CAPTURED = "lead.captured"
LEAD_MERGED = "lead.merged"
LEAD_UPDATED = "lead.updated"
LEADS_MERGED = "leads.merged"  # two leads became one (a person or dedupe); undone by an unmerge
IMPORT_RUN = "import.run"
EMAIL_SEND = "email.send"  # one email to send through SMTP (leadflow.mail)
