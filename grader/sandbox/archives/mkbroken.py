#!/usr/bin/env python3
"""mkbroken.py: generate the broken-archive corpus for the grader's tests.

usage: mkbroken.py OUTDIR [EXERCISE [FILE]]     (default td1-signals hello_signals.c)

Writes one archive (or submission directory) per kind into OUTDIR and OUTDIR/MANIFEST.tsv:
NAME <TAB> KIND <TAB> EXPECTED, where EXPECTED is what a safe grader does with it:
  refuse      the whole archive is refused with a clear message (the batch goes on)
  neutralise  the dangerous members are skipped or made harmless; the rest is graded
  grade       graded normally (a submission quirk the grader must cope with)
Every member that tries to escape aims at /tmp/sandbox-archive-escape-*: after extracting
the corpus, `ls /tmp/sandbox-archive-escape-*` must find nothing. Pure standard library.
"""
import io
import os
import sys
import tarfile
import zipfile

ESCAPE = "/tmp/sandbox-archive-escape"


def member(tar, name, data=b"", **kw):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    for k, v in kw.items():
        setattr(info, k, v)
    tar.addfile(info, io.BytesIO(data) if data else None)


def good_source(ex, f):
    return (f"{ex}/{f}", b"int main(void) { return 0; }\n")


def tar_of(path, mode, members):
    with tarfile.open(path, mode, format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as t:
        for m in members:
            m(t)


class Zeros(io.RawIOBase):
    """SIZE bytes of zeros, read in blocks, never held in memory."""
    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def kinds(ex, f):
    src = good_source(ex, f)
    ok = lambda t: member(t, *src)
    return [
        ("traversal.tar.gz", "w:gz", "member ../../ escaping the work directory", "neutralise",
         [ok, lambda t: member(t, f"../../../../../../..{ESCAPE}-dotdot", b"pwned\n"),
          lambda t: member(t, f"{ex}/../../../../../../../..{ESCAPE}-inner", b"pwned\n")]),
        ("absolute.tar", "w", "absolute member path", "neutralise",
         [ok, lambda t: member(t, f"{ESCAPE}-absolute", b"pwned\n")]),
        ("symlink-out.tar", "w", "symlink to /etc/shadow in place of a source file", "neutralise",
         [lambda t: member(t, f"{ex}/{f}", type=tarfile.SYMTYPE, linkname="/etc/shadow")]),
        ("symlink-dir.tar", "w", "symlinked directory to /tmp, then a file written through it",
         "neutralise",
         [ok, lambda t: member(t, f"{ex}/out", type=tarfile.SYMTYPE, linkname="/tmp"),
          lambda t: member(t, f"{ex}/out/sandbox-archive-escape-via-link", b"pwned\n")]),
        ("hardlink-out.tar", "w", "hard link to /etc/passwd", "neutralise",
         [lambda t: member(t, f"{ex}/{f}", type=tarfile.LNKTYPE, linkname="/etc/passwd")]),
        ("devices.tar", "w", "character device, block device and FIFO members", "neutralise",
         [ok, lambda t: member(t, f"{ex}/null", type=tarfile.CHRTYPE, devmajor=1, devminor=3),
          lambda t: member(t, f"{ex}/disk", type=tarfile.BLKTYPE, devmajor=8, devminor=0),
          lambda t: member(t, f"{ex}/fifo", type=tarfile.FIFOTYPE)]),
        ("setuid.tar", "w", "setuid root executable member", "neutralise",
         [ok, lambda t: member(t, f"{ex}/suid", b"#!/bin/sh\nid\n", mode=0o4755, uid=0)]),
        ("non-utf8.tar", "w", "member names that are not UTF-8", "neutralise",
         [ok, lambda t: member(t, f"{ex}/\udcff\udcfe.c", b"x\n"),
          lambda t: member(t, "\udcc3(/notes.txt", b"x\n")]),
        ("many-files.tar.gz", "w:gz", "20000 members", "refuse",
         [ok] + [lambda t, i=i: member(t, f"{ex}/junk/{i:05d}", b"") for i in range(20000)]),
    ]


def write_tars(out, ex, f, manifest):
    for name, mode, what, expected, members in kinds(ex, f):
        tar_of(os.path.join(out, name), mode, members)
        manifest.append((name, what, expected))


def write_bombs(out, ex, f, manifest):
    size = 1 << 30
    with tarfile.open(os.path.join(out, "bomb.tar.gz"), "w:gz", compresslevel=6) as t:
        info = tarfile.TarInfo(f"{ex}/{f}")
        info.size = size
        t.addfile(info, io.BufferedReader(Zeros(size), 1 << 20))
    manifest.append(("bomb.tar.gz", "1 GiB member compressed to ~1 MiB", "refuse"))
    with zipfile.ZipFile(os.path.join(out, "bomb.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        with z.open(f"{ex}/{f}", "w", force_zip64=True) as w:
            block = bytes(1 << 20)
            for _ in range(size >> 20):
                w.write(block)
    manifest.append(("bomb.zip", "1 GiB member deflated to ~1 MiB", "refuse"))


def write_zips(out, ex, f, manifest):
    path = os.path.join(out, "traversal.zip")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{ex}/{f}", "int main(void) { return 0; }\n")
        z.writestr(f"../../../../../../..{ESCAPE}-zip", "pwned\n")
        z.writestr(f"{ESCAPE}-zip-absolute", "pwned\n")
    manifest.append(("traversal.zip", "zip members with ../ and absolute paths", "neutralise"))
    path = os.path.join(out, "symlink.zip")
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo(f"{ex}/{f}")
        info.create_system = 3                        # unix
        info.external_attr = (0o120777 << 16)         # S_IFLNK
        z.writestr(info, "/etc/shadow")
    manifest.append(("symlink.zip", "zip member that is a symlink to /etc/shadow", "neutralise"))


def write_damaged(out, ex, f, manifest):
    open(os.path.join(out, "empty.tar"), "wb").close()
    open(os.path.join(out, "empty.zip"), "wb").close()
    manifest += [("empty.tar", "zero bytes", "refuse"), ("empty.zip", "zero bytes", "refuse")]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        member(t, *good_source(ex, f))
        member(t, f"{ex}/padding", os.urandom(64 << 10))
    data = buf.getvalue()
    with open(os.path.join(out, "truncated.tar.gz"), "wb") as w:
        w.write(data[: len(data) // 2])
    manifest.append(("truncated.tar.gz", "cut in the middle", "refuse"))
    with open(os.path.join(out, "not-an-archive.zip"), "wb") as w:
        w.write(b"This is the essay I meant to upload.\n" * 100)
    manifest.append(("not-an-archive.zip", "text file named .zip", "refuse"))
    with open(os.path.join(out, "random.tar.gz"), "wb") as w:
        w.write(os.urandom(4096))
    manifest.append(("random.tar.gz", "random bytes named .tar.gz", "refuse"))


def write_quirks(out, ex, f, manifest):
    """Submission directories with the usual mistakes (graded, with feedback)."""
    def sub(name, files, what, expected="grade"):
        for rel, data in files.items():
            p = os.path.join(out, name, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as w:
                w.write(data)
        manifest.append((name + "/", what, expected))
    src = b"#include <stdio.h>\nint main(void)\n{\n    puts(\"hi\");\n    return 0;\n}\n"
    sub("crlf", {f"{ex}/{f}": src.replace(b"\n", b"\r\n")}, "CRLF line endings")
    sub("binary-source", {f"{ex}/{f}": open("/bin/true", "rb").read()},
        "an ELF binary where the source should be")
    sub("missing-file", {f"{ex}/ANSWERS.md": b"# answers\n"}, "the source file is missing")
    sub("extra-files", {f"{ex}/{f}": src, f"{ex}/Makefile": b"all:\n\ttouch /tmp/pwned\n",
                        f"{ex}/tests/test_evil.c": b"/* replaces a test */\n",
                        f"{ex}/rubric.tsv": b"everything\t1000\tvisible\t\n",
                        f"{ex}/notes.txt": b"extra\n"},
        "extra files, including a Makefile, a test and a rubric (must be ignored)")
    sub("wrong-place", {f"src/{f}": src, f"{f}": src},
        "the source file outside the exercise directory")
    sub("nested-twice", {f"my-submission/{ex}/{f}": src},
        "the whole tree one directory too deep")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: mkbroken.py OUTDIR [EXERCISE [FILE]]")
    out = sys.argv[1]
    ex = sys.argv[2] if len(sys.argv) > 2 else "td1-signals"
    f = sys.argv[3] if len(sys.argv) > 3 else "hello_signals.c"
    os.makedirs(out, exist_ok=True)
    manifest = []
    write_tars(out, ex, f, manifest)
    write_zips(out, ex, f, manifest)
    write_damaged(out, ex, f, manifest)
    write_quirks(out, ex, f, manifest)
    write_bombs(out, ex, f, manifest)
    with open(os.path.join(out, "MANIFEST.tsv"), "w") as w:
        for row in manifest:
            w.write("\t".join(row) + "\n")
    print(f"mkbroken: {len(manifest)} cases in {out} (see MANIFEST.tsv)")


if __name__ == "__main__":
    main()
