"""Compiler and linker flags for every msikv target, kept in one place."""

MSIKV_COPTS = [
    "-std=c11",
    "-D_POSIX_C_SOURCE=200809L",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wpedantic",
    "-Wshadow",
    "-Wstrict-prototypes",
    "-Wmissing-prototypes",
    "-Wformat=2",
    "-Wno-format-nonliteral",
    "-Wvla",
    "-Wcast-qual",
    "-fno-common",
]

# cmocka's macros cast away const and use unprototyped-looking helpers, so tests
# relax just those two warnings.
MSIKV_TEST_COPTS = [
    c
    for c in MSIKV_COPTS
    if c not in ["-Wcast-qual", "-Wmissing-prototypes"]
]

# --as-needed keeps Bazel from linking libstdc++ and libm into every C binary.
MSIKV_LINKOPTS = ["-Wl,--as-needed", "-pthread"]
