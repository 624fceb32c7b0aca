#!/usr/bin/env bash
# test/model_format1.sh -- shows that the format 1 model literal of
# sql/als_model_validate.sql is what 0.1.0's first format really was:
# compiles the model layout (src/alsmodel.h) and check (als_model_check in
# src/alsmodel.c) of commit 173c892^ -- the last commit with format 1 --
# into a small C program, which validates the literal and prints its fields.
# Needs git and gcc; no database.  Prints "valid" and the fields.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git -C "$root" show 173c892^:src/alsmodel.h >"$work/alsmodel_v1.h"
git -C "$root" show 173c892^:src/alsmodel.c | sed -n '/^const char \*$/,/^}/p' >"$work/check.inc"
cat >"$work/c.h" <<'H'
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef int32_t int32;
typedef uint32_t uint32;
typedef int64_t int64;
typedef double float8;
typedef float float4;
typedef size_t Size;
#define FLEXIBLE_ARRAY_MEMBER
H
cat >"$work/t.c" <<'C'
#include "alsmodel_v1.h"
#include "check.inc"
int
main(int argc, char **argv)
{
	const char *h = argv[1];
	size_t		n = strlen(h) / 2;
	unsigned char *buf = calloc(n + 12, 1);	/* 4-byte varlena header first */
	AlsModelHeader *m = (AlsModelHeader *) buf;
	const char *p;

	for (size_t i = 0; i < n; i++)
		sscanf(h + 2 * i, "%2hhx", buf + 4 + i);
	p = als_model_check(m, n + 4);
	printf("173c892^ als_model_check: %s\n", p ? p : "valid");
	printf("version %d, factors %d, users %d, titles %d, events %lld, iterations %d, loss %g, alpha %g, regularization %g\n",
		   m->version, m->factors, m->nusers, m->nitems, (long long) m->nevents,
		   m->iterations, m->loss, m->alpha, m->regularization);
	printf("options %s\n", ALS_OPTIONS(m));
	printf("user ids %lld %lld, title ids %lld %lld %lld, factors of title 30: %g %g\n",
		   (long long) ALS_USER_IDS(m)[0], (long long) ALS_USER_IDS(m)[1],
		   (long long) ALS_ITEM_IDS(m)[0], (long long) ALS_ITEM_IDS(m)[1],
		   (long long) ALS_ITEM_IDS(m)[2],
		   ALS_ITEM_FACTORS(m)[4], ALS_ITEM_FACTORS(m)[5]);
	return p != NULL;
}
C
gcc -I"$work" -o "$work/t" "$work/t.c"
lit=$(grep -o "'\\\\x3152464e01000000[0-9a-f]*'" "$root/sql/als_model_validate.sql" | head -n 1 | tr -d "'\\\\" | sed 's/^x//')
"$work/t" "$lit"
