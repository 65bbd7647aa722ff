{{/* The chart's name, or nameOverride. */}}
{{- define "kubegate-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The base name of the release's namespaced objects: <release>-kubegate-agent (the release name
alone when it already contains the chart's name). Two releases in one namespace differ by
release name, so their objects never collide.
*/}}
{{- define "kubegate-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The name of cluster-scoped objects: the namespace, a dot, the full name. Namespaces have no
dots, so two releases differing in namespace or in name never get the same name here.
*/}}
{{- define "kubegate-agent.clusterName" -}}
{{- printf "%s.%s" .Release.Namespace (include "kubegate-agent.fullname" .) }}
{{- end }}

{{- define "kubegate-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubegate-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kubegate-agent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kubegate-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.additionalLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "kubegate-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubegate-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create=false: name the existing ServiceAccount the agent runs as" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The Secret holding the agent token (key "token"), checking that exactly one source is given.
(`helm lint` turns `fail` into a note and goes on: the name after it keeps the lint clean.)
*/}}
{{- define "kubegate-agent.tokenSecretName" -}}
{{- if and .Values.config.token .Values.config.secretName }}
{{- fail "config.token and config.secretName are both set: give the token either inline (config.token) or through your own Secret (config.secretName), not both" }}
{{- end }}
{{- if not (or .Values.config.token .Values.config.secretName) }}
{{- fail "no agent token: set config.token=<the agent token> (kubegate agent register prints it), or config.secretName=<a Secret whose key \"token\" holds it>" }}
{{- end }}
{{- default (printf "%s-token" (include "kubegate-agent.fullname" .)) .Values.config.secretName }}
{{- end }}

{{- define "kubegate-agent.kasAddress" -}}
{{- $address := .Values.config.kasAddress }}
{{- if and (not $address) (not .Values.config.receptive.enabled) }}
{{- fail "config.kasAddress is required: the server's agent endpoint, e.g. wss://kubegate.example.com/-/kubernetes-agent/ (or set config.receptive.enabled=true for a receptive agent)" }}
{{- end }}
{{- if and $address (not (regexMatch "^wss?://" $address)) }}
{{- fail (printf "config.kasAddress must start with wss:// or ws://, not %q; e.g. wss://kubegate.example.com/-/kubernetes-agent/" $address) }}
{{- end }}
{{- $address }}
{{- end }}

{{- define "kubegate-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
