"""Domain event names: what later stages subscribe to."""

LEAD_CAPTURED = "lead.captured"
LEAD_MERGED = "lead.merged"
LEAD_UPDATED = "lead.updated"
LEADS_MERGED = "leads.merged"  # two leads became one (a person or dedupe); undone by an unmerge
IMPORT_RUN = "import.run"
CAPTURE_RETRY = "capture.retry"  # periodic: process again the captures a failure left pending
EMAIL_SEND = "email.send"  # one email to send through SMTP (leadflow.mail)
PREDICT_TICK = "predict.tick"  # periodic: retrain the predictive model when due, score new open leads
LEAD_STAGE_CHANGED = "lead.stage_changed"  # {lead_id, from, to, reason, actor}: every move of the stage machine
LEAD_SALES_READY = "lead.sales_ready"  # once per lead (key lead.sales_ready:{id}): routing subscribes to it
SCORING_RESCORE = "scoring.rescore"  # a rescore run of every lead under a newly activated rule set
SCORING_REFRESH = "scoring.refresh"  # the nightly decay refresh of the stored scores
