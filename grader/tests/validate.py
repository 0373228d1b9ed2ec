#!/usr/bin/env python3
"""validate.py: check the grader's outputs against their specifications.

  validate.py results FILE [SCORE]   a Gradescope results.json: only the documented
                                     fields, with their types and values; the score is
                                     the sum of the tests' scores (and SCORE if given)
  validate.py gradebook FILE N       gradebook.csv: header id,<exercises>,total; N rows;
                                     unique ids; total = sum of the exercise cells
  validate.py autolab TEXT_FILE      the last line is {"scores": {...}} with numbers
Exit status 0 when valid; the problems are printed otherwise.
"""
import csv
import json
import sys

# Gradescope autograder results.json, as documented at
# https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format").
TOP = {"score": (int, float), "execution_time": (int, float), "output": str,
       "output_format": str, "test_output_format": str, "test_name_format": str,
       "visibility": str, "stdout_visibility": str, "extra_data": dict, "tests": list,
       "leaderboard": list}
TEST = {"score": (int, float), "max_score": (int, float), "status": str, "name": str,
        "name_format": str, "number": str, "output": str, "output_format": str,
        "tags": list, "visibility": str, "extra_data": dict}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
STATUS = {"passed", "failed"}


def check_fields(obj, spec, where, problems):
    if not isinstance(obj, dict):
        problems.append(f"{where}: not an object")
        return
    for key, value in obj.items():
        if key not in spec:
            problems.append(f"{where}: unknown field {key!r}")
        elif not isinstance(value, spec[key]) or isinstance(value, bool):
            problems.append(f"{where}: {key} has type {type(value).__name__}")
    for key in ("visibility", "stdout_visibility"):
        if key in obj and obj[key] not in VISIBILITY:
            problems.append(f"{where}: {key} = {obj[key]!r}")
    for key in ("output_format", "test_output_format", "test_name_format", "name_format"):
        if key in obj and obj[key] not in FORMATS:
            problems.append(f"{where}: {key} = {obj[key]!r}")


def check_test(i, t, problems):
    where = f"tests[{i}]"
    check_fields(t, TEST, where, problems)
    if not isinstance(t, dict):
        return 0
    for key in ("name", "score", "max_score", "status", "visibility"):
        if key not in t:
            problems.append(f"{where}: no {key} (the grader always writes it)")
    if t.get("status") not in STATUS:
        problems.append(f"{where}: status {t.get('status')!r}")
    score, top = t.get("score", 0), t.get("max_score", 0)
    if not 0 <= score <= top:
        problems.append(f"{where}: score {score} outside 0..{top}")
    if t.get("status") == "passed" and score != top:
        problems.append(f"{where}: passed with {score}/{top}")
    return score


def results(path, want=None):
    problems = []
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    check_fields(data, TOP, "results", problems)
    if "score" not in data or "tests" not in data:
        problems.append("results: needs score and tests")
    names = [t.get("name") for t in data.get("tests", [])]
    if len(names) != len(set(names)):
        problems.append("results: duplicate test names")
    total = sum(check_test(i, t, problems) for i, t in enumerate(data.get("tests", [])))
    if abs(total - data.get("score", -1)) > 1e-6:
        problems.append(f"results: score {data.get('score')} != sum of tests {total}")
    if want is not None and abs(float(want) - data.get("score", -1)) > 1e-6:
        problems.append(f"results: score {data.get('score')}, expected {want}")
    return problems


def gradebook(path, rows):
    problems = []
    with open(path, newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    head, body = table[0], table[1:]
    if head[0] != "id" or head[-1] != "total" or len(head) < 3:
        problems.append(f"gradebook: header {head}")
    if len(body) != int(rows):
        problems.append(f"gradebook: {len(body)} rows, expected {rows}")
    ids = [r[0] for r in body]
    if len(ids) != len(set(ids)):
        problems.append("gradebook: duplicate ids")
    for r in body:
        if len(r) != len(head):
            problems.append(f"gradebook: row {r} has {len(r)} cells")
            continue
        cells = [float(c) for c in r[1:-1] if c != ""]
        if abs(sum(cells) - float(r[-1])) > 1e-6:
            problems.append(f"gradebook: {r[0]}: total {r[-1]} != {sum(cells)}")
    return problems


def autolab(path):
    with open(path, encoding="utf-8") as f:
        last = f.read().rstrip("\n").split("\n")[-1]
    data = json.loads(last)
    scores = data.get("scores")
    if list(data) != ["scores"] or not isinstance(scores, dict) or not scores:
        return [f"autolab: last line {last!r}"]
    return [f"autolab: {k} = {v!r}" for k, v in scores.items()
            if not isinstance(v, (int, float))]


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    try:
        problems = {"results": results, "gradebook": gradebook, "autolab": autolab}[kind](*args)
    except (OSError, ValueError, KeyError, IndexError) as e:
        problems = [f"{kind}: {e}"]
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
