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
