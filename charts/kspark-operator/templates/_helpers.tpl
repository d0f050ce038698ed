{{/*
Names and labels are the ones `kspark operator install` uses, so that the two
ways of installing give the same objects (and one can replace the other).
The objects' names are fixed: the CRDs and the ClusterRole are cluster-wide,
so one release per cluster.
*/}}
{{- define "kspark-operator.name" -}}
kspark-operator
{{- end }}

{{- define "kspark-operator.labels" -}}
app.kubernetes.io/managed-by: kspark
app.kubernetes.io/name: {{ include "kspark-operator.name" . }}
{{- end }}

{{- define "kspark-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kspark-operator.name" . }}
{{- end }}

{{- define "kspark-operator.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- /* What the operator may do in the namespaces it watches (rules.rs says why). */ -}}
{{- define "kspark-operator.operatorRules" -}}
- apiGroups: [sparkoperator.k8s.io]
  resources: [sparkapplications, scheduledsparkapplications]
  verbs: [get, list, watch, delete]
- apiGroups: [sparkoperator.k8s.io]
  resources: [sparkapplications/status, scheduledsparkapplications/status]
  verbs: [get, update, patch]
- apiGroups: [sparkoperator.k8s.io]
  resources: [sparkapplications]
  verbs: [create]
- apiGroups: [sparkoperator.k8s.io]
  resources: [sparkapplications/finalizers, scheduledsparkapplications/finalizers]
  verbs: [update]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, create, delete]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
- apiGroups: [""]
  resources: [services, configmaps, persistentvolumeclaims]
  verbs: [get, create, patch]
- apiGroups: [sparkoperator.k8s.io]
  resources: [sparkconnects]
  verbs: [get, list, watch]
- apiGroups: [sparkoperator.k8s.io]
  resources: [sparkconnects/status]
  verbs: [get, update, patch]
- apiGroups: [sparkoperator.k8s.io]
  resources: [sparkconnects/finalizers]
  verbs: [update]
- apiGroups: [""]
  resources: [services, configmaps]
  verbs: [list, watch, update]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies, ingresses]
  verbs: [get, create, patch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [httproutes]
  verbs: [get, create, patch]
- apiGroups: [""]
  resources: [resourcequotas, limitranges, serviceaccounts]
  verbs: [list, watch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [scheduling.volcano.sh]
  resources: [podgroups]
  verbs: [get, create, patch, delete]
- apiGroups: [scheduling.x-k8s.io]
  resources: [podgroups]
  verbs: [get, create, patch, delete]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [create, list, watch, patch, delete]
{{- end }}
