# pgpod — build, test, install.
#   make            build ./pgpod
#   make check      install missing build/test packages (Debian), unit + integration tests
#   make unit       cmocka unit tests only
#   make integration integration tests against a real PostgreSQL
#   make shape      no include cycle within a folder, no function over 60 lines
#   make fuzz       libFuzzer targets (clang), each for FUZZ_SECONDS (default 60)
#   make install    install to $(DESTDIR)$(PREFIX)/bin
#   make static     ./pgpod-static: one static executable (musl, pinned Debian sources)
#   make check-static  the static executable as PID 1 in an empty root, then the
#                   whole integration suite against it (PGPOD_BIN)
#   make image      the OCI image (container/build.sh: mmdebstrap + buildah, pgpod-static)
#   make check-image the image run with podman as `docker run` runs it
#   make SANITIZE=1 build with ASan/UBSan

PREFIX  ?= /usr/local
CC      ?= cc
PKGS    := json-c yaml-0.1 libmicrohttpd openssl
PG_INC  := $(shell pg_config --includedir 2>/dev/null)
PG_LIB  := $(shell pg_config --libdir 2>/dev/null)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS  ?= -O2 -g
# what every build of pgpod's own code shares; the system's headers come after
PGPOD_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
           -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing \
           -I. -Ilib -DPGPOD_VERSION='"$(VERSION)"'
COMMON_CFLAGS := $(PGPOD_CFLAGS) -I$(PG_INC) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS  += $(COMMON_CFLAGS)
LDLIBS  += -L$(PG_LIB) -lpq $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

ifeq ($(SANITIZE),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC    := $(wildcard lib/*.c) $(wildcard pgdata/*.c) $(wildcard probes/*.c) \
              $(wildcard supervisor/*.c)
CMD_SRC    := $(wildcard cmd/*.c)
LIB_OBJ    := $(LIB_SRC:.c=.o)
CMD_OBJ    := $(CMD_SRC:.c=.o)
UNIT_SRC   := $(wildcard test/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:.c=)

.PHONY: all check unit integration shape fuzz fuzz-short deps install clean static static-libs check-static image check-image
all: pgpod

pgpod: $(CMD_OBJ) libpgpod.a
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) libpgpod.a $(LDLIBS)

libpgpod.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

%.o: %.c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

test/unit/test_%: test/unit/test_%.c libpgpod.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< libpgpod.a $(LDLIBS) -lcmocka

deps:
	@scripts/deps.sh

unit: $(UNIT_BIN)
	@test/unit/run.sh $(UNIT_BIN)

integration: pgpod
	@test/integration/run.sh

shape:
	@python3 scripts/shape-check.py --self-test
	@python3 scripts/shape-check.py

# Fuzzing: the library again, built by clang with coverage and sanitizers
# into build/fuzz/ (apart from ./pgpod), one binary per test/fuzz/fuzz_*.c.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g $(COMMON_CFLAGS) $(FUZZ_SAN)
FUZZ_SRC     := $(wildcard test/fuzz/fuzz_*.c)
FUZZ_BIN     := $(patsubst test/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/%.o)

$(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/libpgpod.a: $(FUZZ_LIB_OBJ)
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_DIR)/libpgpod.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libpgpod.a $(LDLIBS)

fuzz: $(FUZZ_BIN)
	@test/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

fuzz-short: $(FUZZ_BIN)
	@test/fuzz/run.sh 10 $(FUZZ_BIN)

# The static executable: scripts/static.sh builds the libraries once into
# build/static/prefix (stamps make a second run quick), then pgpod's sources
# are compiled again by musl-gcc into build/static/obj/ and linked -static.
STATIC_DIR    := build/static
STATIC_PREFIX := $(STATIC_DIR)/prefix
STATIC_CC     ?= musl-gcc
MUSL_VERSION   = $(shell /lib/ld-musl-x86_64.so.1 2>&1 | sed -n 's/^Version //p')
STATIC_CFLAGS  = -O2 $(PGPOD_CFLAGS) -I$(STATIC_PREFIX)/include \
                 -DPGPOD_STATIC -DPGPOD_LIBC='"musl $(MUSL_VERSION)"'
# musl's default thread stack is 128 KiB (glibc's 8 MiB); the size in
# PT_GNU_STACK raises it for every thread, libmicrohttpd's included.
STATIC_LDFLAGS := -static -s -Wl,-z,stack-size=1048576 -Wl,--gc-sections
STATIC_LIBS   := -L$(STATIC_PREFIX)/lib -lpq -lpgcommon_shlib -lpgport_shlib \
                 -lssl -lcrypto -ljson-c -lyaml -lmicrohttpd -lpthread
STATIC_OBJ    := $(addprefix $(STATIC_DIR)/obj/,$(CMD_SRC:.c=.o) $(LIB_SRC:.c=.o))
STATIC_STAMPS := $(addprefix $(STATIC_DIR)/stamp/,openssl libpq json-c libyaml libmicrohttpd)

static:
	@scripts/static.sh
	@$(MAKE) --no-print-directory pgpod-static

static-libs:
	@scripts/static.sh

# The static executable held to the same tests as ./pgpod: it runs as PID 1
# in an empty root (test/static/run_anywhere.sh, which needs root: through
# sudo otherwise), then the whole integration suite runs against it as the
# invoking user, like `make integration`.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

check-static: static
	$(SUDO) bash test/static/run_anywhere.sh ./pgpod-static
	PGPOD_BIN=$(CURDIR)/pgpod-static test/integration/run.sh

# The OCI image over a Debian 12 root, and its test with podman (root or sudo)
IMAGE ?= localhost/pgpod:latest

image: static
	bash container/build.sh $(IMAGE)

check-image: image
	bash test/container/run_image.sh $(IMAGE)

$(STATIC_STAMPS):
	@scripts/static.sh

$(STATIC_DIR)/obj/%.o: %.c $(STATIC_STAMPS)
	@mkdir -p $(dir $@)
	$(STATIC_CC) $(STATIC_CFLAGS) -MMD -MP -c -o $@ $<

pgpod-static: $(STATIC_OBJ)
	$(STATIC_CC) $(STATIC_LDFLAGS) -o $@ $(STATIC_OBJ) $(STATIC_LIBS)

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory shape
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz-short
	@$(MAKE) --no-print-directory integration

install: pgpod
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 pgpod $(DESTDIR)$(PREFIX)/bin/pgpod

clean:
	rm -f pgpod libpgpod.a $(LIB_OBJ) $(CMD_OBJ) $(UNIT_BIN) \
	      $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d)
	rm -rf $(FUZZ_DIR) $(STATIC_DIR)/obj
	rm -f pgpod-static

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d) $(STATIC_OBJ:.o=.d)
