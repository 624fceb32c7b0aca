/*
 * aggstate.c -- glue: aggregate states as expanded objects.  See
 * aggstate.h.
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

#include "aggstate.h"

static Size StateFlatSize(ExpandedObjectHeader *eohptr);
static void StateFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods StateMethods = {
	StateFlatSize,
	StateFlatten
};

static Size
StateFlatSize(ExpandedObjectHeader *eohptr)
{
	NfStateEOH *e = (NfStateEOH *) eohptr;

	if (e->flat == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(e->hdr.eoh_context);

		e->flat = e->type->flatten(e->st);
		MemoryContextSwitchTo(old);
	}
	return VARSIZE(e->flat);
}

static void
StateFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	NfStateEOH *e = (NfStateEOH *) eohptr;

	Assert(e->flat != NULL && allocated_size == VARSIZE(e->flat));
	memcpy(result, e->flat, allocated_size);
}

static NfStateEOH *
StateCreate(MemoryContext parent, const NfStateType *type, const char *data, int len)
{
	MemoryContext objcxt = AllocSetContextCreate(parent, "nfrec aggregate state",
												 ALLOCSET_DEFAULT_SIZES);
	NfStateEOH *e = MemoryContextAllocZero(objcxt, sizeof(NfStateEOH));

	EOH_init_header(&e->hdr, &StateMethods, objcxt);
	e->type = type;
	e->st = data ? type->read(data, len, objcxt) : type->create(objcxt);
	return e;
}

static bool
IsOurs(Datum d, const NfStateType *type, bool rw)
{
	struct varlena *p = (struct varlena *) DatumGetPointer(d);

	if (rw ? !VARATT_IS_EXTERNAL_EXPANDED_RW(p) : !VARATT_IS_EXTERNAL_EXPANDED(p))
		return false;
	return DatumGetEOHP(d)->eoh_methods == &StateMethods &&
		((NfStateEOH *) DatumGetEOHP(d))->type == type;
}

NfStateEOH *
nf_state_arg(FunctionCallInfo fcinfo, const NfStateType *type)
{
	MemoryContext aggcxt;
	Datum		d;
	struct varlena *p;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		aggcxt = CurrentMemoryContext;
	if (PG_ARGISNULL(0))
		return StateCreate(aggcxt, type, NULL, 0);
	d = PG_GETARG_DATUM(0);
	if (IsOurs(d, type, true))
	{
		NfStateEOH *e = (NfStateEOH *) DatumGetEOHP(d);

		if (e->flat)
		{
			pfree(e->flat);
			e->flat = NULL;
		}
		return e;
	}
	p = PG_DETOAST_DATUM_PACKED(d);
	return StateCreate(aggcxt, type, VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p));
}

void *
nf_state_of_datum(Datum d, const NfStateType *type)
{
	struct varlena *p;

	if (IsOurs(d, type, false))
		return ((NfStateEOH *) DatumGetEOHP(d))->st;
	p = PG_DETOAST_DATUM_PACKED(d);
	return type->read(VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p), CurrentMemoryContext);
}

Datum
nf_state_send(FunctionCallInfo fcinfo, const NfStateType *type)
{
	PG_RETURN_BYTEA_P(type->flatten(nf_state_of_datum(PG_GETARG_DATUM(0), type)));
}

Datum
nf_state_recv(FunctionCallInfo fcinfo, const NfStateType *type)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	void	   *st = type->read(buf->data + buf->cursor, len, CurrentMemoryContext);

	buf->cursor = buf->len;
	PG_RETURN_POINTER(type->flatten(st));
}

void
nf_state_bad_binary(const NfStateType *type)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary data for type %s", type->name)));
}

void
nf_state_bad_text(const NfStateType *type, const char *str, const char *form)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", type->name, str),
			 errdetail("%s", form)));
}

/* text forms ----------------------------------------------------------- */

void
nf_state_bad(NfStateText *t)
{
	nf_state_bad_text(t->type, t->str, t->form);
}

int64
nf_state_parse_count(NfStateText *t)
{
	char	   *end;
	long long	v;

	if (!(*t->p >= '0' && *t->p <= '9'))
		nf_state_bad(t);
	errno = 0;
	v = strtoll(t->p, &end, 10);
	if (errno != 0 || end == t->p)
		nf_state_bad(t);
	t->p = end;
	return (int64) v;
}

double
nf_state_parse_float8(NfStateText *t)
{
	char	   *end;
	double		v;
	char		c = *t->p;

	/* strtod also takes spaces, "nan", "inf" and hex: only our own forms */
	if (!(c == '-' || c == '.' || c == 'I' || (c >= '0' && c <= '9')))
		nf_state_bad(t);
	v = strtod(t->p, &end);
	if (end == t->p || isnan(v))
		nf_state_bad(t);
	t->p = end;
	return v;
}

void
nf_state_parse_float8s(NfStateText *t, double *v, int n)
{
	for (int j = 0; j < n; j++)
	{
		if (j > 0)
			nf_state_expect(t, ',');
		v[j] = nf_state_parse_float8(t);
	}
}

void
nf_state_expect(NfStateText *t, char c)
{
	if (*t->p != c)
		nf_state_bad(t);
	t->p++;
}

void
nf_state_expect_end(NfStateText *t)
{
	if (*t->p != '\0')
		nf_state_bad(t);
}

void
nf_state_append_float8s(StringInfo s, const double *v, int n)
{
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

	for (int j = 0; j < n; j++)
	{
		double_to_shortest_decimal_buf(v[j], num);
		if (j > 0)
			appendStringInfoChar(s, ',');
		appendStringInfoString(s, num);
	}
}
