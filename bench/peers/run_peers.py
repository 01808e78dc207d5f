#!/usr/bin/env python3
"""Side-by-side CPU throughput of examiner and two peers embedding the same texts.

Engines, each run in its own process with the same thread count (so peak RSS is separable):
  onnxruntime  fp32 ONNX export of the local BERT (torch.onnx.export from model.safetensors, cached
               under build/peers-cache), with onnxruntime's own BERT fusions applied offline
               (onnxruntime.transformers.optimizer: EmbedLayerNormalization, Attention,
               SkipLayerNormalization, BiasGelu), HF `tokenizers` WordPiece from vocab.txt, mean
               pooling and L2 normalisation in numpy; intra-op threads N, inter-op 1, session
               graph optimisation ORT_ENABLE_ALL.
  onnxruntime-plain  the same without the offline fusions (only on request: --engines); the
               unfused attention is much slower on long texts.
  torch        sentence-transformers on PyTorch CPU, torch.set_num_threads(N).
  examiner     `examiner embed --model DIR --backend cpu --threads N --stats FILE`; its stderr
               line `embed: texts=N tokens=T seconds=S texts_per_s=X` gives in-process time
               (model load excluded); the whole process's wall time is measured too. Missing
               binary: reported as unavailable, the peers still run.
Workloads:
  stsb   the 2758 sentences of STS-B test (s1 and s2 of all 1379 rows, in file order)
  long   200 "long answers" of 150-300 words, each made of consecutive paragraphs of one
         ../shared/seeds file (paragraph rule of tools/make_reference.py); sources are cited in
         the JSON as file:first_line-last_line
Peers use batches of --batch texts (default 64), sorted by length as sentence-transformers does.
Each engine embeds one batch as warm-up (examiner: a separate short run that warms the page
cache), then the whole workload --repeat times (default 1) under the timer; the fastest run
counts, all are kept in the JSON. Embeddings of every engine are compared with
sentence-transformers' (max |diff|, min cosine). The load average is recorded, because on a shared
machine other work skews the numbers.
Examiner's cold start: wall time from spawning `examiner embed` on one short sentence until its
first output line, and until it exits.

Usage (from the project root; the machine is shared, so test with --quick):
    HF_HUB_OFFLINE=1 python3 bench/peers/run_peers.py --model models/all-MiniLM-L6-v2 \
        [--threads 2] [--quick] [--json out.json] [--examiner build/examiner] [--engines ...]
"""

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from make_reference import split_paragraphs  # noqa: E402  (paragraph rule shared with fixtures)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ENGINES = ["onnxruntime", "torch", "examiner", "onnxruntime-plain"]
DEFAULT_ENGINES = "onnxruntime,torch,examiner"
STATS_RE = re.compile(r"embed: texts=(\d+) tokens=(\d+) seconds=([0-9.eE+-]+) texts_per_s=([0-9.eE+-]+)")
COLD_TEXT = "What is the difference between a list and a tuple in Python?"


# ---------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------
def stsb_test_sentences(shared):
    out = []
    path = Path(shared) / "datasets" / "stsbenchmark" / "sts-test.csv"
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line:
                cols = line.split("\t")
                out += [cols[5], cols[6]]
    return out


def long_answers(shared, n=200, lo=150, hi=300):
    """n texts of lo..hi words, each consecutive paragraphs of one seeds file, evenly picked from
    all such texts. Returns (texts, sources)."""
    cands = []
    for path in sorted((Path(shared) / "seeds").glob("*.txt")):
        buf, words, first = [], 0, None
        for lineno, chunk in split_paragraphs(path.read_bytes()):
            try:
                para = " ".join(chunk.decode("utf-8", errors="strict").split())
            except UnicodeDecodeError:
                buf, words = [], 0
                continue
            w = len(para.split())
            if w == 0:
                continue
            if w > hi:  # a paragraph too long on its own breaks the run
                buf, words = [], 0
                continue
            if words + w > hi:
                buf, words = [], 0
            if not buf:
                first = lineno
            buf.append(para)
            words += w
            last = lineno + chunk.count(b"\n")
            if words >= lo:
                cands.append((" ".join(buf), f"{path.name}:{first}-{last}"))
                buf, words = [], 0
    if len(cands) < n:
        raise SystemExit(f"only {len(cands)} long answers can be built from the seeds")
    picked = [cands[(i * len(cands)) // n] for i in range(n)]
    return [t for t, _ in picked], [s for _, s in picked]


# ---------------------------------------------------------------------------------------------
# Workers (run in their own process: `run_peers.py --worker ENGINE ...`)
# ---------------------------------------------------------------------------------------------
def length_batches(texts, batch):
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return [order[i:i + batch] for i in range(0, len(order), batch)]


def worker_torch(args, texts):
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    model = SentenceTransformer(args.model, device="cpu")
    load = time.perf_counter() - t0
    model.encode(texts[:args.batch], batch_size=args.batch, show_progress_bar=False)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        emb = model.encode(texts, batch_size=args.batch, convert_to_numpy=True,
                           show_progress_bar=False)
        times.append(time.perf_counter() - t0)
    return load, times, None, np.asarray(emb, dtype=np.float32)


def ort_session(args):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])


def worker_onnxruntime(args, texts):
    import numpy as np
    import tokenizers
    t0 = time.perf_counter()
    cfg = json.loads((Path(args.model) / "sentence_bert_config.json").read_text())
    tok = tokenizers.BertWordPieceTokenizer(str(Path(args.model) / "vocab.txt"), lowercase=True,
                                            strip_accents=None, clean_text=True,
                                            handle_chinese_chars=True)
    tok.enable_truncation(cfg.get("max_seq_length", 256))
    tok.enable_padding(pad_id=tok.token_to_id("[PAD]"), pad_token="[PAD]")
    sess = ort_session(args)
    load = time.perf_counter() - t0

    def encode(batch_texts):
        encs = tok.encode_batch(batch_texts)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        types = np.array([e.type_ids for e in encs], dtype=np.int64)
        hidden = sess.run(None, {"input_ids": ids, "attention_mask": mask,
                                 "token_type_ids": types})[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12), int(mask.sum())

    batches = length_batches(texts, args.batch)
    encode([texts[i] for i in batches[0]])
    out = np.zeros((len(texts), 384), dtype=np.float32)
    times = []
    for _ in range(args.repeat):
        tokens = 0
        t0 = time.perf_counter()
        for b in batches:
            emb, n = encode([texts[i] for i in b])
            out[b] = emb
            tokens += n
        times.append(time.perf_counter() - t0)
    return load, times, tokens, out


def run_worker(args):
    import numpy as np
    texts = json.loads(Path(args.texts).read_text(encoding="utf-8"))
    fn = worker_torch if args.worker == "torch" else worker_onnxruntime
    load, times, tokens, emb = fn(args, texts)
    np.save(args.emb_out, emb)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"load_s": load, "seconds": min(times), "runs_s": times, "texts": len(texts),
                      "tokens": tokens, "peak_rss_mb": peak_kb / 1024.0}))


def export_onnx(model_dir, path):
    """Exports BERT (last_hidden_state) from the local safetensors to ONNX at path."""
    import torch
    from transformers import AutoModel
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()

    class Wrapped(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state

    ids = torch.randint(1000, 2000, (2, 16))
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    dyn = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
           "token_type_ids": {0: "batch", 1: "seq"}, "last_hidden_state": {0: "batch", 1: "seq"}}
    tmp = str(path) + ".tmp"
    torch.onnx.export(Wrapped(model), (ids, mask, torch.zeros_like(ids)), tmp,
                      input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["last_hidden_state"], dynamic_axes=dyn, opset_version=17,
                      dynamo=False)
    os.replace(tmp, path)


def fuse_onnx(plain, path):
    """Applies onnxruntime's offline BERT fusions to the plain export."""
    import onnx
    from onnxruntime.transformers import optimizer
    cfg = json.loads(open(Path(plain).with_suffix(".config.json")).read())
    om = optimizer.optimize_model(plain, model_type="bert", num_heads=cfg["num_attention_heads"],
                                  hidden_size=cfg["hidden_size"], opt_level=1, use_gpu=False)
    stats = om.get_fused_operator_statistics()
    if not stats.get("Attention"):
        raise SystemExit(f"no Attention fusion happened: {stats}")
    tmp = str(path) + ".tmp"
    onnx.save(om.model, tmp)
    os.replace(tmp, path)
    print(json.dumps(stats))


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------
def thread_env(n):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[k] = str(n)
    return env


def ensure_onnx(args, fused):
    """Path of the cached plain (or fused) ONNX model, exporting it first when missing."""
    st = (Path(args.model) / "model.safetensors").stat()
    key = f"{Path(args.model).name}-{st.st_size}-{int(st.st_mtime)}"
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    plain = cache / f"{key}.onnx"
    fused_path = cache / f"{key}.fused.onnx"
    steps = [(plain, ["--export-onnx", str(plain)], "exporting ONNX")]
    if fused:
        steps.append((fused_path, ["--fuse-onnx", str(fused_path), "--onnx", str(plain)],
                      "fusing BERT ops"))
    for path, extra, what in steps:
        if path.exists():
            continue
        if path == plain:
            plain.with_suffix(".config.json").write_text(
                (Path(args.model) / "config.json").read_text())
        print(f"{what} into {path} ...", flush=True)
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-W", "ignore", __file__, "--model", args.model]
                           + extra, capture_output=True, text=True)
        if r.returncode != 0 or not path.exists():
            raise RuntimeError(f"{what} failed:\n" + (r.stdout + r.stderr)[-3000:])
        print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
    return str(fused_path if fused else plain)


def run_peer(args, engine, texts_path, emb_path):
    cmd = [sys.executable, "-W", "ignore", __file__, "--worker", engine, "--texts", texts_path,
           "--emb-out", emb_path, "--model", args.model, "--threads", str(args.threads),
           "--batch", str(args.batch), "--repeat", str(args.repeat)]
    if engine in args.onnx_paths:
        cmd += ["--onnx", args.onnx_paths[engine]]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=thread_env(args.threads))
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        return {"error": r.stderr.strip()[-2000:]}
    res = json.loads(r.stdout.strip().splitlines()[-1])
    res["wall_s"] = wall
    res["texts_per_s"] = res["texts"] / res["seconds"]
    return res


def spawn_examiner(args, input_path, stdout, stderr):
    cmd = [args.examiner, "embed", "--model", args.model, "--backend", args.examiner_backend,
           "--threads", str(args.threads), "--stats"] + args.examiner_arg + [input_path]
    return subprocess.Popen(cmd, stdout=stdout, stderr=stderr, env=thread_env(args.threads))


def wait_rusage(proc):
    """Waits for proc, returning (exit code, peak RSS in MB of that child alone)."""
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, ru.ru_maxrss / 1024.0


def parse_embeddings(lines):
    import numpy as np
    rows = {}
    for ln in lines:
        try:
            o = json.loads(ln)
        except ValueError:
            return None
        if isinstance(o, dict) and "embedding" in o:
            rows[o.get("index", len(rows))] = o["embedding"]
    if not rows:
        return None
    return np.array([rows[i] for i in sorted(rows)], dtype=np.float32)


def run_examiner(args, lines_path, n_texts, emb_path):
    import numpy as np
    # Warm-up: a short run on the first lines, so the weights are in the page cache.
    warm = Path(lines_path).with_suffix(".warm.txt")
    with open(lines_path, encoding="utf-8") as f:
        warm.write_text("".join(f.readline() for _ in range(args.batch)), encoding="utf-8")
    subprocess.run([args.examiner, "embed", "--model", args.model, "--backend",
                    args.examiner_backend, "--threads", str(args.threads)] + args.examiner_arg
                   + [str(warm)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=thread_env(args.threads))
    out_path, err_path = emb_path + ".out", emb_path + ".err"
    runs, walls, rss = [], [], 0.0
    for _ in range(args.repeat):
        with open(out_path, "wb") as out_f, open(err_path, "wb") as err_f:
            t0 = time.perf_counter()
            p = spawn_examiner(args, lines_path, out_f, err_f)
            rc, run_rss = wait_rusage(p)
            walls.append(time.perf_counter() - t0)
        rss = max(rss, run_rss)
        err = Path(err_path).read_text(encoding="utf-8", errors="replace")
        m = None
        for m in STATS_RE.finditer(err):
            pass
        if rc != 0 or m is None:
            return {"error": f"exit {rc}: {err.strip()[-2000:]}"}
        texts, tokens = int(m.group(1)), int(m.group(2))
        runs.append(float(m.group(3)))
    out_b = Path(out_path).read_bytes()
    emb = parse_embeddings(out_b.decode("utf-8", "replace").splitlines())
    if emb is not None and emb.shape[0] == n_texts:
        np.save(emb_path, emb)
    secs, wall = min(runs), min(walls)
    return {"seconds": secs, "runs_s": runs, "texts": texts, "tokens": tokens,
            "texts_per_s": texts / secs, "wall_s": wall, "walls_s": walls,
            "wall_texts_per_s": texts / wall, "peak_rss_mb": rss}


def examiner_cold_start(args, tmp):
    path = Path(tmp) / "cold.txt"
    path.write_text(COLD_TEXT + "\n", encoding="utf-8")
    with open(Path(tmp) / "cold.err", "wb") as err_f:
        t0 = time.perf_counter()
        p = spawn_examiner(args, str(path), subprocess.PIPE, err_f)
        first = p.stdout.readline()
        t_first = time.perf_counter() - t0
        p.stdout.read()
        rc, rss = wait_rusage(p)
        t_exit = time.perf_counter() - t0
    if rc != 0 or not first:
        return {"error": f"exit {rc}, first line {first[:200]!r}"}
    return {"first_output_s": t_first, "exit_s": t_exit, "peak_rss_mb": rss}


def agreement(ref_path, path):
    import numpy as np
    if not (os.path.exists(ref_path) and os.path.exists(path)):
        return None
    a, b = np.load(ref_path), np.load(path)
    if a.shape != b.shape:
        return {"error": f"shape {b.shape} vs {a.shape}"}
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"max_abs_diff": float(np.abs(a - b).max()), "min_cosine": float(cos.min())}


def machine_info():
    cpu = platform.processor()
    try:
        for ln in open("/proc/cpuinfo"):
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}


def versions():
    out = {}
    for mod in ("onnxruntime", "torch", "sentence_transformers", "transformers", "tokenizers",
                "numpy"):
        try:
            r = subprocess.run([sys.executable, "-c", f"import {mod}; print({mod}.__version__)"],
                               capture_output=True, text=True)
            out[mod] = r.stdout.strip() or None
        except OSError:
            out[mod] = None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.environ.get("EXAMINER_MODEL_DIR",
                                                      "models/all-MiniLM-L6-v2"))
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs per engine and workload; the fastest counts (default 1)")
    ap.add_argument("--examiner", default="build/examiner")
    ap.add_argument("--examiner-backend", default="cpu")
    ap.add_argument("--examiner-arg", action="append", default=[],
                    help="extra argument for `examiner embed` (repeatable)")
    ap.add_argument("--engines", default=DEFAULT_ENGINES,
                    help=f"comma-separated, from {','.join(ENGINES)} (default {DEFAULT_ENGINES})")
    ap.add_argument("--workloads", default="stsb,long")
    ap.add_argument("--cache", default=str(ROOT / "build" / "peers-cache"))
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--quick", action="store_true", help="200 STS-B sentences, 50 long answers")
    # internal
    ap.add_argument("--worker", choices=["torch", "onnxruntime", "onnxruntime-plain"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--texts", help=argparse.SUPPRESS)
    ap.add_argument("--emb-out", help=argparse.SUPPRESS)
    ap.add_argument("--onnx", help=argparse.SUPPRESS)
    ap.add_argument("--export-onnx", help=argparse.SUPPRESS)
    ap.add_argument("--fuse-onnx", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.export_onnx:
        return export_onnx(args.model, args.export_onnx)
    if args.fuse_onnx:
        return fuse_onnx(args.onnx, args.fuse_onnx)
    if args.worker:
        return run_worker(args)

    engines = [e for e in args.engines.split(",") if e]
    for e in engines:
        if e not in ENGINES:
            ap.error(f"unknown engine {e}")
    if not (Path(args.model) / "model.safetensors").exists():
        ap.error(f"no model.safetensors in {args.model}")

    workloads = {}
    names = [w for w in args.workloads.split(",") if w]
    if "stsb" in names:
        s = stsb_test_sentences(args.shared)
        workloads["stsb"] = {"texts": s[:200] if args.quick else s, "sources": None}
    if "long" in names:
        texts, src = long_answers(args.shared)
        if args.quick:
            keep = [(i * len(texts)) // 50 for i in range(50)]
            texts, src = [texts[i] for i in keep], [src[i] for i in keep]
        workloads["long"] = {"texts": texts, "sources": src}

    examiner_ok = os.access(args.examiner, os.X_OK)
    args.onnx_paths = {}
    if "onnxruntime-plain" in engines:
        args.onnx_paths["onnxruntime-plain"] = ensure_onnx(args, fused=False)
    if "onnxruntime" in engines:
        args.onnx_paths["onnxruntime"] = ensure_onnx(args, fused=True)

    results = {"machine": machine_info(), "versions": versions(), "threads": args.threads,
               "batch": args.batch, "repeat": args.repeat, "quick": args.quick,
               "model": str(Path(args.model).resolve()), "examiner": str(args.examiner),
               "load_average": os.getloadavg(), "workloads": {}, "results": {}}
    with tempfile.TemporaryDirectory(prefix="peers-") as tmp:
        if "examiner" in engines and examiner_ok:
            print("examiner cold start ...", flush=True)
            results["examiner_cold_start"] = examiner_cold_start(args, tmp)
        for wname, w in workloads.items():
            texts = w["texts"]
            words = [len(t.split()) for t in texts]
            results["workloads"][wname] = {"texts": len(texts), "words_min": min(words),
                                           "words_max": max(words),
                                           "words_mean": sum(words) / len(words),
                                           "sources": w["sources"]}
            tpath = os.path.join(tmp, f"{wname}.json")
            Path(tpath).write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
            lpath = os.path.join(tmp, f"{wname}.txt")
            with open(lpath, "w", encoding="utf-8", newline="\n") as f:
                for t in texts:
                    f.write(" ".join(t.split()) + "\n")
            res = results["results"].setdefault(wname, {})
            for e in engines:
                print(f"{wname}: {e} ...", flush=True)
                emb_path = os.path.join(tmp, f"{wname}-{e}.npy")
                if e == "examiner":
                    res[e] = (run_examiner(args, lpath, len(texts), emb_path) if examiner_ok
                              else {"unavailable": f"no executable at {args.examiner}"})
                else:
                    res[e] = run_peer(args, e, tpath, emb_path)
            ref = os.path.join(tmp, f"{wname}-torch.npy")
            for e in engines:
                if e != "torch":
                    a = agreement(ref, os.path.join(tmp, f"{wname}-{e}.npy"))
                    if a:
                        res[e]["agreement_with_torch"] = a

    print()
    print(f"threads={args.threads} batch={args.batch} repeat={args.repeat}"
          f"{' (quick)' if args.quick else ''} on {results['machine']['cpu']} "
          f"x{results['machine']['cores']}, load average at start "
          f"{results['load_average'][0]:.2f}, at end {os.getloadavg()[0]:.2f}")
    hdr = f"{'workload':<8} {'engine':<17} {'texts':>6} {'tokens':>7} {'seconds':>9} " \
          f"{'texts/s':>9} {'wall texts/s':>12} {'peak RSS MB':>11} {'max|diff|':>10}"
    print(hdr)
    print("-" * len(hdr))
    for wname, res in results["results"].items():
        for e, r in res.items():
            if "seconds" not in r:
                why = r.get("unavailable") or r.get("error", "")
                print(f"{wname:<8} {e:<17} {why.splitlines()[-1] if why else ''}")
                continue
            wall_tps = r.get("wall_texts_per_s")
            wall_tps = f"{wall_tps:.1f}" if wall_tps else "-"
            diff = r.get("agreement_with_torch", {}).get("max_abs_diff")
            diff = "ref" if e == "torch" else (f"{diff:.2e}" if diff is not None else "-")
            tokens = r.get("tokens") or "-"
            print(f"{wname:<8} {e:<17} {r['texts']:>6} {tokens:>7} {r['seconds']:>9.3f} "
                  f"{r['texts_per_s']:>9.1f} {wall_tps:>12} {r['peak_rss_mb']:>11.0f} {diff:>10}")
    cs = results.get("examiner_cold_start")
    if cs and "first_output_s" in cs:
        print(f"examiner cold start: first embedding after {cs['first_output_s']:.3f} s, "
              f"exit after {cs['exit_s']:.3f} s, peak RSS {cs['peak_rss_mb']:.0f} MB")
    elif "examiner" in engines:
        print(f"examiner: {cs.get('error') if cs else 'unavailable (' + args.examiner + ')'}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
