"""Readers of what other systems' senders post (Salesforce, HubSpot, Meta, Mautic), one module per vendor.

Pure: no database, no HTTP framework, no clock.
"""
