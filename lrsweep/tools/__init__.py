"""What reads finished versions: the ``lrsweep`` command (cli), predict, compare, gc and the
MLflow export.
"""
