#!/usr/bin/env python3
"""Turns the SemEval-2013 Task 7 training XML into a question bank and grading jobs.

    tools/semeval_jobs.py ../shared/datasets/semeval2013-task7/training-3way OUT_DIR

writes OUT_DIR/{sciEntsBank,beetle}-bank.jsonl and -jobs.jsonl. With --misconceptions it also
writes -mis-bank.jsonl and -mis-jobs.jsonl: every other student answer of a question is held
out, the held-out contradictory answers become that question's common_mistakes, and only the
remaining answers are jobs, so one can see whether contradictory answers raise the
misconception feature (SemEval itself lists no mistakes). Each XML file is one question:
the bank's answer is its first reference answer (Beetle: a BEST one first), the others become
alt_answers. Each student answer is a job whose meta carries the corpus, the 3-way label and
the 2-way label (correct vs not). The jobs feed `examiner grade`; tools/fit_score.py reads the
results. Only the standard library is used.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

ORDER = {"BEST": 0, "GOOD": 1, "MINIMAL": 2}


def convert(corpus_dir, corpus, out_dir, misconceptions=False):
    bank, jobs = [], []
    mis_bank, mis_jobs = [], []
    for name in sorted(os.listdir(corpus_dir)):
        if not name.endswith(".xml"):
            continue
        root = ET.parse(os.path.join(corpus_dir, name)).getroot()
        qid = "%s-%s" % (corpus, root.get("id"))
        question = " ".join(root.findtext("questionText", "").split())
        refs = root.find("referenceAnswers").findall("referenceAnswer")
        refs = sorted(refs, key=lambda r: ORDER.get(r.get("category", "BEST"), 3))
        texts = [" ".join((r.text or "").split()) for r in refs]
        texts = [t for t in texts if t]
        bank.append({"id": qid, "question": question, "answer": texts[0],
                     "alt_answers": texts[1:], "topic": corpus, "level": "", "difficulty": 0})
        held = []
        for k, sa in enumerate(root.find("studentAnswers").findall("studentAnswer")):
            text = " ".join((sa.text or "").split())
            if k % 2 == 0:
                if sa.get("accuracy") == "contradictory" and text and text not in held:
                    held.append(text)
                continue
            label = sa.get("accuracy")
            mis_jobs.append({"id": "%s:%s" % (corpus, sa.get("id")), "cohort": corpus,
                             "candidate": sa.get("id"), "question_id": qid, "answer": text,
                             "meta": {"corpus": corpus, "question": qid, "label": label,
                                      "correct": 1 if label == "correct" else 0}})
        mis_bank.append(dict(bank[-1], common_mistakes=held))
        for sa in root.find("studentAnswers").findall("studentAnswer"):
            label = sa.get("accuracy")
            jobs.append({"id": "%s:%s" % (corpus, sa.get("id")), "cohort": corpus,
                         "candidate": sa.get("id"), "question_id": qid,
                         "answer": " ".join((sa.text or "").split()),
                         "meta": {"corpus": corpus, "question": qid, "label": label,
                                  "correct": 1 if label == "correct" else 0}})
    with open(os.path.join(out_dir, corpus + "-bank.jsonl"), "w") as f:
        for q in bank:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    with open(os.path.join(out_dir, corpus + "-jobs.jsonl"), "w") as f:
        for j in jobs:
            f.write(json.dumps(j, ensure_ascii=False) + "\n")
    if misconceptions:
        for name, rows in (("-mis-bank.jsonl", mis_bank), ("-mis-jobs.jsonl", mis_jobs)):
            with open(os.path.join(out_dir, corpus + name), "w") as f:
                for r in rows:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(bank), len(jobs)


def main():
    args = [a for a in sys.argv[1:] if a != "--misconceptions"]
    if len(args) != 2:
        sys.exit(__doc__)
    src, out = args
    mis = "--misconceptions" in sys.argv
    os.makedirs(out, exist_ok=True)
    for corpus in ("sciEntsBank", "beetle"):
        nq, nj = convert(os.path.join(src, corpus), corpus, out, mis)
        print("%s: %d questions, %d answers" % (corpus, nq, nj))


if __name__ == "__main__":
    main()
