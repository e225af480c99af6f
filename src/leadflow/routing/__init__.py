"""Routing: takes every Sales Ready lead to its owner by rules as data (territory, product, capacity, round robin)."""
