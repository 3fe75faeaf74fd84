"""Validation of the toolkit's models against real data measured by others (`make validate`).

Each check module reads one folder of the data root (`../shared/data` by default) and compares a
statistic of the real data with the toolkit's; see base.py for the row and runner.py for the table.
"""
