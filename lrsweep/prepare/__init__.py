"""Stage 1: load a dataset and check it (data), split it, and build the design: impute,
encode, scale, folds (design).
"""
