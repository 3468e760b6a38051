"""The content-addressed store and the version folders: atomic file writes and checksums
(files), content keys (keys), store entries (entries), versions and ``latest`` with its
history (versions, history), provenance, and the one loader of model files (modelfile).

Nothing here computes a number: editing it re-keys no result (``keys.NEUTRAL_CODE``).
"""
