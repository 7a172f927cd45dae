#!/usr/bin/env python3
"""Checks docs/scale-out.md's Kubernetes Indexed Job without a cluster, then runs its pods' command.

    k8s_indexed_job.py MANIFEST --data DIR [--timeout SECONDS]

Parses MANIFEST (PyYAML, safe_load) and asserts what the doc promises: one batch/v1 Job with
completionMode Indexed, integer completions and 1 <= parallelism <= completions,
backoffLimitPerIndex, a podFailurePolicy that fails the Job on the container's exit code 2,
restartPolicy Never, one container whose command line runs imgfetch with `--shard auto --shards N`
where N is completions and names its report after $JOB_COMPLETION_INDEX (set by Kubernetes, so the
container must not set it), and a volume from a PersistentVolumeClaim mounted where the command
reads its list and writes its images.

Then it does what the Job's pods would do, as plain processes: for each index 0..completions-1 it
runs the container's command with JOB_COMPLETION_INDEX=index, at most `parallelism` at a time,
with the mount path replaced by DIR (which must hold the list the command reads) and imgfetch
found on PATH. Every pod must exit with 0 within the timeout. Not checked: the image, the claim,
the API server's own validation, scheduling and retries; no Kubernetes runs here.
Prints one line per finding; exits 1 on the first failed assertion or pod.
"""
import argparse
import os
import shlex
import subprocess
import sys

import yaml


def fail(message):
    sys.exit(f"k8s: {message}")


def expect(condition, message):
    if not condition:
        fail(message)


def field(obj, dotted):
    for key in dotted.split("."):
        expect(isinstance(obj, dict) and key in obj, f"manifest has no '{dotted}'")
        obj = obj[key]
    return obj


def check_manifest(path):
    """Returns (container, completions, parallelism, mount path) once every promise holds."""
    with open(path, encoding="utf-8") as f:
        documents = [d for d in yaml.safe_load_all(f) if d is not None]
    expect(len(documents) == 1, f"expected one YAML document, found {len(documents)}")
    job = documents[0]
    expect(field(job, "apiVersion") == "batch/v1", "apiVersion is not batch/v1")
    expect(field(job, "kind") == "Job", "kind is not Job")
    expect(field(job, "spec.completionMode") == "Indexed", "completionMode is not Indexed")
    completions = field(job, "spec.completions")
    parallelism = field(job, "spec.parallelism")
    expect(isinstance(completions, int) and completions >= 1, "completions is not an integer >= 1")
    expect(isinstance(parallelism, int) and 1 <= parallelism <= completions,
           "parallelism is not an integer in 1..completions")
    expect(isinstance(field(job, "spec.backoffLimitPerIndex"), int),
           "backoffLimitPerIndex is not an integer")
    pod = field(job, "spec.template.spec")
    expect(field(pod, "restartPolicy") == "Never", "restartPolicy is not Never")
    containers = field(pod, "containers")
    expect(isinstance(containers, list) and len(containers) == 1, "expected exactly one container")
    container = containers[0]
    name = field(container, "name")

    rules = field(job, "spec.podFailurePolicy.rules")
    expect(any(r.get("action") == "FailJob" and
               r.get("onExitCodes", {}).get("containerName") == name and
               r.get("onExitCodes", {}).get("operator") == "In" and
               2 in r.get("onExitCodes", {}).get("values", []) for r in rules),
           f"no podFailurePolicy rule fails the Job on exit code 2 of container '{name}'")

    argv = list(field(container, "command")) + list(container.get("args", []))
    line = " ".join(argv)
    words = shlex.split(line)
    expect("imgfetch" in words, "the container's command does not run imgfetch")
    expect(" --shard auto" in line, "the command line lacks '--shard auto'")
    expect(f" --shards {completions}" in line,
           f"the command line lacks '--shards {completions}' (completions)")
    expect("$JOB_COMPLETION_INDEX" in line or "${JOB_COMPLETION_INDEX}" in line,
           "the command line does not name its files after $JOB_COMPLETION_INDEX")
    expect(not any(e.get("name") == "JOB_COMPLETION_INDEX" for e in container.get("env", [])),
           "the container sets JOB_COMPLETION_INDEX itself (Kubernetes sets it)")

    mounts = field(container, "volumeMounts")
    volumes = {v.get("name"): v for v in field(pod, "volumes")}
    claimed = [m for m in mounts
               if "persistentVolumeClaim" in volumes.get(m.get("name"), {}) and
               field(volumes[m["name"]], "persistentVolumeClaim.claimName")]
    expect(len(claimed) == 1, "expected one volume mount backed by a persistentVolumeClaim")
    mount = claimed[0]["mountPath"].rstrip("/")
    output = words[words.index("-o") + 1] if "-o" in words[:-1] else None
    expect(output is not None and output.startswith(mount + "/"),
           f"the output directory (-o) is not on the shared volume {mount}")
    print(f"k8s: manifest parses: Indexed Job, completions {completions}, parallelism "
          f"{parallelism}, --shard auto --shards {completions}, shared volume at {mount} "
          f"(claim {field(volumes[claimed[0]['name']], 'persistentVolumeClaim.claimName')}), "
          f"output {output}")
    return argv, completions, parallelism, mount


def run_pods(argv, completions, parallelism, mount, data, timeout):
    argv = [a.replace(mount + "/", data.rstrip("/") + "/") for a in argv]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SLURM_") and k != "JOB_COMPLETION_INDEX"}
    pending = list(range(completions))
    running = []
    while pending or running:
        while pending and len(running) < parallelism:
            index = pending.pop(0)
            pod_env = {**env, "JOB_COMPLETION_INDEX": str(index)}
            running.append((index, subprocess.Popen(argv, env=pod_env)))
        index, pod = running.pop(0)
        try:
            status = pod.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for _, other in running + [(index, pod)]:
                other.kill()
                other.wait()
            fail(f"pod {index} did not finish within {timeout} s")
        if status != 0:
            for _, other in running:
                other.wait()
            fail(f"pod {index} exited with {status}")
    print(f"k8s: the container's command ran as {completions} pods "
          f"(JOB_COMPLETION_INDEX 0..{completions - 1}, {parallelism} at a time), all exited 0")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest")
    parser.add_argument("--data", required=True)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    argv, completions, parallelism, mount = check_manifest(args.manifest)
    run_pods(argv, completions, parallelism, mount, args.data, args.timeout)


if __name__ == "__main__":
    main()
