/*
 * nfrec.c -- module entry point.
 *
 * The library is loaded into a backend on first use.  OpenBLAS would start
 * one thread per core by default; a database backend must not compete with
 * its neighbours like that, so we pin BLAS to one thread at load time.
 * Training code that wants more cores runs its own worker threads.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

extern void openblas_set_num_threads(int num_threads);
extern void nf_model_init(void);	/* model.c: the nfrec.model setting */

void		_PG_init(void);

void
_PG_init(void)
{
	openblas_set_num_threads(1);
	nf_model_init();
}
