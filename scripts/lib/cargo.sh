# Sourced by the scripts: where cargo puts what it builds.
#
#   cargo_target_dir  prints cargo's target directory, wherever the user put
#                     it (CARGO_TARGET_DIR, CARGO_BUILD_TARGET_DIR,
#                     build.target-dir in a cargo config, or target/), as
#                     cargo itself reports it; the debug binaries are in
#                     "$(cargo_target_dir)/debug", the release ones in
#                     "$(cargo_target_dir)/release".

cargo_target_dir() {
  local dir
  dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])') || {
    echo "error: 'cargo metadata' did not say where cargo builds" >&2
    return 1
  }
  echo "$dir"
}
