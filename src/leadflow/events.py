"""Domain event names: what later stages subscribe to."""

LEAD_CAPTURED = "lead.captured"
LEAD_MERGED = "lead.merged"
LEAD_UPDATED = "lead.updated"
IMPORT_RUN = "import.run"
