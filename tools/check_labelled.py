#!/usr/bin/env python3
"""Validates the hand-labelled grading sets under tests/data/labelled/ and prints their counts.

    tools/check_labelled.py [LABELLED_DIR [BANK_DIR]]

Defaults: tests/data/labelled and data/bank next to this script's parent. Checks every file
(valid JSON, required fields and types, known question ids, mistake and key-point texts equal
to the question's own, evidence a substring of the answer), the thresholds the sets were
written to meet (sizes, shares of kinds, spread over questions, share of x- questions) and the
split policy (dev/holdout per answer group, consistent across files, about a quarter held out).
README.md in the labelled folder describes the files. Standard library only; exit 1 on any
violation, each printed as "FILE:LINE: message".
"""
import collections
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

BANK_FIELDS = {"id": str, "question": str, "answer": str, "key_points": list,
               "common_mistakes": list, "follow_ups": list, "topic": str, "level": str,
               "difficulty": int}
MIS_KINDS = {"statement", "paraphrase", "denial", "correction", "unrelated_correct", "other_wrong"}
MIS_FLAGGED = {"statement", "paraphrase"}
GUARD_KEEP = {"terse_correct", "term_list_correct", "question_reuse_correct", "one_word_correct"}
GUARD_ZERO = {"repetition", "keyword_salad", "question_restatement", "off_topic", "empty_like"}
SCALE_KINDS = {"model_paraphrase", "complete_informal", "half", "partial", "wrong", "off_topic",
               "empty"}
SPLITS = {"dev", "holdout"}
HOLDOUT_MIN, HOLDOUT_MAX = 0.15, 0.35


class Checker:
    def __init__(self):
        self.errors = []

    def fail(self, where, msg):
        self.errors.append("%s: %s" % (where, msg))

    def need(self, cond, where, msg):
        if not cond:
            self.fail(where, msg)
        return cond


def read_jsonl(ck, path):
    """Returns [(line_number, object)], reporting unparsable or non-object lines."""
    rows = []
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    ck.fail("%s:%d" % (name, n), "blank line")
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    ck.fail("%s:%d" % (name, n), "invalid JSON: %s" % e)
                    continue
                if not isinstance(obj, dict):
                    ck.fail("%s:%d" % (name, n), "not a JSON object")
                    continue
                rows.append((n, obj))
    except OSError as e:
        ck.fail(name, "cannot read: %s" % e)
    return rows


def check_fields(ck, where, obj, spec):
    ok = True
    for field, typ in spec.items():
        if field not in obj:
            ck.fail(where, "missing field %r" % field)
            ok = False
        elif typ is not None and not isinstance(obj[field], typ):
            ck.fail(where, "field %r should be %s" % (field, typ.__name__ if isinstance(typ, type) else typ))
            ok = False
    return ok


def load_bank(ck, bank_dir, extra_path):
    bank, extra = {}, {}
    for path in sorted(glob.glob(os.path.join(bank_dir, "*.jsonl"))):
        for n, d in read_jsonl(ck, path):
            if "id" in d:
                bank[d["id"]] = d
    ck.need(len(bank) > 0, bank_dir, "no bank questions found")
    name = os.path.basename(extra_path)
    for n, d in read_jsonl(ck, extra_path):
        where = "%s:%d" % (name, n)
        if not check_fields(ck, where, d, BANK_FIELDS):
            continue
        qid = d["id"]
        ck.need(qid.startswith("x-"), where, "id %r must start with x-" % qid)
        ck.need(" " not in qid, where, "id %r contains a space" % qid)
        ck.need(qid not in extra, where, "duplicate id %r" % qid)
        ck.need(qid not in bank, where, "id %r clashes with data/bank" % qid)
        ck.need(3 <= len(d["key_points"]) <= 6, where, "needs 3-6 key points, has %d" % len(d["key_points"]))
        ck.need(2 <= len(d["common_mistakes"]) <= 4, where,
                "needs 2-4 common mistakes, has %d" % len(d["common_mistakes"]))
        for field in ("key_points", "common_mistakes", "follow_ups"):
            ck.need(all(isinstance(s, str) and s.strip() for s in d[field]), where,
                    "%s must be non-empty strings" % field)
            ck.need(len(set(d[field])) == len(d[field]), where, "repeated entry in %s" % field)
        ck.need(0 <= d["difficulty"] <= 10, where, "difficulty outside 0-10")
        extra[qid] = d
    ck.need(12 <= len(extra) <= 16, name, "needs 12-16 questions, has %d" % len(extra))
    questions = dict(bank)
    questions.update(extra)
    return questions, set(extra)


def share(part, whole):
    return part / whole if whole else 0.0


class Groups:
    """Answer groups across files: one answer_id per (question, answer), one split per group."""

    def __init__(self, ck):
        self.ck = ck
        self.by_text = {}
        self.by_id = {}

    def add(self, where, obj):
        aid, qid, text, split = obj["answer_id"], obj["question_id"], obj["answer"], obj["split"]
        ck = self.ck
        ck.need(split in SPLITS, where, "split must be dev or holdout, is %r" % split)
        ck.need(aid.startswith(qid + "/"), where, "answer_id %r should start with %s/" % (aid, qid))
        prev = self.by_id.get(aid)
        if prev is None:
            self.by_id[aid] = (qid, text, split)
        else:
            ck.need(prev[1] == text, where, "answer_id %s used for two different answers" % aid)
            ck.need(prev[2] == split, where, "answer_id %s is in both splits" % aid)
        other = self.by_text.setdefault((qid, text), aid)
        ck.need(other == aid, where, "the same answer has answer_ids %s and %s" % (other, aid))


def check_common(ck, name, rows, questions, groups, extra_fields):
    """Common per-line checks; returns the rows that passed the field checks."""
    spec = {"id": str, "question_id": str, "answer_id": str, "answer": str, "split": str}
    spec.update(extra_fields)
    good = []
    ids = set()
    for n, obj in rows:
        where = "%s:%d" % (name, n)
        if not check_fields(ck, where, obj, spec):
            continue
        ck.need(obj["id"] not in ids, where, "duplicate id %r" % obj["id"])
        ids.add(obj["id"])
        if not ck.need(obj["question_id"] in questions, where, "unknown question_id %r" % obj["question_id"]):
            continue
        groups.add(where, obj)
        good.append((where, obj))
    return good


def check_spread(ck, name, good, extra_ids, min_lines, min_questions=None, x_share=None):
    lines = [o for _, o in good]
    qs = {o["question_id"] for o in lines}
    ck.need(len(lines) >= min_lines, name, "needs >= %d lines, has %d" % (min_lines, len(lines)))
    if min_questions is not None:
        ck.need(len(qs) >= min_questions, name, "needs >= %d questions, has %d" % (min_questions, len(qs)))
    ck.need(any(q in extra_ids for q in qs) and any(q not in extra_ids for q in qs), name,
            "must mix data/bank and x- questions")
    nx = sum(o["question_id"] in extra_ids for o in lines)
    if x_share is not None:
        ck.need(nx * 3 >= len(lines), name, "x- lines %d are under a third of %d" % (nx, len(lines)))
    groups = {}
    for o in lines:
        groups[o["answer_id"]] = (o["question_id"], o["split"])
    hold = [a for a, (q, s) in groups.items() if s == "holdout"]
    hq = {groups[a][0] for a in hold}
    f = share(len(hold), len(groups))
    ck.need(HOLDOUT_MIN <= f <= HOLDOUT_MAX, name,
            "holdout share of answer groups %.2f outside %.2f-%.2f" % (f, HOLDOUT_MIN, HOLDOUT_MAX))
    ck.need(len(hq) >= min(10, len(qs)), name, "holdout covers only %d questions" % len(hq))
    ck.need(any(q in extra_ids for q in hq) and any(q not in extra_ids for q in hq), name,
            "holdout must include data/bank and x- questions")
    return {"lines": len(lines), "questions": len(qs), "x_lines": nx, "groups": len(groups),
            "holdout_groups": len(hold), "holdout_lines": sum(o["split"] == "holdout" for o in lines)}


def report(name, stats, kinds):
    print("%s: %d lines, %d answer groups, %d questions, %d lines on x- questions, "
          "holdout %d lines / %d groups" % (name, stats["lines"], stats["groups"], stats["questions"],
                                            stats["x_lines"], stats["holdout_lines"],
                                            stats["holdout_groups"]))
    for key, counter in kinds:
        print("  %s: %s" % (key, ", ".join("%s=%d" % kv for kv in sorted(counter.items()))))


def main(argv):
    labelled = argv[1] if len(argv) > 1 else os.path.join(ROOT, "tests", "data", "labelled")
    bank_dir = argv[2] if len(argv) > 2 else os.path.join(ROOT, "data", "bank")
    ck = Checker()
    questions, extra_ids = load_bank(ck, bank_dir, os.path.join(labelled, "extra-bank.jsonl"))
    groups = Groups(ck)
    all_q = set()

    # misconceptions
    name = "misconceptions.jsonl"
    good = check_common(ck, name, read_jsonl(ck, os.path.join(labelled, name)), questions, groups,
                        {"mistake": str, "kind": str, "flag": bool})
    for where, o in good:
        q = questions[o["question_id"]]
        ck.need(o["mistake"] in q["common_mistakes"], where, "mistake is not one of the question's common_mistakes")
        if ck.need(o["kind"] in MIS_KINDS, where, "unknown kind %r" % o["kind"]):
            ck.need(o["flag"] == (o["kind"] in MIS_FLAGGED), where, "flag does not match kind %s" % o["kind"])
        ck.need(1 <= len(re.findall(r"[.!?](?:\s|$)", o["answer"])) <= 5, where,
                "a misconception answer has 1-5 sentences")
    seen = collections.Counter((o["answer_id"], o["mistake"]) for _, o in good)
    for (aid, m), c in seen.items():
        ck.need(c == 1, name, "answer %s paired with the same mistake %d times" % (aid, c))
    st = check_spread(ck, name, good, extra_ids, 180, 30, x_share=True)
    kinds = collections.Counter(o["kind"] for _, o in good)
    n = len(good)
    ck.need((kinds["denial"] + kinds["correction"]) * 3 >= n, name, "denials+corrections under a third")
    ck.need((kinds["statement"] + kinds["paraphrase"]) * 3 >= n, name, "statements+paraphrases under a third")
    for k in MIS_KINDS:
        ck.need(kinds[k] > 0, name, "no line of kind %s" % k)
    all_q |= {o["question_id"] for _, o in good}
    report(name, st, [("kind", kinds), ("flag", collections.Counter(str(o["flag"]).lower() for _, o in good)),
                      ("split", collections.Counter(o["split"] for _, o in good))])

    # key points
    name = "keypoints.jsonl"
    good = check_common(ck, name, read_jsonl(ck, os.path.join(labelled, name)), questions, groups,
                        {"key_point": str, "covered": bool})
    per_answer = collections.defaultdict(list)
    for where, o in good:
        q = questions[o["question_id"]]
        ck.need(o["key_point"] in q["key_points"], where, "key_point is not one of the question's key_points")
        ev = o.get("evidence", "missing")
        if ev == "missing":
            ck.fail(where, "missing field 'evidence'")
        elif o["covered"]:
            if ck.need(isinstance(ev, str) and ev.strip(), where, "covered needs an evidence sentence"):
                ck.need(ev in o["answer"], where, "evidence is not a substring of the answer")
        else:
            ck.need(ev is None, where, "evidence must be null when not covered")
        if "note" in o:
            ck.need(isinstance(o["note"], str) and o["note"].strip(), where, "note must be a non-empty string")
        per_answer[o["answer_id"]].append((where, o))
    full = 0
    for aid, items in per_answer.items():
        kps = [o["key_point"] for _, o in items]
        ck.need(len(set(kps)) == len(kps), items[0][0], "answer %s labels a key point twice" % aid)
        if set(kps) == set(questions[items[0][1]["question_id"]]["key_points"]):
            full += 1
    ck.need(full * 2 >= len(per_answer), name, "fewer than half of the answers label every key point")
    st = check_spread(ck, name, good, extra_ids, 340, 30, x_share=True)
    cov = collections.Counter("covered" if o["covered"] else "missed" for _, o in good)
    ck.need(cov["covered"] > 0 and cov["missed"] > 0, name, "needs both covered and missed lines")
    one_line = sum(1 for items in per_answer.values()
                   if len(re.findall(r"[.!?](?:\s|$)", items[0][1]["answer"])) <= 1)
    all_q |= {o["question_id"] for _, o in good}
    report(name, st, [("label", cov), ("notes", collections.Counter("with note" if "note" in o else "no note" for _, o in good)),
                      ("answers", collections.Counter({"labelling every key point": full,
                                                       "one-sentence answers": one_line})),
                      ("split", collections.Counter(o["split"] for _, o in good))])

    # guards
    name = "guards.jsonl"
    good = check_common(ck, name, read_jsonl(ck, os.path.join(labelled, name)), questions, groups,
                        {"kind": str, "should_zero": bool})
    for where, o in good:
        k = o["kind"]
        if ck.need(k in GUARD_KEEP | GUARD_ZERO, where, "unknown kind %r" % k):
            ck.need(o["should_zero"] == (k in GUARD_ZERO), where, "should_zero does not match kind %s" % k)
    st = check_spread(ck, name, good, extra_ids, 60)
    kinds = collections.Counter(o["kind"] for _, o in good)
    for k in GUARD_KEEP | GUARD_ZERO:
        ck.need(kinds[k] >= 3 or (k == "empty_like" and kinds[k] >= 2), name, "too few lines of kind %s" % k)
    all_q |= {o["question_id"] for _, o in good}
    report(name, st, [("kind", kinds), ("should_zero", collections.Counter(str(o["should_zero"]).lower() for _, o in good)),
                      ("split", collections.Counter(o["split"] for _, o in good))])

    # scale
    name = "scale.jsonl"
    good = check_common(ck, name, read_jsonl(ck, os.path.join(labelled, name)), questions, groups,
                        {"human_score": (int, float), "kind": str})
    para_q = set()
    for where, o in good:
        s, k = o["human_score"], o["kind"]
        if isinstance(s, bool) or not 0 <= s <= 10:
            ck.fail(where, "human_score must be a number in 0-10")
            continue
        if not ck.need(k in SCALE_KINDS, where, "unknown kind %r" % k):
            continue
        if k == "model_paraphrase":
            ck.need(s >= 9, where, "a paraphrase of the model answer scores >= 9")
            para_q.add(o["question_id"])
        if k in ("off_topic", "empty"):
            ck.need(s == 0, where, "%s scores 0" % k)
        if k == "wrong":
            ck.need(s <= 2, where, "a wrong answer scores at most 2")
        if k == "half":
            ck.need(4 <= s <= 6, where, "a half answer scores 4-6")
        if k != "empty":
            ck.need(o["answer"].strip() != "" or k == "empty", where, "empty answer outside kind empty")
    ck.need(len(para_q) >= 15, name, "model paraphrases on %d questions, need >= 15" % len(para_q))
    st = check_spread(ck, name, good, extra_ids, 80)
    kinds = collections.Counter(o["kind"] for _, o in good)
    all_q |= {o["question_id"] for _, o in good}
    report(name, st, [("kind", kinds), ("split", collections.Counter(o["split"] for _, o in good))])
    print("questions covered: %d (%d x-, %d data/bank); extra-bank questions: %d"
          % (len(all_q), len(all_q & extra_ids), len(all_q - extra_ids), len(extra_ids)))

    for e in ck.errors:
        print(e)
    if ck.errors:
        print("FAILED: %d problem(s)" % len(ck.errors))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
