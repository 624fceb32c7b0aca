/*
 * events_layout.h -- the part of a model value's layout that every model
 * kind shares (als_model.h, ease.h): after the header, the options text
 * and the training events as CSR, each array on an 8-byte boundary:
 *
 *   char     options[options_len]     JSON text, NUL-terminated, padded
 *   int64    user_ids[nusers]         ascending
 *   int64    item_ids[nitems]         ascending
 *   int64    user_ptr[nusers + 1]     CSR row pointers of training events
 *   int32    ev_item[nevents]         item row of each training event
 *   float4   ev_weight[nevents]       summed weight of each (user, item)
 *   float4   item_count[nitems]       per-item count
 *
 * NF_EVENTS_BLOCK_ACCESSORS(prefix, Header) defines prefix_off_user_ids ...
 * prefix_off_item_count and prefix_off_after_events (the offset where the
 * kind's own arrays begin) for a header type with the fields options_len,
 * nusers, nitems and nevents.  Pure (c.h types only).
 */
#ifndef NFREC_EVENTS_LAYOUT_H
#define NFREC_EVENTS_LAYOUT_H

#include "c.h"

#define NF_ALIGN8(x)	(((x) + 7) & ~((Size) 7))

#define NF_EVENTS_BLOCK_ACCESSORS(prefix, Header) \
static inline Size \
prefix##_off_user_ids(const Header *m) \
{ \
	return NF_ALIGN8((Size) m->options_len); \
} \
static inline Size \
prefix##_off_item_ids(const Header *m) \
{ \
	return prefix##_off_user_ids(m) + sizeof(int64) * (Size) m->nusers; \
} \
static inline Size \
prefix##_off_user_ptr(const Header *m) \
{ \
	return prefix##_off_item_ids(m) + sizeof(int64) * (Size) m->nitems; \
} \
static inline Size \
prefix##_off_ev_item(const Header *m) \
{ \
	return prefix##_off_user_ptr(m) + sizeof(int64) * ((Size) m->nusers + 1); \
} \
static inline Size \
prefix##_off_ev_weight(const Header *m) \
{ \
	return prefix##_off_ev_item(m) + NF_ALIGN8(sizeof(int32) * (Size) m->nevents); \
} \
static inline Size \
prefix##_off_item_count(const Header *m) \
{ \
	return prefix##_off_ev_weight(m) + NF_ALIGN8(sizeof(float4) * (Size) m->nevents); \
} \
static inline Size \
prefix##_off_after_events(const Header *m) \
{ \
	return prefix##_off_item_count(m) + NF_ALIGN8(sizeof(float4) * (Size) m->nitems); \
}

#endif							/* NFREC_EVENTS_LAYOUT_H */
