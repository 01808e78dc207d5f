#!/usr/bin/env python3
"""Offline consistency checks for docker/: parses every YAML file and checks that the images,
the compose file and the Kubernetes manifests agree (queue, stream, ports, drain vs grace
period, labels vs selectors, Secret keys, security settings). Exit 1 with one line per problem."""
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent
problems = []


def need(cond, what):
    if not cond:
        problems.append(what)
    return cond


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def flag(args, name):
    """Value after `name` in an argument list, or None."""
    args = [str(a) for a in args]
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


def seconds(text):
    """Compose durations like 45s, 1m30s."""
    total, found = 0.0, False
    for num, unit in re.findall(r"([\d.]+)(ms|us|h|m|s)", str(text)):
        total += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6}[unit]
        found = True
    return total if found else None


# ---- Dockerfiles --------------------------------------------------------------------------
def dockerfile(path):
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    info = {"from": [ln for ln in lines if ln.startswith("FROM ")]}
    for key in ("USER", "HEALTHCHECK", "ENTRYPOINT", "CMD", "EXPOSE", "ENV"):
        info[key] = [ln[len(key) + 1:].strip() for ln in lines if ln.startswith(key + " ")]
    name = path.name
    need(len(info["from"]) >= 2, f"{name}: not multi-stage")
    need(any(" AS build" in f for f in info["from"]), f"{name}: no build stage")
    need(info["USER"] and re.fullmatch(r"[1-9]\d*(:\d+)?", info["USER"][-1]),
         f"{name}: final USER must be a fixed non-root uid")
    need(info["ENTRYPOINT"] == ['["examiner"]'], f"{name}: ENTRYPOINT must be [\"examiner\"]")
    cmd = yaml.safe_load(info["CMD"][-1]) if info["CMD"] else []
    need(cmd[:1] == ["worker"], f"{name}: CMD must run the worker")
    port = (flag(cmd, "--http") or ":").rsplit(":", 1)[1]
    need(info["EXPOSE"] == [port], f"{name}: EXPOSE {info['EXPOSE']} != --http port {port}")
    need(info["HEALTHCHECK"] and f":{port}/healthz" in info["HEALTHCHECK"][-1],
         f"{name}: HEALTHCHECK must hit /healthz on port {port}")
    env = " ".join(info["ENV"])
    m = re.search(r"EXAMINER_CACHE_DIR=(\S+)", env)
    need(m, f"{name}: EXAMINER_CACHE_DIR not set")
    return {"cmd": cmd, "port": port, "cache": m.group(1) if m else None}


images = {n: dockerfile(ROOT / n) for n in ("Dockerfile.cpu", "Dockerfile.cuda")}
ignore = (ROOT.parent / ".dockerignore").read_text(encoding="utf-8").split()
for entry in (".git", "build", "build-*", "models", ".cache"):
    need(entry in ignore, f".dockerignore: {entry} missing")
cache_dir = images["Dockerfile.cuda"]["cache"]

# ---- compose ------------------------------------------------------------------------------
compose = load_all(ROOT / "compose.yaml")[0]
services = compose.get("services", {})
redis_cmd = " ".join(map(str, services.get("redis", {}).get("command", [])))
need("--appendonly yes" in redis_cmd, "compose: redis without --appendonly yes")
need("--maxmemory-policy noeviction" in redis_cmd, "compose: redis without noeviction")
need(re.match(r"redis:7", str(services.get("redis", {}).get("image", ""))),
     "compose: Redis 7 or newer is needed (XAUTOCLAIM, group lag)")
need("healthcheck" in services.get("redis", {}), "compose: redis has no healthcheck")
for name in ("worker", "worker-gpu"):
    svc = services.get(name)
    if not need(svc, f"compose: service {name} missing"):
        continue
    drain = float(flag(svc.get("command", []), "--drain-s") or 0)
    grace = seconds(svc.get("stop_grace_period", "10s"))
    need(drain > 0 and grace and grace > drain,
         f"compose: {name} stop_grace_period {grace} s must exceed --drain-s {drain}")
    need(svc.get("depends_on", {}).get("redis", {}).get("condition") == "service_healthy",
         f"compose: {name} must wait for a healthy redis")
gpu = services.get("worker-gpu", {})
devices = gpu.get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", [])
need(any(d.get("driver") == "nvidia" for d in devices), "compose: worker-gpu reserves no GPU")
producer = services.get("producer", {})
need(producer.get("command", [None])[0] == "submit", "compose: producer must run submit")
need(producer.get("profiles") or producer.get("restart") == "no",
     "compose: producer must be one-shot (profile or restart: \"no\")")

# ---- Kubernetes ---------------------------------------------------------------------------
k8s = ROOT / "k8s"
kust = load_all(k8s / "kustomization.yaml")[0]
docs = []
for res in kust.get("resources", []):
    if need((k8s / res).is_file(), f"kustomization: {res} not found"):
        docs += load_all(k8s / res)
for path in sorted(k8s.glob("*.yaml")):
    for d in load_all(path):
        if path.name != "kustomization.yaml":
            need(d.get("apiVersion") and d.get("kind") and d.get("metadata", {}).get("name"),
                 f"{path.name}: apiVersion, kind and metadata.name are required")
            need("namespace" not in d.get("metadata", {}), f"{path.name}: hard-coded namespace")
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
secret = load_all(k8s / "secret.example.yaml")[0]
secret_keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
secret_name = secret["metadata"]["name"]

deploy = by_kind.get("Deployment", [{}])[0]
spec = deploy.get("spec", {})
pod = spec.get("template", {}).get("spec", {})
labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
need(spec.get("selector", {}).get("matchLabels", {}).items() <= labels.items(),
     "Deployment: selector does not match the pod labels")
container = (pod.get("containers") or [{}])[0]
args = container.get("args", [])
drain = float(flag(args, "--drain-s") or 0)
need(drain > 0 and pod.get("terminationGracePeriodSeconds", 30) > drain,
     f"Deployment: terminationGracePeriodSeconds must exceed --drain-s {drain}")
queue = flag(args, "--queue") or "grading"
http_port = int((flag(args, "--http") or ":0").rsplit(":", 1)[1])
ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
need(http_port in ports.values(), f"Deployment: no containerPort {http_port} for --http")
for probe in ("readinessProbe", "livenessProbe"):
    get = container.get(probe, {}).get("httpGet", {})
    need(get.get("path") == "/healthz" and ports.get(get.get("port"), get.get("port")) == http_port,
         f"Deployment: {probe} must GET /healthz on {http_port}")
need(str(container.get("resources", {}).get("limits", {}).get("nvidia.com/gpu")) == "1",
     "Deployment: limits nvidia.com/gpu: 1 missing")
psc, csc = pod.get("securityContext", {}), container.get("securityContext", {})
need(psc.get("runAsNonRoot") is True or csc.get("runAsNonRoot") is True,
     "Deployment: runAsNonRoot missing")
need(csc.get("readOnlyRootFilesystem") is True, "Deployment: readOnlyRootFilesystem missing")
mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
for path in (cache_dir, "/tmp"):
    need(mounts.get(path) in empty_dirs, f"Deployment: {path} needs a writable emptyDir")
env = {e["name"]: e for e in container.get("env", [])}
need("REDIS_URL" in env, "Deployment: REDIS_URL not set")
for e in env.values():
    ref = e.get("valueFrom", {}).get("secretKeyRef")
    if ref:
        need(ref.get("name") == secret_name and ref.get("key") in secret_keys,
             f"Deployment: env {e['name']} refers to a key the Secret example lacks")

auth_names = set()
for ta in by_kind.get("TriggerAuthentication", []):
    auth_names.add(ta["metadata"]["name"])
    for ref in ta.get("spec", {}).get("secretTargetRef", []):
        need(ref.get("name") == secret_name and ref.get("key") in secret_keys,
             f"TriggerAuthentication: {ref.get('key')} not in the Secret example")
for so in by_kind.get("ScaledObject", []) or [{}]:
    sspec = so.get("spec", {})
    need(sspec.get("scaleTargetRef", {}).get("name") == deploy.get("metadata", {}).get("name"),
         "ScaledObject: scaleTargetRef is not the worker Deployment")
    for trig in sspec.get("triggers", []) or [{}]:
        meta = trig.get("metadata", {})
        need(trig.get("type") == "redis-streams", "ScaledObject: trigger must be redis-streams")
        need(meta.get("stream") == f"examiner:{{{queue}}}:jobs",
             f"ScaledObject: stream {meta.get('stream')} is not the worker's queue {queue}")
        need(meta.get("consumerGroup") == "examiner", "ScaledObject: consumerGroup must be examiner")
        need("lagCount" in meta or "pendingEntriesCount" in meta,
             "ScaledObject: lagCount or pendingEntriesCount needed")
        need(all(isinstance(v, str) for v in meta.values()),
             "ScaledObject: KEDA metadata values must be strings")
        if "addressFromEnv" in meta:
            need(meta["addressFromEnv"] in env, "ScaledObject: addressFromEnv not in the container")
        need(trig.get("authenticationRef", {}).get("name") in auth_names,
             "ScaledObject: authenticationRef names no TriggerAuthentication")
for pdb in by_kind.get("PodDisruptionBudget", []) or [{}]:
    sel = pdb.get("spec", {}).get("selector", {}).get("matchLabels", {})
    need(sel and sel.items() <= labels.items(), "PodDisruptionBudget: selector matches no worker")
for svc in by_kind.get("Service", []):
    sel = svc.get("spec", {}).get("selector", {})
    need(sel and sel.items() <= labels.items(), "Service: selector matches no worker")
    for p in svc["spec"].get("ports", []):
        tp = p.get("targetPort")
        need(tp in ports or tp in ports.values(), f"Service: targetPort {tp} not on the worker")

for p in problems:
    print(f"check-manifests: {p}")
print(f"check-manifests: {len(docs)} Kubernetes objects, {len(services)} compose services, "
      f"{len(images)} Dockerfiles: {'ok' if not problems else f'{len(problems)} problems'}")
sys.exit(1 if problems else 0)
