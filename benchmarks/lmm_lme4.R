# Reference fits with R's lme4 for benchmarks/lmm.py --vs-lme4.
#
# Usage: Rscript benchmarks/lmm_lme4.R <data.csv> <REML|ML> [repeat]
# The CSV has columns dataset, g, y, t, age (one or more data sets, fitted one by one).
# Model: y ~ t + age + (1 + t | g), lme4's defaults otherwise.  Only lmer() is timed (not reading).
# Output, one line per data set: "dataset=<d> seconds=<best time> loglik=<logLik> converged=<TRUE|FALSE>",
# then "total_seconds=<sum of best times>".

suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
reml <- toupper(args[2]) == "REML"
reps <- if (length(args) >= 3) as.integer(args[3]) else 1L
d$g <- factor(d$g)
total <- 0
for (k in sort(unique(d$dataset))) {
  dk <- d[d$dataset == k, ]
  best <- Inf
  for (r in seq_len(reps)) {
    t0 <- proc.time()[["elapsed"]]
    fit <- lmer(y ~ t + age + (1 + t | g), data = dk, REML = reml)
    best <- min(best, proc.time()[["elapsed"]] - t0)
  }
  msgs <- fit@optinfo$conv$lme4$messages
  cat(sprintf("dataset=%d seconds=%.6f loglik=%.8f converged=%s\n", k, best, as.numeric(logLik(fit)),
              if (is.null(msgs)) "TRUE" else "FALSE"))
  total <- total + best
}
cat(sprintf("total_seconds=%.6f\n", total))
