# Catalog health of every model in the recommendations.
. "$(dirname "$0")/query.sh"
json_rows "
SELECT model, model_version, catalog_titles, recommended_titles, coverage,
       effective_catalog_size, users, generated_at
  FROM nfrec.catalog_health
 ORDER BY model"
