#!/usr/bin/env python3
"""Turns the SemEval-2013 Task 7 training XML into a question bank and grading jobs.

    tools/semeval_jobs.py ../shared/datasets/semeval2013-task7/training-3way OUT_DIR

writes OUT_DIR/{sciEntsBank,beetle}-bank.jsonl and -jobs.jsonl. Each XML file is one question:
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


def convert(corpus_dir, corpus, out_dir):
    bank, jobs = [], []
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
    return len(bank), len(jobs)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for corpus in ("sciEntsBank", "beetle"):
        nq, nj = convert(os.path.join(src, corpus), corpus, out)
        print("%s: %d questions, %d answers" % (corpus, nq, nj))


if __name__ == "__main__":
    main()
