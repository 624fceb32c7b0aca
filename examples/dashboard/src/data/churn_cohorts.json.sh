# Churn-risk cohorts (risk decile x country x plan) of the latest as_of.
. "$(dirname "$0")/query.sh"
json_rows "
SELECT as_of, risk_decile, country, plan, users, mean_risk, expected_cancellations,
       monthly_revenue_at_risk, generated_at
  FROM nfrec.churn_cohorts
 WHERE as_of = (SELECT max(as_of) FROM nfrec.churn_cohorts)
 ORDER BY risk_decile DESC, expected_cancellations DESC"
