#!/usr/bin/env python3
"""plant.py: a planted class for the similarity check (tests/run.sh, test_similarity).

usage: plant.py TREE OUTDIR EXERCISE...

For each EXERCISE, one directory per submission in OUTDIR (an LMS folder), each holding
EXERCISE/<its STUDENT_FILES>:
  reference    the reference (solution/);
  renamed      the reference with every identifier it defines renamed, its comments
               replaced, its functions in reverse order (with prototypes first) and its
               statements reformatted (clang-format, GNU style);
  rewrite      the reference with one function rewritten by hand
               (tests/similarity/EXERCISE/rewrite/FILE holds that function);
  independent  the skeleton with its functions written from the handout, not from the
               reference (tests/similarity/EXERCISE/independent/FILE holds them, with
               the helpers they call; a file it lacks stays the skeleton's);
  skeleton1, skeleton2   the skeleton, untouched.
"""
import os
import re
import shutil
import subprocess
import sys

TOKEN = re.compile(r'''//[^\n]*|/\*.*?\*/|\d[\w.]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|[A-Za-z_]\w*|\s+|.''',
                   re.S)
KEYWORDS = set("""auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof static struct switch
typedef union unsigned void volatile while _Bool _Atomic _Noreturn _Static_assert __attribute__
main argc argv NULL define ifdef ifndef endif undef elif pragma defined error unused noreturn format printf""".split())


def external_names(text, incdirs):
    """Identifiers the file's #include lines bring in (declarations and macros)."""
    includes = "".join(l + "\n" for l in text.splitlines() if l.startswith("#include"))
    args = ["gcc", "-E", "-D_GNU_SOURCE", "-x", "c", "-"] + ["-I" + d for d in incdirs]
    pre = subprocess.run(args, input=includes, capture_output=True, text=True).stdout
    macros = subprocess.run(args[:2] + ["-dM"] + args[2:], input=includes,
                            capture_output=True, text=True).stdout
    return set(re.findall(r"[A-Za-z_]\w*", pre)) | set(re.findall(r"#define (\w+)", macros))


def rename(text, incdirs):
    """Every identifier the file itself defines gets another name; comments go."""
    ext = external_names(text, incdirs) | KEYWORDS
    includes = re.findall(r"^#include[^\n]*\n", text, re.M)
    text = re.sub(r"^#include[^\n]*\n", "", text, flags=re.M)
    out = includes
    for tok in TOKEN.findall(text):
        if tok.startswith("//") or tok.startswith("/*"):
            out.append(" ")
        elif re.fullmatch(r"[A-Za-z_]\w*", tok) and tok not in ext and not tok.startswith("__"):
            out.append("my_" + tok.lower() + "_v")
        else:
            out.append(tok)
    return "".join(out)


def split_top(text):
    """Top-level chunks: ('fn', header, body_text) for function definitions, ('other', text)."""
    chunks, depth, start, i = [], 0, 0, 0
    toks = TOKEN.findall(text)
    pos = 0
    spans = []
    for t in toks:
        spans.append((pos, t))
        pos += len(t)
    head_start = 0
    for p, t in spans:
        if t == "{":
            if depth == 0:
                head = re.sub(r"/\*.*?\*/|//[^\n]*|^#[^\n]*", "", text[head_start:p], flags=re.S | re.M)
                is_fn = re.search(r"\)\s*$", head) is not None and "=" not in head
                fn_start = head_start
                pre = list(re.finditer(r"^#[^\n]*\n", text[head_start:p], re.M))
                if pre:   # preprocessor lines before the function stay outside it
                    fn_start = head_start + pre[-1].end()
            depth += 1
        elif t == "}":
            depth -= 1
            if depth == 0:
                end = p + 1
                if is_fn:
                    chunks.append(("other", text[start:fn_start]))
                    chunks.append(("fn", text[fn_start:end]))
                    start = end
                head_start = end
        elif t == ";" and depth == 0:
            head_start = p + 1
        elif t.startswith("#") and depth == 0:
            pass
    chunks.append(("other", text[start:]))
    return chunks


def reorder(text):
    """Functions in reverse order, after prototypes of them all (declarations that use
    a function's name, such as a table of them, after the prototypes)."""
    chunks = split_top(text)
    fns = [c[1] for c in chunks if c[0] == "fn"]
    names = set(function_name(f) for f in fns)
    others = [c[1] for c in chunks if c[0] == "other"]
    uses = lambda t: names & set(re.findall(r"[A-Za-z_]\w*", t))
    protos = "".join(f[:f.index("{")].strip() + ";\n" for f in fns if "main(" not in f)
    body = "\n".join("/* part %d */\n%s\n" % (i + 1, f.strip()) for i, f in enumerate(reversed(fns)))
    return ("".join(o for o in others if not uses(o)).rstrip() + "\n\n" + protos + "\n" +
            "".join(o for o in others if uses(o)) + "\n" + body)


def reformat(text):
    style = "{BasedOnStyle: GNU, ColumnLimit: 90, SortIncludes: false}"
    return subprocess.run(["clang-format", "--style=" + style], input=text, capture_output=True,
                          text=True, check=True).stdout


def function_name(fn):
    fn = re.sub(r"/\*.*?\*/|//[^\n]*|^#[^\n]*", "", fn, flags=re.S | re.M)
    fn = re.sub(r"__attribute__\s*\(\(.*?\)\)", "", fn)
    head = fn[:fn.index("(")]
    return re.findall(r"[A-Za-z_]\w*", head)[-1]


def swap_functions(text, snippet):
    """TEXT with each function of SNIPPET in place of the one of the same name; a function
    of SNIPPET that TEXT lacks (a helper the skeleton leaves to the student) goes just
    before the next one of SNIPPET that replaces one."""
    have = set(function_name(t) for k, t in split_top(text) if k == "fn")
    new, helpers = {}, []
    for f in (f.strip() for k, f in split_top(snippet) if k == "fn"):
        if function_name(f) in have:
            new[function_name(f)] = "\n\n".join(helpers + [f])
            helpers = []
        else:
            helpers.append(f)
    if helpers:
        sys.exit("plant.py: no function to replace after %s" % ", ".join(map(function_name, helpers)))
    out = []
    for kind, t in split_top(text):
        if kind == "fn" and function_name(t) in new:
            t = "\n\n" + new.pop(function_name(t))
        out.append(t)
    if new:
        sys.exit("plant.py: no function %s to replace" % ", ".join(new))
    return "".join(out)


def main():
    tree, outdir, exercises = sys.argv[1], sys.argv[2], sys.argv[3:]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "similarity")
    for ex in exercises:
        files = [l.strip() for l in open(os.path.join(tree, ex, "STUDENT_FILES"))
                 if l.strip() and l.strip() != "ANSWERS.md" and not l.startswith("#")]
        incdirs = [os.path.join(tree, ex), os.path.join(tree, "testlib")]
        for f in files:
            ref = open(os.path.join(tree, ex, "solution", f)).read()
            skel = open(os.path.join(tree, ex, f)).read()
            variants = {"reference": ref, "skeleton1": skel, "skeleton2": skel,
                        "renamed": reformat(reorder(rename(ref, incdirs)))}
            rw = os.path.join(here, ex, "rewrite", f)
            variants["rewrite"] = swap_functions(ref, open(rw).read()) if os.path.exists(rw) else ref
            ind = os.path.join(here, ex, "independent", f)
            variants["independent"] = swap_functions(skel, open(ind).read()) if os.path.exists(ind) else skel
            for who, text in variants.items():
                d = os.path.join(outdir, who, ex)
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, f), "w") as out:
                    out.write(text)


if __name__ == "__main__":
    main()
