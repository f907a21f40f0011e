"""Writes text stubs (.tbd) of the two macOS frameworks the provider links,
Security and CoreFoundation (rustls-platform-verifier checks server
certificates with the system's trust store there), for zig's linker, which
ships stubs for libSystem but no SDK frameworks.

A stub names the framework's install path and the symbols it exports; the
symbols listed here are every function and static that the Rust bindings
(security-framework-sys, core-foundation-sys, at the versions in
Cargo.lock) declare, a superset of what the program uses. At run time macOS
binds them to the real frameworks.

Usage: macos-framework-stubs.py CARGO_LOCK REGISTRY_SRC_DIRS... OUT_DIR
"""
import glob, os, re, sys

FRAMEWORKS = {
    "Security": "security-framework-sys",
    "CoreFoundation": "core-foundation-sys",
}
DECLARATION = re.compile(r"\bpub (?:fn|static(?: mut)?) ([A-Za-z_][A-Za-z0-9_]*)")


def locked_version(lock_text, crate):
    match = re.search(r'name = "%s"\nversion = "([^"]+)"' % re.escape(crate), lock_text)
    if not match:
        sys.exit(f"error: {crate} is not in Cargo.lock")
    return match.group(1)


def main():
    lock_path, *registries, out_dir = sys.argv[1:]
    lock = open(lock_path).read()
    for framework, crate in FRAMEWORKS.items():
        version = locked_version(lock, crate)
        sources = [d for r in registries for d in glob.glob(os.path.join(r, f"{crate}-{version}"))]
        if not sources:
            sys.exit(f"error: the source of {crate} {version} is not in cargo's registry (cargo fetch)")
        symbols = set()
        for path in glob.glob(os.path.join(sources[0], "src", "**", "*.rs"), recursive=True):
            symbols.update(DECLARATION.findall(open(path, encoding="utf-8").read()))
        stub_dir = os.path.join(out_dir, f"{framework}.framework")
        os.makedirs(stub_dir, exist_ok=True)
        targets = "[ x86_64-macos, arm64-macos ]"
        names = ", ".join("_" + s for s in sorted(symbols))
        with open(os.path.join(stub_dir, f"{framework}.tbd"), "w") as out:
            out.write("--- !tapi-tbd\n")
            out.write("tbd-version: 4\n")
            out.write(f"targets: {targets}\n")
            out.write(f"install-name: '/System/Library/Frameworks/{framework}.framework/Versions/A/{framework}'\n")
            out.write("exports:\n")
            out.write(f"  - targets: {targets}\n")
            out.write(f"    symbols: [ {names} ]\n")
            out.write("...\n")


main()
