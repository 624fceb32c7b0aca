/*
 * als_model_io.h -- the SQL side of the nfrec.als_model type (als_model_io.c):
 * input, output and the whole validation of an untrusted value.  The
 * layout and the pure checks are in als_model.h.
 */
#ifndef NFREC_ALS_MODEL_IO_H
#define NFREC_ALS_MODEL_IO_H

#include "postgres.h"

#include "als_model.h"

/*
 * The whole check of an untrusted value (als_model_check, then the options
 * as a JSON object that agrees with the header); ereports ERROR with
 * SQLSTATE code ("invalid nfrec.als_model value: ...") when invalid.
 * Backend only.
 */
extern void als_model_validate(const AlsModelHeader *m, Size size, int code);

#endif
