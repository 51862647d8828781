{{- define "chronik.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "chronik.headless" -}}
{{- printf "%s-headless" (include "chronik.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "chronik.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "chronik.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* More than one replica: the pods form one cluster. */}}
{{- define "chronik.clustered" -}}
{{- if gt (int .Values.replicaCount) 1 -}}true{{- end -}}
{{- end -}}

{{/* A pod's stable DNS name under the headless Service; "$(POD_NAME)" and "$(POD_NAMESPACE)" in the container env. */}}
{{- define "chronik.podHost" -}}
{{- printf "%s.%s.%s.svc.%s" .pod (include "chronik.headless" .root) .namespace .root.Values.clusterDomain -}}
{{- end -}}

{{/*
chronik.cluster.voters: every pod, node id = ordinal + 1, at its stable DNS name and quorum port. The namespace is
"$(POD_NAMESPACE)", expanded by the kubelet, so the list is right in whatever namespace the manifests are applied.
*/}}
{{- define "chronik.voters" -}}
{{- $root := . -}}
{{- $voters := list -}}
{{- range $ordinal := until (int .Values.replicaCount) -}}
{{- $pod := printf "%s-%d" (include "chronik.fullname" $root) $ordinal -}}
{{- $host := include "chronik.podHost" (dict "root" $root "pod" $pod "namespace" "$(POD_NAMESPACE)") -}}
{{- $voters = append $voters (printf "%d@%s:%d" (add1 $ordinal) $host (int $root.Values.quorumPort)) -}}
{{- end -}}
{{- join "," $voters -}}
{{- end -}}
