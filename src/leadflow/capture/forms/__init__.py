"""Hosted forms: definitions (pure), their service, schemas, builder pages and the channel that takes posts in."""
