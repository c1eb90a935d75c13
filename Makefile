# pgpod — build, test, install.
#   make            build ./pgpod
#   make check      install missing build/test packages (Debian), unit + integration tests
#   make unit       cmocka unit tests only
#   make integration integration tests against a real PostgreSQL
#   make shape      no include cycle within a folder, no function over 60 lines
#   make fuzz       libFuzzer targets (clang), each for FUZZ_SECONDS (default 60)
#   make install    install to $(DESTDIR)$(PREFIX)/bin
#   make SANITIZE=1 build with ASan/UBSan

PREFIX  ?= /usr/local
CC      ?= cc
PKGS    := json-c yaml-0.1 libmicrohttpd openssl
PG_INC  := $(shell pg_config --includedir 2>/dev/null)
PG_LIB  := $(shell pg_config --libdir 2>/dev/null)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS  ?= -O2 -g
COMMON_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
           -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing \
           -I. -Ilib -I$(PG_INC) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
           -DPGPOD_VERSION='"$(VERSION)"'
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

.PHONY: all check unit integration shape fuzz fuzz-short deps install clean
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
	rm -rf $(FUZZ_DIR)

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d)
