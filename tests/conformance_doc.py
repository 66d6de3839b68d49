#!/usr/bin/python3
"""tests/conformance_doc.py: writes the tables of docs/conformance.md from the results of
check_conformance runs (BUILD/tests/conformance/TARGET/{folders.md,results.txt}).

    /usr/bin/python3 tests/conformance_doc.py build/tests/conformance scalar avx512 > docs/conformance.md

The first target's refused cases are listed, grouped by reason (the error line with the
case's own names taken out), each reason with its count and its cases."""
import collections
import os
import re
import sys


def reason_of(msg):
    """The refusal's reason, without what names the case (paths, node and tensor names)."""
    m = re.sub(r"\S*model\.onnx: ", "", msg)
    m = re.sub(r"^\S*/test_data_set_\d+/\S+: ", "", m)
    m = re.sub(r"node '[^']*' ", "", m)
    m = re.sub(r"node '[^']*': ", "", m)
    m = re.sub(r"(graph input|tensor|input|output) '[^']*'", r"\1", m)
    m = re.sub(r"\(([A-Za-z]+), opset \d+\)", r"(\1)", m)
    m = re.sub(r"op '([A-Za-z]+)' \(opset \d+\)", r"op '\1'", m)
    m = re.sub(r"dimension \d+ of size 0", "a dimension of size 0", m)
    m = re.sub(r"dimension \d+ \('[^']*'\)", "a dimension", m)
    m = re.sub(r"dynamic dimension \d+ \([^)]*\)", "dynamic dimension", m)
    return m.strip()


def main():
    root, targets = sys.argv[1], sys.argv[2:]
    out = sys.stdout
    out.write("# ONNX backend conformance\n\n"
              "`check_conformance` (tests/check_conformance.c) runs every case of Debian's ONNX backend test data\n"
              "(`/usr/include/onnx/backend/test/data`, ONNX 1.12: 1,081 cases in five folders) through the user's\n"
              "path: `vitc compile --main`, `cc -O2 -Wall -Wextra -pedantic`, the harness on the case's inputs, every\n"
              "output compared with the reference within 1e-4 * max(1, max|ref|). A case passes, is refused (vitc\n"
              "exits 1 with one `vitc: error:` line that says what is not supported), or is wrong (anything else: a\n"
              "wrong output, a crash, a build warning, a refusal of a valid model for another reason); ctest fails on\n"
              "any wrong case. A case refused because it feeds a shape, axes, scales or k as a graph input is\n"
              "compiled again with `--const` for those inputs, as a user would.\n\n"
              "Reproduce (each writes `build/tests/conformance/TARGET/`: results.txt, unsupported.txt, ops.txt,\n"
              "folders.md):\n\n"
              "    build/tests/check_conformance --target scalar --folders all\n"
              "    build/tests/check_conformance --target avx512 --folders all\n\n"
              "and this page: `/usr/bin/python3 tests/conformance_doc.py build/tests/conformance %s`.\n\n"
              "(`ctest -L conformance` runs every folder on scalar and avx512 and the node folder on avx2 and neon.)\n"
              % " ".join(targets))
    for t in targets:
        out.write("\n## %s\n\n" % t)
        out.write(open(os.path.join(root, t, "folders.md")).read())
    results = [l.rstrip("\n") for l in open(os.path.join(root, targets[0], "results.txt"))]
    groups = collections.OrderedDict()
    for line in results:
        m = re.match(r"(\S+)\s+(\S+)\s+\[([^\]]*)\]\s*(.*)$", line)
        if not m or m.group(1) != "UNSUPPORTED":
            continue
        groups.setdefault(reason_of(m.group(4)), []).append(m.group(2))
    n = sum(len(v) for v in groups.values())
    out.write("\n## The refused cases (%s), by reason\n\n" % targets[0])
    out.write("%d cases; the reasons as vitc states them, most frequent first.\n\n" % n)
    out.write("| cases | reason | which |\n| ---: | --- | --- |\n")
    for reason, cases in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        names = ", ".join(c.replace("node/", "").replace("test_", "") for c in sorted(cases))
        out.write("| %d | %s | %s |\n" % (len(cases), reason.replace("|", "\\|"), names))


if __name__ == "__main__":
    main()
