// Observable Framework configuration of the nfrec example dashboard.
// Every npm import of the pages is a bare specifier resolved from
// node_modules (no npm: imports), so `observable build` needs no network.
export default {
  title: "nfrec dashboard",
  root: "src",
  pages: [],
  sidebar: false,
  toc: false,
  pager: false,
  search: false,
  theme: "air",
  footer: "Example dashboard over nfrec's views (nfrec.recommendations, nfrec.churn_cohorts, nfrec.content_roi_launches, nfrec.catalog_health, nfrec.trending_now)."
};
