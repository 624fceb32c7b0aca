/*
 * aggstate.c -- glue: aggregate states as expanded objects.  See
 * aggstate.h.
 */
#include "postgres.h"

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
