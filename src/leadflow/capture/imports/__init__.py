"""Imports: files read as rows (pure), the import lifecycle, its schemas, pages and HTTP channel."""
