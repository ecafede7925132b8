{{/* Names, labels and the pieces every app pod shares. */}}

{{- define "blogroll.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* RELEASE-blogroll, or RELEASE alone when it already says blogroll; at most 63 characters less
room for the longest suffix used here ("-postgresql", "-migrate-NNNNN"). */}}
{{- define "blogroll.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "blogroll.selectorLabels" -}}
app.kubernetes.io/name: {{ include "blogroll.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "blogroll.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "blogroll.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: blogroll
{{- end -}}

{{/* Labels of one component: `include "blogroll.componentLabels" (list . "web")`. */}}
{{- define "blogroll.componentLabels" -}}
{{ include "blogroll.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "blogroll.componentSelector" -}}
{{ include "blogroll.selectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "blogroll.image" -}}
{{- $image := .Values.image -}}
{{- if $image.digest -}}
{{ $image.repository }}@{{ $image.digest }}
{{- else -}}
{{ $image.repository }}:{{ $image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "blogroll.postgresqlHost" -}}
{{ include "blogroll.fullname" . }}-postgresql
{{- end -}}

{{- define "blogroll.postgresqlSecret" -}}
{{- .Values.postgresql.auth.existingSecret | default (printf "%s-postgresql" (include "blogroll.fullname" .)) -}}
{{- end -}}

{{/* The pod security context of every Blogroll pod: the image's user (Dockerfile: 10001), which
also owns the mounted secret files through fsGroup. */}}
{{- define "blogroll.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Every container: the "restricted" Pod Security Standard and a read-only root filesystem. */}}
{{- define "blogroll.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Environment of the app containers: plain settings from the ConfigMap, and the paths of the
secret files; never a secret's value. */}}
{{- define "blogroll.appEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "blogroll.fullname" . }}-settings
{{- end -}}

{{- define "blogroll.appVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: database-secret
  mountPath: /run/secrets/blogroll
  readOnly: true
{{- end -}}

{{/* /tmp as compose.yaml's tmpfs (64 MiB, in memory); the database secret as files, readable by
the app's group only. */}}
{{- define "blogroll.appVolumes" -}}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
- name: database-secret
  secret:
    {{- if .Values.postgresql.enabled }}
    secretName: {{ include "blogroll.postgresqlSecret" . }}
    items:
      - key: password
        path: database-password
    {{- else }}
    secretName: {{ required "database.existingSecret: name the Secret holding the database URL (or set postgresql.enabled=true to try Blogroll out)" .Values.database.existingSecret }}
    items:
      - key: {{ .Values.database.urlKey }}
        path: database-url
      {{- with .Values.database.passwordKey }}
      - key: {{ . }}
        path: database-password
      {{- end }}
    {{- end }}
    defaultMode: 0440
{{- end -}}

{{/* What every app pod's spec shares. */}}
{{- define "blogroll.appPodSpec" -}}
serviceAccountName: {{ include "blogroll.fullname" . }}
automountServiceAccountToken: false
# No Docker-link variables for the release's Services: a Service named blogroll-web would add
# BLOGROLL_WEB_PORT=tcp://... and friends, names the app reads as its own settings.
enableServiceLinks: false
securityContext:
  {{- include "blogroll.podSecurityContext" . | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pod annotations that roll the pods when their settings change. */}}
{{- define "blogroll.settingsChecksum" -}}
checksum/settings: {{ include (print .Template.BasePath "/configmap-settings.yaml") . | sha256sum }}
{{- end -}}

{{/* Egress to DNS, used by every pod that looks names up. */}}
{{- define "blogroll.dnsEgress" -}}
- to:
    {{- toYaml .Values.networkPolicy.dnsPeers | nindent 4 }}
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end -}}

{{- define "blogroll.databaseEgress" -}}
- ports:
    - {protocol: TCP, port: {{ .Values.postgresql.enabled | ternary 5432 .Values.database.port }}}
  {{- if .Values.postgresql.enabled }}
  to:
    - podSelector:
        matchLabels:
          {{- include "blogroll.componentSelector" (list . "postgresql") | nindent 10 }}
  {{- else if .Values.database.networkPolicyPeers }}
  to:
    {{- toYaml .Values.database.networkPolicyPeers | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* The internet, without the private ranges: web's feed discovery and the worker's fetches. */}}
{{- define "blogroll.internetEgress" -}}
{{- $v4 := list -}}
{{- $v6 := list -}}
{{- range concat .Values.networkPolicy.deniedCidrs .Values.networkPolicy.deniedCidrsV6 (.Values.networkPolicy.extraDeniedCidrs | default list) -}}
{{- if contains ":" . }}{{ $v6 = append $v6 . }}{{ else }}{{ $v4 = append $v4 . }}{{ end -}}
{{- end -}}
- to:
    - ipBlock:
        cidr: 0.0.0.0/0
        {{- with $v4 }}
        except:
          {{- range . }}
          - {{ . | quote }}
          {{- end }}
        {{- end }}
    - ipBlock:
        cidr: ::/0
        {{- with $v6 }}
        except:
          {{- range . }}
          - {{ . | quote }}
          {{- end }}
        {{- end }}
{{- end -}}
