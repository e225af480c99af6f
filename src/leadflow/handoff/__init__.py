"""Hand-off to other systems: outbound webhooks with a delivery log, retries and replay; HubSpot and Salesforce."""
