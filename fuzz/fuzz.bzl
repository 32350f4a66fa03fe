"""One libFuzzer target, plus a gcc test that replays its corpus."""

load("//bazel:copts.bzl", "MSIKV_COPTS", "MSIKV_LINKOPTS", "MSIKV_TEST_COPTS")

def msikv_fuzz_target(name, srcs, deps = []):
    """Defines <name>_fuzzer (clang only, manual) and <name>_corpus_test.

    The fuzzer is built by scripts/fuzz with --config=fuzz. The corpus test
    runs in the normal suite: it feeds every file under corpus/<name>/ to
    the same LLVMFuzzerTestOneInput, so every crash ever found stays fixed.
    """
    native.cc_binary(
        name = name + "_fuzzer",
        testonly = 1,
        srcs = srcs,
        copts = MSIKV_COPTS,
        linkopts = MSIKV_LINKOPTS + ["-fsanitize=fuzzer"],
        tags = ["manual"],
        deps = deps,
    )
    native.cc_test(
        name = name + "_corpus_test",
        size = "small",
        srcs = srcs,
        args = ["fuzz/corpus/" + name],
        copts = MSIKV_TEST_COPTS,
        data = native.glob(["corpus/" + name + "/**"]),
        linkopts = MSIKV_LINKOPTS,
        deps = deps + [":replay_main"],
    )
