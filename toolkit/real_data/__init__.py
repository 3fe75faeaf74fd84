"""Readers of real data that others measured (../shared/data/README.md says where each comes from).

Nothing here is committed data: each reader takes a folder and fails with one line naming the file
that is missing or malformed.
"""
