"""Stage 4: a version's tables (tables), the one selection rule (selection), its figures and
its report.
"""
