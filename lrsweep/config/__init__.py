"""Stage 0, parse time: read ``config.yaml`` strictly (yaml), merge overlays, validate against
the schema and fill its defaults (resolve), and expand each experiment's grid (grid).
"""
