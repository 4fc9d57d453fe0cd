{{/*
Chart name, truncated to the 63 characters DNS labels allow.
*/}}
{{- define "bulwark.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or just <release> when the release name already contains the chart name.
*/}}
{{- define "bulwark.fullname" -}}
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

{{- define "bulwark.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Standard labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/)
without a component; "bulwark.labels" adds component "api", the migration Job and test pod
their own, so their pods never match the Service, PDB or Deployment selector.
*/}}
{{- define "bulwark.commonLabels" -}}
helm.sh/chart: {{ include "bulwark.chart" . }}
app.kubernetes.io/name: {{ include "bulwark.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: bulwark
{{- end }}

{{- define "bulwark.labels" -}}
{{ include "bulwark.commonLabels" . }}
app.kubernetes.io/component: api
{{- end }}

{{/*
Selector labels of the app pods: immutable on a Deployment, so nothing that changes between releases.
*/}}
{{- define "bulwark.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bulwark.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end }}

{{- define "bulwark.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bulwark.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "bulwark.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Name of the Secret holding DATABASE_URL, REDIS_URL, JWT_SECRET, JWT_PREVIOUS_SECRETS and SMTP_URL.
*/}}
{{- define "bulwark.secretName" -}}
{{- .Values.existingSecret | default (include "bulwark.fullname" .) }}
{{- end }}

{{/*
The app's environment as a map: `config` plus PORT, which must agree with containerPort.
Shared by the ConfigMap (app pods) and the migration Job (which runs before the ConfigMap exists).
*/}}
{{- define "bulwark.configData" -}}
{{- $data := dict "PORT" (toString .Values.containerPort) }}
{{- range $key, $value := .Values.config }}
{{- $_ := set $data $key (toString $value) }}
{{- end }}
{{- $redis := .Values.redis }}
{{- $_ := set $data "REDIS_SENTINELS" (ternary (join "," $redis.sentinel.hosts) "" (eq $redis.mode "sentinel")) }}
{{- $_ := set $data "REDIS_SENTINEL_NAME" (ternary $redis.sentinel.name "" (eq $redis.mode "sentinel")) }}
{{- $_ := set $data "REDIS_CLUSTER_NODES" (ternary (join "," $redis.cluster.nodes) "" (eq $redis.mode "cluster")) }}
{{- $_ := set $data "REDIS_CLUSTER_PUBSUB" (toString $redis.cluster.pubsub) }}
{{- $_ := set $data "REDIS_USERNAME" (toString $redis.username) }}
{{- toYaml $data }}
{{- end }}

{{/*
Checks the Redis topology values: one topology only (the app refuses two at start).
*/}}
{{- define "bulwark.redisCheck" -}}
{{- $redis := .Values.redis }}
{{- if and (ne $redis.mode "standalone") .Values.secrets.REDIS_URL }}
{{- fail (printf "redis.mode is %s but secrets.REDIS_URL is set: set exactly one Redis topology" $redis.mode) }}
{{- end }}
{{- if and (eq $redis.mode "sentinel") (or (empty $redis.sentinel.hosts) (empty $redis.sentinel.name)) }}
{{- fail "redis.mode sentinel needs redis.sentinel.hosts and redis.sentinel.name" }}
{{- end }}
{{- if and (eq $redis.mode "cluster") (empty $redis.cluster.nodes) }}
{{- fail "redis.mode cluster needs redis.cluster.nodes" }}
{{- end }}
{{- end }}

{{/*
REDIS_PASSWORD from redis.passwordSecret (an env entry wins over envFrom).
*/}}
{{- define "bulwark.redisPasswordEnv" -}}
{{- with .Values.redis.passwordSecret.name }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.redis.passwordSecret.key }}
{{- end }}
{{- end }}

{{/*
HTTP or HTTPS for probes and scraping: HTTPS when the app serves TLS itself.
*/}}
{{- define "bulwark.scheme" -}}
{{- if .Values.config.TLS_CERT_FILE }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{/*
Milliseconds (string or number) to whole seconds, rounded up.
*/}}
{{- define "bulwark.msToSeconds" -}}
{{- $ms := int64 (toString .) }}
{{- div (add $ms 999) 1000 }}
{{- end }}

{{/*
terminationGracePeriodSeconds: must outlast preStop sleep + drain + grace, or the kubelet
SIGKILLs the pod while it still finishes requests. Derived (+10 s margin) unless set; a value
that is too small fails the render instead of silently cutting shutdown short.
*/}}
{{- define "bulwark.terminationGracePeriodSeconds" -}}
{{- $drain := include "bulwark.msToSeconds" .Values.config.SHUTDOWN_DRAIN_MS | int64 }}
{{- $grace := include "bulwark.msToSeconds" .Values.config.SHUTDOWN_GRACE_MS | int64 }}
{{- $needed := add (int64 .Values.preStopSleepSeconds) $drain $grace }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $needed 10 }}
{{- else if le (int64 .Values.terminationGracePeriodSeconds) $needed }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be larger than preStopSleepSeconds + SHUTDOWN_DRAIN_MS + SHUTDOWN_GRACE_MS (%d s)" .Values.terminationGracePeriodSeconds $needed) }}
{{- else }}
{{- int64 .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/*
Data of the chart-managed Secret (only used when existingSecret is empty).
*/}}
{{- define "bulwark.secretData" -}}
{{- $data := dict }}
{{- range $key := list "DATABASE_URL" "REDIS_URL" "REDIS_PASSWORD" "JWT_SECRET" "JWT_PREVIOUS_SECRETS" "SMTP_URL" }}
{{- $_ := set $data $key (index $.Values.secrets $key | default "" | toString) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/*
Shared pod-level settings of the app pods and the migration Job.
*/}}
{{- define "bulwark.podSecurity" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Writable scratch space: the root filesystem is read-only.
*/}}
{{- define "bulwark.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
- name: data
  emptyDir:
    sizeLimit: {{ .Values.dataVolume.sizeLimit }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "bulwark.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /app/.data
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}
