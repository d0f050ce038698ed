#!/usr/bin/env python3
"""Print the schema facts of one of kubeflow spark-operator's CRDs, one field a line.

usage: extract.py CRD.yaml > FIELDS.txt

A line is `PATH TYPE [FACT...]`: PATH is dotted from the root of the object
(`spec.driver.cores`), `[]` stands for the items of an array and `{}` for the
values of a map. FACTs: `required`, `nullable`, `enum=A|B`, `format=F`, `min=N`, `max=N`,
`pattern=RE`, `preserve-unknown`, `int-or-string`, `default=JSON`. The subtrees of Kubernetes'
own types (core/v1, networking/v1) are not descended into: their schema is
Kubernetes', which kspark takes from k8s-openapi; only the root's type is
kept and marked `k8s`. The Rust test schema_matches_kubeflow extracts the same
facts from the CRD kspark generates and compares the two lists.
"""
import json
import sys

import yaml

# Field names whose Go type is a Kubernetes API type (sparkapplication_types.go and
# sparkconnect_types.go).
K8S_TYPED = {
    "affinity", "dnsConfig", "env", "envFrom", "hostAliases", "ingressTLS", "initContainers",
    "lifecycle", "podSecurityContext", "securityContext", "sidecars", "template", "tolerations",
    "volumeMounts", "volumes",
    # SparkConnect (api/v1alpha1/sparkconnect_types.go): a core/v1 Service and metav1 Conditions.
    "service", "conditions",
}


def facts(node, required):
    out = [node.get("type", "-")]
    if required:
        out.append("required")
    if node.get("nullable"):
        out.append("nullable")
    if "enum" in node:
        out.append("enum=" + "|".join(str(e) for e in node["enum"]))
    for key, name in (("format", "format"), ("minimum", "min"), ("maximum", "max"), ("pattern", "pattern")):
        if key in node:
            out.append(f"{name}={node[key]}")
    if node.get("x-kubernetes-preserve-unknown-fields"):
        out.append("preserve-unknown")
    if node.get("x-kubernetes-int-or-string"):
        out.append("int-or-string")
    if "default" in node:
        out.append("default=" + json.dumps(node["default"], separators=(",", ":")))
    return out


def walk(node, path, required, lines, k8s=False):
    line = facts(node, required)
    if k8s:
        line.append("k8s")
    lines.append(" ".join([path or "."] + line))
    if k8s:
        return
    req = set(node.get("required", []))
    for name, child in sorted(node.get("properties", {}).items()):
        child_path = f"{path}.{name}" if path else name
        # ScheduledSparkApplication's spec.template is kubeflow's SparkApplicationSpec.
        k8s_typed = name in K8S_TYPED and child_path != "spec.template"
        walk(child, child_path, name in req, lines, k8s_typed)
    if isinstance(node.get("items"), dict):
        walk(node["items"], path + "[]", False, lines)
    if isinstance(node.get("additionalProperties"), dict):
        walk(node["additionalProperties"], path + "{}", False, lines)


def main():
    with open(sys.argv[1]) as f:
        crd = yaml.safe_load(f)
    (version,) = crd["spec"]["versions"]
    lines = []
    walk(version["schema"]["openAPIV3Schema"], "", False, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
