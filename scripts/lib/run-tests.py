"""The whole test suite, as scripts/test runs it when given no arguments.

Usage (from scripts/test, once it has built every test target):
    python3 scripts/lib/run-tests.py --build-output FILE \
        --one-terraform BINARY::TEST ... -- TERRAFORM [TERRAFORM...]

1. Reads the test executables from FILE, the output of `cargo test --no-run
   --message-format=json-render-diagnostics`.
2. Splits the run into jobs, each one test binary (or a part of one) under
   one Terraform:
   - the unit tests (the library's and the binaries') and the doc tests,
     once: they do not depend on Terraform;
   - every integration test binary (tests/*.rs) under every Terraform,
     leaving out the tests named with --one-terraform ...
   - ... which run under the first Terraform only, as jobs of their own.
   Every test thus runs under the first Terraform, and every test not in
   the one-Terraform list under each of the others.
3. Runs the jobs a few at a time (TEST_JOBS, default: cores + 1), longest
   first. Many tests spend most of their time waiting (on a rate-limited
   simulator, on Terraform's own start-up), so jobs side by side use cores
   that one `cargo test` at a time leaves idle. Each job's output is printed
   whole when it ends, so outputs never interleave.
4. Prints what ran under which Terraform, and exits non-zero if anything
   failed, a job could not start, or a --one-terraform entry names no test.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Integration test binaries, most expensive first, so that the longest jobs
# start early; binaries not named here come after them.
ORDER = [
    # Cross-compiles the provider for Windows before its Terraform run.
    "windows_wine",
    "terraform_roster",
    "terraform_faults",
    "terraform_user",
    "terraform_groups",
    "terraform_scale",
    "terraform_data_sources",
    "packaging",
    "registry_install",
    "logging",
    "terraform_provider",
    "protocol",
    "docs",
]


def log(text):
    print(text, file=sys.stderr, flush=True)


def terraform_version(path):
    out = subprocess.run([path, "version", "-json"], capture_output=True, text=True,
                         env=dict(os.environ, CHECKPOINT_DISABLE="1"), stdin=subprocess.DEVNULL)
    try:
        return json.loads(out.stdout)["terraform_version"]
    except (ValueError, KeyError):
        sys.exit(f"error: {path} is not a working Terraform:\n{out.stdout}{out.stderr}")


def test_executables(build_output):
    """[(kind, name, executable)] of every test target, from the JSON
    messages of `cargo test --no-run --message-format=json...`."""
    targets = []
    for line in build_output.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if (msg.get("reason") == "compiler-artifact" and msg.get("profile", {}).get("test")
                and msg.get("executable")):
            targets.append((msg["target"]["kind"][0], msg["target"]["name"], msg["executable"]))
    if not targets:
        sys.exit("error: the build named no test executable")
    return targets


def list_tests(executable):
    out = subprocess.run([executable, "--list", "--format", "terse"], cwd=ROOT,
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        sys.exit(f"error: {executable} --list failed:\n{out.stdout}{out.stderr}")
    return [line[:-len(": test")] for line in out.stdout.splitlines() if line.endswith(": test")]


class Job:
    def __init__(self, title, argv, env, terraform=None, cost=0):
        self.title = title
        self.argv = argv
        self.env = env
        self.terraform = terraform  # index into the Terraforms, None for unit tests
        self.cost = cost  # a rough rank: higher starts earlier
        self.code = None
        self.output = ""
        self.seconds = 0.0
        self.passed = 0
        self.failed = 0
        self.process = None

    def run(self):
        started = time.monotonic()
        try:
            # A session of its own, so that an interrupted run can stop the
            # job with everything it started.
            self.process = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            out, _ = self.process.communicate()
            self.output = out.decode("utf-8", errors="replace")
            self.code = self.process.returncode
        except OSError as err:
            self.output = f"could not start {self.argv[0]}: {err}\n"
            self.code = 127
        self.seconds = time.monotonic() - started
        for m in re.finditer(r"^test result: \w+\. (\d+) passed; (\d+) failed", self.output, re.M):
            self.passed += int(m[1])
            self.failed += int(m[2])


class DiskWatch:
    """The least free space seen on the disks the tests write to (the build
    and the temp directory), sampled while the jobs run: a run that fills
    the disk fails in ways that name other things."""

    def __init__(self, paths):
        by_device = {}
        for p in paths:
            by_device.setdefault(os.stat(p).st_dev, os.path.realpath(p))
        self.paths = sorted(by_device.values())
        self.least = {p: self.free(p) for p in self.paths}
        self.stop = threading.Event()
        threading.Thread(target=self.sample, daemon=True).start()

    @staticmethod
    def free(path):
        st = os.statvfs(path)
        return st.f_bavail * st.f_frsize

    def sample(self):
        while not self.stop.wait(2):
            for p in self.paths:
                self.least[p] = min(self.least[p], self.free(p))

    def report(self):
        return ", ".join(f"{self.free(p) / 2**30:.1f} GiB free in {p} (least seen "
                         f"{self.least[p] / 2**30:.1f} GiB)" for p in self.paths)


def run_jobs(jobs, parallel, disk):
    pending = sorted(jobs, key=lambda j: -j.cost)
    running = []
    lock = threading.RLock()  # the signal handler may take it in the main thread
    finished = threading.Condition(lock)
    done_count = 0

    def worker(job):
        nonlocal done_count
        job.run()
        with lock:
            done_count += 1
            status = "ok" if job.code == 0 else f"FAILED (exit {job.code})"
            if job.code != 0 and "no space left on device" in job.output.lower():
                status += f" -- the disk was full; now {disk.report()}"
            sys.stdout.write(f"\n== [{done_count}/{len(jobs)}] {job.title}: {status} in "
                             f"{job.seconds:.0f} s\n{job.output}")
            sys.stdout.flush()
            running.remove(job)
            finished.notify()

    def stop_all(signum, _frame):
        with lock:
            for job in running:
                if job.process and job.process.poll() is None:
                    try:
                        os.killpg(job.process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    threads = []
    with lock:
        while pending:
            while len(running) >= parallel:
                finished.wait()
            job = pending.pop(0)
            running.append(job)
            log(f"-- started: {job.title}")
            thread = threading.Thread(target=worker, args=(job,), daemon=True)
            thread.start()
            threads.append(thread)
    for thread in threads:
        thread.join()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-output", required=True)
    ap.add_argument("--one-terraform", nargs="*", default=[], metavar="BINARY::TEST")
    ap.add_argument("terraforms", nargs="+")
    opts = ap.parse_args()
    parallel = int(os.environ.get("TEST_JOBS") or (os.cpu_count() or 1) + 1)

    versions = [terraform_version(tf) for tf in opts.terraforms]
    with open(opts.build_output) as f:
        targets = test_executables(f.read())
    started = time.monotonic()

    one_terraform = {}  # binary -> [test]
    for entry in opts.one_terraform:
        binary, sep, test = entry.partition("::")
        if not sep or not test:
            sys.exit(f"error: one-Terraform entry {entry!r} is not BINARY::TEST")
        one_terraform.setdefault(binary, []).append(test)

    base_env = dict(os.environ, CHECKPOINT_DISABLE="1")
    jobs = []
    unknown = []
    integration = {name: exe for kind, name, exe in targets if kind == "test"}
    for binary, tests in one_terraform.items():
        if binary not in integration:
            unknown += [f"{binary}::{t}" for t in tests]
            continue
        names = list_tests(integration[binary])
        unknown += [f"{binary}::{t}" for t in tests if t not in names]
    if unknown:
        sys.exit("error: these one-Terraform entries in scripts/test name no test (renamed or "
                 "removed? update the list):\n  " + "\n  ".join(unknown))

    def rank(binary):
        return len(ORDER) - ORDER.index(binary) if binary in ORDER else 0

    for kind, name, exe in targets:
        if kind != "test":
            jobs.append(Job(f"unit tests ({kind} {name})", [exe], base_env, cost=50))
    jobs.append(Job("doc tests", ["cargo", "test", "--locked", "--doc"], base_env, cost=0))
    for index, (tf, version) in enumerate(zip(opts.terraforms, versions)):
        env = dict(base_env, TF_ACC_TERRAFORM_PATH=tf)
        for binary, exe in sorted(integration.items()):
            selected = one_terraform.get(binary, [])
            if index == 0 and selected:
                jobs.append(Job(f"{binary} [one-Terraform tests] under Terraform {version}",
                                [exe, "--exact", *selected], env, index, cost=1000 + rank(binary)))
            skips = [arg for test in selected for arg in ("--skip", test)]
            jobs.append(Job(f"{binary} under Terraform {version}", [exe, "--exact", *skips], env,
                            index, cost=rank(binary)))

    disk = DiskWatch([ROOT, tempfile.gettempdir()])
    log(f"== Disk: {disk.report()}")
    log(f"== {len(jobs)} jobs, {parallel} at a time (TEST_JOBS), under Terraform "
        + ", ".join(versions))
    run_jobs(jobs, parallel, disk)

    failed_jobs = [j for j in jobs if j.code != 0]
    print(f"\n== Test jobs took {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(f"== Disk: {disk.report()}", file=sys.stderr)
    print("== Acceptance tests ran under:", file=sys.stderr)
    for index, version in enumerate(versions):
        mine = [j for j in jobs if j.terraform == index]
        bad = [j.title for j in mine if j.code != 0]
        what = "every test" if index == 0 else "every test but the one-Terraform list"
        state = "passed" if not bad else "FAILED: " + "; ".join(bad)
        print(f"   Terraform {version} ({what}): {sum(j.passed for j in mine)} tests {state}",
              file=sys.stderr)
    unit = [j for j in jobs if j.terraform is None]
    bad = [j.title for j in unit if j.code != 0]
    print(f"   Unit and doc tests (no Terraform): {sum(j.passed for j in unit)} tests "
          + ("passed" if not bad else "FAILED: " + "; ".join(bad)), file=sys.stderr)
    passed = sum(j.passed for j in jobs)
    failed = sum(j.failed for j in jobs)
    # Failures a test count does not show (a crash, a job that never ran).
    if failed_jobs and failed == 0:
        failed = len(failed_jobs)
    print(f"tests: {passed} passed, {failed} failed", flush=True)
    return 1 if failed_jobs else 0


if __name__ == "__main__":
    sys.exit(main())
