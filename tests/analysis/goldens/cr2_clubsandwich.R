# Goldens for alscell.analysis.cr2 from R clubSandwich (independent reference).
#   Rscript tests/analysis/goldens/cr2_clubsandwich.R      (run from the repository root)
# Writes cr2_designs.csv (the data) and cr2_clubsandwich.csv (coef_test CR2 + Satterthwaite, and the
# variance components of the lme fit so that the Python test uses the same working covariance).
suppressMessages({library(clubSandwich); library(nlme)})
set.seed(20240917)
out_dir <- "tests/analysis/goldens"
make <- function(design, G, n_treated, weighted) {
  rows <- list()
  for (g in seq_len(G)) {
    n <- sample(3:9, 1)
    t <- sort(runif(n, 0, 24))
    treated <- g <= n_treated
    t0 <- if (treated) runif(1, 4, 12) else Inf
    post <- pmax(t - t0, 0)
    b0 <- rnorm(1, 0, 3); b1 <- rnorm(1, 0, 0.3)
    y <- 40 + b0 - (0.9 + b1) * t + 0.02 * t^2 + 0.4 * post + rnorm(n, 0, 1.5 + (g %% 3))
    w <- if (weighted) runif(n, 0.5, 2) else rep(1, n)
    rows[[g]] <- data.frame(design = design, cluster = sprintf("c%03d", g), t = t, t2 = t^2 / 24,
                            post = post, y = y, w = w)
  }
  do.call(rbind, rows)
}
d <- rbind(make("ols", 30, 3, FALSE), make("wls", 40, 5, TRUE), make("lme", 50, 2, FALSE))
write.csv(d, file.path(out_dir, "cr2_designs.csv"), row.names = FALSE)
res <- list()
add <- function(design, ct, extra = list()) {
  df <- data.frame(design = design, term = rownames(ct), estimate = ct$beta, se = ct$SE,
                   df = ct$df_Satt, p = ct$p_Satt)
  for (k in names(extra)) df[[k]] <- extra[[k]]
  res[[length(res) + 1]] <<- df
}
ct_of <- function(fit, cl, vcov = "CR2") {
  ct <- as.data.frame(coef_test(fit, vcov = vcov, cluster = cl, test = "Satterthwaite"))
  rownames(ct) <- ct$Coef
  ct
}
s <- d[d$design == "ols", ]
add("ols", ct_of(lm(y ~ t + t2 + post, data = s), s$cluster))
s <- d[d$design == "wls", ]
fit <- lm(y ~ t + t2 + post, data = s, weights = w)
v <- vcovCR(fit, cluster = s$cluster, type = "CR2", inverse_var = TRUE)
add("wls", ct_of(fit, s$cluster, vcov = v))
s <- d[d$design == "lme", ]
s$tc <- (s$t - 12) / 12
fit <- lme(y ~ t + t2 + post, random = ~ 1 + tc | cluster, data = s, method = "REML",
           control = lmeControl(opt = "optim"))
D <- getVarCov(fit)
ct <- as.data.frame(coef_test(fit, vcov = "CR2", test = "Satterthwaite"))
rownames(ct) <- ct$Coef
add("lme", ct, list(psi11 = D[1, 1], psi12 = D[1, 2], psi22 = D[2, 2], sigma2 = fit$sigma^2))
write.csv(do.call(rbind, lapply(res, function(r) {
  for (k in c("psi11", "psi12", "psi22", "sigma2")) if (is.null(r[[k]])) r[[k]] <- NA
  r
})), file.path(out_dir, "cr2_clubsandwich.csv"), row.names = FALSE)
cat("wrote", file.path(out_dir, "cr2_designs.csv"), "and cr2_clubsandwich.csv\n")
