# Goldens for alscell.analysis.cox_sandwich.robust_cox_se: R survival::coxph with Efron ties, case
# weights, counting-process (start, stop] data and a cluster-robust (sandwich) variance by patient.
# Run:  Rscript tests/analysis/goldens/cox_efron.R   (Debian: r-base-core, r-cran-survival)
# Reads cox_efron_data.csv (written by tests/analysis/goldens/cox_efron_data.py) and writes
# cox_efron_expected.csv: one row per scenario and covariate with coef, robust SE, naive SE.
suppressMessages(library(survival))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "cox_efron_data.csv"))
out <- list()
for (sc in unique(d$scenario)) {
  s <- d[d$scenario == sc, ]
  if (all(s$w == 1)) {
    fit <- coxph(Surv(start, stop, event) ~ x + a, data = s, ties = "efron", cluster = patient_id)
  } else {
    fit <- coxph(Surv(start, stop, event) ~ x + a, data = s, weights = w, ties = "efron", cluster = patient_id)
  }
  out[[sc]] <- data.frame(scenario = sc, term = names(coef(fit)), coef = unname(coef(fit)),
                          se_robust = sqrt(diag(fit$var)), se_naive = sqrt(diag(fit$naive.var)))
}
res <- do.call(rbind, out)
write.csv(res, file.path(here, "cox_efron_expected.csv"), row.names = FALSE)
print(res, digits = 10)
cat(sprintf("R %s, survival %s\n", getRversion(), packageVersion("survival")))
