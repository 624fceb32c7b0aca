# nfrec -- PGXS build.
#
# The install script nfrec--$(EXTVERSION).sql is assembled from the
# feature files in src/sql/ (one per feature, in file-name order), so the
# SQL surface reads like a manual grouped by feature.  Upgrade scripts
# (nfrec--A--B.sql) live at the top level and are installed as they are.

EXTENSION  = nfrec
EXTVERSION = 0.2.0

MODULE_big = nfrec
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA       = $(filter-out $(DATA_built),$(wildcard $(EXTENSION)--*--*.sql))

REGRESS      = $(basename $(notdir $(sort $(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=$(EXTENSION) --inputdir=.

# OpenBLAS: prefer Debian's single-threaded build (libopenblas0-serial).
# nfrec calls BLAS only from the backend thread (training runs its own
# threads with their own kernels), and the pthread build starts a pool of
# spinning threads in every backend that loads the library.
MULTIARCH       := $(shell $(CC) -print-multiarch 2>/dev/null)
OPENBLAS_SERIAL := /usr/lib/$(MULTIARCH)/openblas-serial
ifneq ($(wildcard $(OPENBLAS_SERIAL)/libopenblas.so.0),)
SHLIB_LINK += -L$(OPENBLAS_SERIAL) -l:libopenblas.so.0 -Wl,-rpath,$(OPENBLAS_SERIAL)
else
SHLIB_LINK += -lopenblas
endif
SHLIB_LINK += -lm -lpthread
PG_CFLAGS  += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -O3 -fno-math-errno -fopenmp-simd
# header dependencies, so a changed header rebuilds what includes it
PG_CFLAGS += -MMD -MP
EXTRA_CLEAN = $(DATA_built) results regression.diffs regression.out $(OBJS:.o=.d)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard src/sql/*.sql))
	cat $^ > $@

-include $(OBJS:.o=.d)
