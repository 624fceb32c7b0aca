# Sourced by the data loaders: run one query against the cluster named by the
# PG* environment variables (PGHOST, PGPORT, PGUSER, PGDATABASE, ...) and
# print its rows as one JSON array on stdout.  Any SQL error fails the
# loader, and so the build.
json_rows() {
	psql -X -q -At -v ON_ERROR_STOP=1 --no-psqlrc \
		-c "SELECT coalesce(json_agg(r), '[]'::json) FROM ($1) r"
}
