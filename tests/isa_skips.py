#!/usr/bin/env python3
"""tests/isa_skips.py: on a CPU without an ISA, ctest reports that ISA's tests as skipped.

Every test of an x86 ISA target decides from CPUID whether this CPU runs it and exits
77 (registered as SKIP_RETURN_CODE) where it does not. A machine without AVX-512 (Zen 3)
or without AVX2 is emulated here: qemu-x86_64 answers CPUID as its CPU model says
(`-cpu max`: AVX2 and FMA, no AVX-512; `-cpu qemu64`: neither), so each test's own
binary is run, with its own arguments, on that CPU. Tests labelled compile_only build
bundles without running them and are left out (they pass on any x86 CPU). A test passes here when it exits 77
after saying why and is registered with SKIP_RETURN_CODE 77, so ctest's summary counts
it as skipped, not as passed or failed.

    tests/isa_skips.py BUILD_DIR

The tests come from `ctest --show-only=json-v1` of BUILD_DIR: those whose name or
arguments name avx512 (emulated without AVX-512) or avx2 (emulated without AVX2).
Exits 77 itself, saying why, on a host that is not x86-64 or has no qemu-x86_64.
"""
import json
import os
import platform
import shutil
import subprocess
import sys

# emulated CPU -> the ISA it lacks, the test-name markers of that ISA's tests
CASES = [
    ("max", "AVX-512", ("avx512",)),
    ("qemu64", "AVX2", ("avx2",)),
]


def isa_of(test):
    """The ISA marker a test is for, from its name and arguments, or None."""
    words = [test["name"]] + test.get("command", [])[1:]
    for _, _, markers in CASES:
        for m in markers:
            if any(w == m or w.endswith("_" + m) or w.startswith(m + "_") or ("_" + m + "_") in w for w in words):
                return m
    return None


def labels(test):
    for p in test.get("properties", []):
        if p["name"] == "LABELS":
            return p["value"]
    return []


def main():
    if len(sys.argv) != 2:
        print("usage: isa_skips.py BUILD_DIR", file=sys.stderr)
        return 2
    build = sys.argv[1]
    if platform.machine() not in ("x86_64", "AMD64"):
        print(f"isa_skips: SKIPPED: the x86 targets' tests are not built on {platform.machine()}")
        return 77
    qemu = shutil.which("qemu-x86_64")
    if not qemu:
        print("isa_skips: SKIPPED: qemu-x86_64 (Debian package qemu-user) is not installed")
        return 77
    ctest = os.environ.get("CTEST", "ctest")
    listing = subprocess.run([ctest, "--test-dir", build, "--show-only=json-v1"], capture_output=True, text=True)
    if listing.returncode != 0:
        print(f"isa_skips: ctest --show-only failed: {listing.stderr.strip()}")
        return 1
    tests = json.loads(listing.stdout)["tests"]
    failures = 0
    counted = {}
    for cpu, lacks, markers in CASES:
        mine = [t for t in tests if isa_of(t) in markers and "compile_only" not in labels(t)]
        runs_anyway = [t["name"] for t in tests if isa_of(t) in markers and "compile_only" in labels(t)]
        if runs_anyway:
            print(f"isa_skips: compile-only, run without {lacks} too: {', '.join(runs_anyway)}")
        if not mine:
            print(f"isa_skips: no {markers[0]} tests in {build}: nothing would be skipped")
            failures += 1
        for t in mine:
            cmd = t.get("command", [])
            props = {p["name"]: p["value"] for p in t.get("properties", [])}
            skip_code = str(props.get("SKIP_RETURN_CODE", ""))
            env = dict(os.environ)
            for kv in props.get("ENVIRONMENT", []):
                k, _, v = kv.partition("=")
                env[k] = v
            try:
                run = subprocess.run([qemu, "-cpu", cpu] + cmd, capture_output=True, text=True, timeout=120,
                                     cwd=props.get("WORKING_DIRECTORY", build), env=env)
                rc, out = run.returncode, (run.stdout + run.stderr)
            except subprocess.TimeoutExpired:
                rc, out = None, "(did not end in 120 s: it ran instead of skipping)"
            said = [line for line in out.splitlines() if "SKIPPED" in line and "lacks" in line]
            if rc == 77 and skip_code == "77" and said:
                counted[cpu] = counted.get(cpu, 0) + 1
                continue
            failures += 1
            why = []
            if rc != 77:
                why.append(f"exit {rc}, not 77")
            if skip_code != "77":
                why.append("not registered with SKIP_RETURN_CODE 77")
            if not said:
                why.append("no 'SKIPPED: ... lacks' line")
            print(f"FAIL {t['name']} on a CPU without {lacks} (qemu -cpu {cpu}): {'; '.join(why)}")
            for line in out.splitlines()[-5:]:
                print(f"    {line}")
        print(f"isa_skips: {counted.get(cpu, 0)} of {len(mine)} {markers[0]} tests skipped on a CPU "
              f"without {lacks} (qemu-x86_64 -cpu {cpu})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
