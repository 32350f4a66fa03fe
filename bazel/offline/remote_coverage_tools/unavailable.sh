#!/bin/sh
echo "coverage is unavailable in this offline build (see bazel/README.md)" >&2
exit 1
