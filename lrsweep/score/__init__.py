"""Stage 3: score stored fits: metrics, intervals and paired tests (intervals), robust and
clustered covariance with odds ratios and marginal effects (covariance), and the files of
a scores entry (record).
"""
