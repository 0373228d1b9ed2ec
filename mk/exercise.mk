# mk/exercise.mk: the build, test and grading rules shared by every exercise (DO NOT CHANGE).
#
# An exercise's Makefile sets EXERCISE and PROGRAMS, optionally PROG_SRCS_<prog>
# (default: <prog>.c) and COMMON_SRCS (linked into every program), then includes this.
#
#   make                 build the student's programs            -> build/student/
#   make check           build, run the tests, print the score and the hints
#   make memcheck        run the scenarios of memcheck.txt under valgrind
#   make clean
#   make check IMPL=solution        the same tests on the reference (instructor tree)
#   make check IMPL=buggy/NAME      ... on a buggy variant (solution + buggy/NAME.patch)

ROOT       := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
IMPL       ?= student
BUILD      := build
# A call to an undeclared function is an error, not a warning: its implicit int return
# truncates a pointer (a test calling tl_timeline() without tl_trace.h crashed its worker).
REQ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra \
              -Werror=implicit-function-declaration
CFLAGS     ?= -O2 -g
ALL_CFLAGS  = $(REQ_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS     ?=
CR_FLAGS   := $(shell pkg-config --cflags criterion 2>/dev/null || echo -pthread)
CR_LIBS    := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

# Where the sources of this IMPL are, and where its programs go. solution/ (and a buggy
# copy of it) holds only the STUDENT_FILES: the provided files are found at the top,
# shared with the skeleton, so that they exist once.
ifeq ($(IMPL),student)
  SRC_DIR := .
else ifeq ($(IMPL),solution)
  SRC_DIR := solution
else ifeq ($(patsubst buggy/%,buggy,$(IMPL)),buggy)
  BUG     := $(patsubst buggy/%,%,$(IMPL))
  SRC_DIR := $(BUILD)/src-buggy-$(BUG)
else ifeq ($(patsubst alt/%,alt,$(IMPL)),alt)
  SRC_DIR := $(IMPL)
else
  $(error IMPL must be student, solution, buggy/NAME or alt/NAME, not '$(IMPL)')
endif
IMPL_DIR := $(BUILD)/$(subst /,-,$(IMPL))
BINS     := $(addprefix $(IMPL_DIR)/,$(PROGRAMS))
srcs_of   = $(or $(PROG_SRCS_$(1)),$(1).c) $(COMMON_SRCS)
objs_of   = $(addprefix $(IMPL_DIR)/obj/,$(patsubst %.c,%.o,$(call srcs_of,$(1))))

TL_DIR    := $(ROOT)/testlib
TL_BUILD  ?= $(ROOT)/testlib/build
TL_SO     := $(TL_BUILD)/tl_preload.so
TL_OBJS   := $(TL_BUILD)/tl.o $(TL_BUILD)/tl_report.o $(TL_BUILD)/tl_results.o \
             $(TL_BUILD)/proctree.o \
             $(patsubst %,$(TL_BUILD)/tl_%.o,time text file child procfs ptree exitprobe fifo net)
# The run recorder's reader: timelines in failure messages, make trace (testlib/tl_trace.h).
TL_OBJS   += $(TL_BUILD)/tl_trace.o
# The scorer (testlib/tl_score.c) as a program: tools/score and tools/selftest score with it.
TL_SCORE  := $(TL_BUILD)/tl-score
TEST_SRCS := $(wildcard tests/*.c)
TEST_BIN  := $(BUILD)/tests/run_tests
RESULTS   := $(IMPL_DIR)/results.tsv

.PHONY: all check memcheck clean programs tests results
.DEFAULT_GOAL := all

all: programs

programs: $(BINS)

# One rule per program: its own sources plus the common ones.
define PROGRAM_RULE
$(IMPL_DIR)/$(1): $(call objs_of,$(1))
	$$(CC) $$(ALL_CFLAGS) -o $$@ $$^ $$(LDFLAGS) $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call PROGRAM_RULE,$(p))))

define COMPILE
@mkdir -p $(dir $@)
$(CC) $(ALL_CFLAGS) -I$(SRC_DIR) -I. -c -o $@ $<
endef

$(IMPL_DIR)/obj/%.o: $(SRC_DIR)/%.c
	$(COMPILE)

# An alternative correct implementation (alt/NAME, instructor tree) holds only the files it
# rewrites: the others are the reference's.
ifeq ($(patsubst alt/%,alt,$(IMPL)),alt)
$(IMPL_DIR)/obj/%.o: solution/%.c
	$(COMPILE)
endif

# A provided file (a source no STUDENT_FILES line names): the one at the top. A static
# rule, so that it never stands in for a student file (a plain %.c fallback built a buggy
# variant from the skeleton whenever its patched copy did not exist yet).
STUDENT_SRCS  := $(filter %.c,$(shell cat STUDENT_FILES 2>/dev/null))
PROVIDED_OBJS := $(patsubst %.c,$(IMPL_DIR)/obj/%.o,$(filter-out $(STUDENT_SRCS),\
                   $(sort $(foreach p,$(PROGRAMS),$(call srcs_of,$(p))))))
$(PROVIDED_OBJS): $(IMPL_DIR)/obj/%.o: %.c
	$(COMPILE)

# A buggy variant is the reference with one patch applied.
$(BUILD)/src-buggy-%/.stamp: buggy/%.patch $(wildcard solution/*)
	@rm -rf $(BUILD)/src-buggy-$* && mkdir -p $(BUILD)/src-buggy-$*
	@cp -R solution/. $(BUILD)/src-buggy-$*/
	@patch -s -p1 -d $(BUILD)/src-buggy-$* < $< || { echo "$<: does not apply to solution/" >&2; exit 1; }
	@touch $@
ifdef BUG
$(SRC_DIR)/%.c: $(SRC_DIR)/.stamp ;
endif

# The tests exec the programs: one test binary serves every IMPL. tl_replay runs the
# Reproduce lines of failures for tools/selftest.
TL_REPLAY := $(TL_BUILD)/tl_replay
# tl-run starts the runner as testlib/tl_runner.c defines it (the grader uses the same).
TL_RUN    := $(TL_BUILD)/tl-run
# tl-record writes tools/memcheck's records (testlib/tl_results.h's format).
TL_RECORD := $(TL_BUILD)/tl-record
tests: $(TEST_BIN) $(TL_SO) $(TL_REPLAY) $(TL_RUN) $(TL_RECORD)

$(TL_RECORD): $(TL_DIR)/tl_record_main.c $(TL_DIR)/tl_results.c $(TL_DIR)/tl_results.h
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(CFLAGS) -o $@ $(TL_DIR)/tl_record_main.c $(TL_DIR)/tl_results.c

$(TL_RUN): $(TL_DIR)/tl_runner_main.c $(TL_DIR)/tl_runner.c $(TL_DIR)/tl_runner.h
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(CFLAGS) -o $@ $(TL_DIR)/tl_runner_main.c $(TL_DIR)/tl_runner.c

$(TL_REPLAY): $(TL_DIR)/tl_replay.c $(TL_BUILD)/tl.o $(TL_BUILD)/proctree.o $(TL_BUILD)/tl_trace.o $(TL_BUILD)/tl_time.o $(TL_DIR)/tl.h
	$(CC) $(REQ_CFLAGS) $(CFLAGS) -D_GNU_SOURCE -I$(TL_DIR) -o $@ $< $(TL_BUILD)/tl.o $(TL_BUILD)/proctree.o $(TL_BUILD)/tl_trace.o $(TL_BUILD)/tl_time.o

$(TEST_BIN): $(TEST_SRCS) $(TL_OBJS) $(TL_DIR)/tl.h
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(CFLAGS) -D_GNU_SOURCE -I$(TL_DIR) $(CR_FLAGS) -o $@ $(TEST_SRCS) $(TL_OBJS) $(CR_LIBS)

$(TL_BUILD)/%.o: $(TL_DIR)/%.c $(wildcard $(TL_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(CFLAGS) $(CR_FLAGS) -c -o $@ $<

$(TL_SCORE): $(TL_DIR)/tl_score_main.c $(TL_DIR)/tl_score.c $(TL_DIR)/tl_results.c $(TL_DIR)/tl_cause.c $(wildcard $(TL_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(CFLAGS) -o $@ $(TL_DIR)/tl_score_main.c $(TL_DIR)/tl_score.c $(TL_DIR)/tl_results.c $(TL_DIR)/tl_cause.c

# Built beside it, then renamed: test runs of other exercises preload it meanwhile, and a
# half-written library fails their programs ("cannot be preloaded (file too short)").
$(TL_SO): $(TL_DIR)/tl_preload.c
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) -O2 -fPIC -shared -o $@.$$$$.tmp $< -ldl && mv -f $@.$$$$.tmp $@

# The reference programs, for cross-pairing tests (student writer, reference reader...):
# built when solution/ exists (instructor tree) and passed as $$TD_REF_BIN. A grader
# that keeps the sources away from student code passes TD_REF_BIN=DIR of built programs.
ifneq ($(wildcard solution/*.c),)
REF_BINS := $(addprefix $(BUILD)/solution/,$(PROGRAMS))
ref-programs:
	@$(MAKE) -s --no-print-directory IMPL=solution programs
else
REF_BINS :=
ref-programs: ;
endif
.PHONY: ref-programs

# Run the tests on this IMPL's programs; the results file feeds the score.
results: programs tests ref-programs
	@TD_REF_BIN="$(or $(TD_REF_BIN),$(if $(REF_BINS),$(abspath $(BUILD)/solution)))" \
	  $(ROOT)/tools/run-tests "$(TEST_BIN)" "$(IMPL_DIR)" "$(TL_SO)" "$(RESULTS)"

# Below full marks `make check` exits 1 without make's "*** [check] Error 1" line, which
# reads as a broken build: for that goal make runs in question mode (-q), where a recipe
# marked + still runs and its status 1 only means "not up to date", silently (a build
# error, status 2, is still reported). The recipe builds and tests in a sub-make in the
# normal mode (the same flags without q).
# The same for memcheck.
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out check memcheck,$(MAKECMDGOALS)),)
MAKEFLAGS += -q
endif
endif
SUB_MAKE = MAKEFLAGS='$(subst q,,$(firstword $(MAKEFLAGS))) $(wordlist 2,999,$(MAKEFLAGS))' \
           $(MAKE) -s --no-print-directory
scorer: $(TL_SCORE)
.PHONY: scorer

check:
	+@$(SUB_MAKE) results scorer && \
	  TL_SCORE="$(TL_SCORE)" $(ROOT)/tools/score --name "$(EXERCISE)" --impl "$(IMPL)" rubric.tsv "$(RESULTS)"

# Programs whose student sources are all still the skeleton's are not started: memcheck
# skips their scenarios (valgrind on a skeleton checks nothing) without building them.
memcheck:
	+@skeleton=""; \
	if [ "$(IMPL)" = student ]; then \
	  $(foreach p,$(PROGRAMS),$(ROOT)/tools/started . $(filter $(STUDENT_SRCS),$(call srcs_of,$(p))) || skeleton="$$skeleton $(p)";) \
	fi; \
	$(SUB_MAKE) $(TL_RECORD) || exit 2; \
	if [ "$$(echo $$skeleton)" != "$$(echo $(PROGRAMS))" ]; then $(SUB_MAKE) programs || exit 2; fi; \
	MEMCHECK_SKELETON="$$skeleton" $(ROOT)/tools/memcheck "$(EXERCISE)" "$(IMPL_DIR)" memcheck.txt

# make trace TEST=suite/name: that one test on this IMPL's programs, the recorder's story
# of its run kept (testlib/tl_trace.h): build/trace/suite-name.txt, every event of the
# test's last run (or of the run its failure explains), and .svg, its sequence diagram
# drawn by mscgen (as the handouts' diagrams are) from the .msc beside it.
TRACE_BASE = $(BUILD)/trace/$(subst /,-,$(TEST))
trace: programs tests ref-programs
	@test -n "$(TEST)" || { echo "usage: make trace TEST=suite/name [IMPL=...]" >&2; exit 2; }
	@mkdir -p $(BUILD)/trace $(IMPL_DIR)/repro && rm -f $(TRACE_BASE).txt $(TRACE_BASE).msc $(TRACE_BASE).svg
	@TL_TRACE_OUT=$(abspath $(TRACE_BASE)) $(TL_RUN) --repro $(IMPL_DIR)/repro --jobs 1 \
	  --ref "$(or $(TD_REF_BIN),$(if $(REF_BINS),$(abspath $(BUILD)/solution)))" \
	  $(TEST_BIN) $(IMPL_DIR) $$(realpath -m --relative-to=. $(TL_SO)) -- --filter='$(TEST)' || true
	@test -s $(TRACE_BASE).txt || { echo "make trace: $(TEST) ran no traced program (is it a test of $(EXERCISE)?)" >&2; exit 1; }
	@if command -v mscgen >/dev/null 2>&1; then mscgen -T svg -o $(TRACE_BASE).svg $(TRACE_BASE).msc; \
	 else echo "make trace: mscgen is not installed (./setup installs it): no $(TRACE_BASE).svg" >&2; fi
	@echo "make trace: $(TRACE_BASE).txt (every event)$(if $(wildcard /usr/bin/mscgen), and $(TRACE_BASE).svg (the diagram))"
.PHONY: trace

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
