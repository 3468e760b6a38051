"""Stage 2: fit one grid point: scikit-learn (sklearn), statsmodels with its separation and
identifiability checks (statsmodels), and the files of a fit entry (record).
"""
