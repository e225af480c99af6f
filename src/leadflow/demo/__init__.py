"""`leadflow demo`: fills an empty database with a believable company's lead management, through the stages' services.

People in every role and their teams (`people.py`), company groups across six countries (`companies.py`), campaigns
on every channel with their costs and hosted forms (`campaigns.py`), thousands of leads captured through the import
pipeline (`leads.py`), six months of sales work (`work.py`), then the leads' story after capture: behaviour, stage
history, BANT, scores and Sales Ready (`story.py`), and the sales follow-up: hand-overs with their due times, first
contacts, open tasks, opportunities, quotes and competitors (`sales.py`). `seed.py` runs the parts in order and
resumes a stopped run.
"""

from leadflow.demo.progress import Progress, Report
from leadflow.demo.seed import NotEmpty, command, lead_count, run

__all__ = ["NotEmpty", "Progress", "Report", "command", "lead_count", "run"]
