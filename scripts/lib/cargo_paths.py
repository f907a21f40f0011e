"""Where cargo puts what it builds, for the Python scripts.

target_dir() is cargo's target directory wherever the user put it
(CARGO_TARGET_DIR, CARGO_BUILD_TARGET_DIR, build.target-dir in a cargo
config, or target/), as `cargo metadata` reports it; binary(profile, name)
is a binary built there.
"""
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def target_dir():
    out = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                         cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)["target_directory"]


def binary(profile, name):
    """The binary `name` of cargo's `profile` build ("debug" or "release")."""
    return os.path.join(target_dir(), profile, name)
