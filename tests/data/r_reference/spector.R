# Reference numbers for lrsweep's inference on the Spector & Mazzeo (1980) data, computed with
# R's glm and the sandwich package (run once; the tests read spector_reference.csv and do not
# need R). Run from this folder:  Rscript spector.R
#
# spector.csv is statsmodels.datasets.spector (32 rows) with a deterministic grouping column
# GROUP: rows 1-4 are g1, rows 5-8 g2, ..., rows 29-32 g8 (8 clusters of 4 rows).
#
# Average marginal effects are computed by hand (the margins package is not packaged for
# Debian): AME_j = mean_i p_i (1 - p_i) b_j, with delta-method standard errors from the
# analytic gradient dAME_j / db_k = mean_i p_i (1 - p_i) (1[j = k] + b_j (1 - 2 p_i) x_ik).
# Wald intervals use qnorm(0.975), as confint.default.
library(sandwich)

d <- read.csv("spector.csv")
# a tight tolerance: glm computes vcov from the weights of its last iteration, so the
# default epsilon (1e-8) leaves them about 1e-5 (relative) away from those at the estimates
fit <- glm(GRADE ~ GPA + TUCE + PSI, family = binomial, data = d,
           control = glm.control(epsilon = 1e-14, maxit = 100))
b <- coef(fit)
terms <- c("intercept", "GPA", "TUCE", "PSI")
X <- model.matrix(fit)
p <- fitted(fit)
w <- p * (1 - p)
z <- qnorm(0.975)

covs <- list(
  nonrobust = vcov(fit),
  HC0 = vcovHC(fit, type = "HC0"),
  HC1 = vcovHC(fit, type = "HC1"),
  HC2 = vcovHC(fit, type = "HC2"),
  HC3 = vcovHC(fit, type = "HC3"),
  cluster = vcovCL(fit, cluster = ~GROUP, type = "HC1"),
  cluster_HC0 = vcovCL(fit, cluster = ~GROUP, type = "HC0")
)
stopifnot(isTRUE(all.equal(unname(confint.default(fit)[, 1]),
                           unname(b - z * sqrt(diag(vcov(fit)))))))

rows <- list()
add <- function(quantity, cov_type, term, value, term2 = "") {
  rows[[length(rows) + 1]] <<- data.frame(
    quantity = quantity, cov_type = cov_type, term = term, term2 = term2,
    value = sprintf("%.15g", value)
  )
}
for (j in seq_along(b)) add("estimate", "", terms[j], b[j])
ame <- mean(w) * b[-1]
for (name in names(covs)) {
  V <- covs[[name]]
  se <- sqrt(diag(V))
  for (j in seq_along(b)) {
    add("std_err", name, terms[j], se[j])
    add("odds_ratio", name, terms[j], exp(b[j]))
    add("odds_ratio_ci_low", name, terms[j], exp(b[j] - z * se[j]))
    add("odds_ratio_ci_high", name, terms[j], exp(b[j] + z * se[j]))
    for (k in seq_along(b)) add("vcov", name, terms[j], V[j, k], terms[k])
  }
  for (j in 2:length(b)) {
    g <- colMeans(w * (outer(rep(1, nrow(X)), as.numeric(seq_along(b) == j)) +
                       b[j] * (1 - 2 * p) * X))
    se_ame <- sqrt(drop(t(g) %*% V %*% g))
    add("ame", name, terms[j], ame[j - 1])
    add("ame_std_err", name, terms[j], se_ame)
  }
}
out <- do.call(rbind, rows)
write.csv(out, "spector_reference.csv", row.names = FALSE, quote = FALSE)
cat(R.version.string, "; sandwich", as.character(packageVersion("sandwich")), "\n")
