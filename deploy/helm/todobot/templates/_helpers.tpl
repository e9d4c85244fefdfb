{{- define "todobot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "todobot.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "todobot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "todobot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: todobot
{{- end -}}

{{- define "todobot.selector" -}}
app.kubernetes.io/name: {{ include "todobot.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "todobot.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "todobot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "todobot.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "todobot.secretName" -}}
{{- default (printf "%s-secrets" (include "todobot.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "todobot.postgresHost" -}}
{{- printf "%s-postgresql" (include "todobot.fullname" .) -}}
{{- end -}}

{{/* The database URL the chart builds for the bundled PostgreSQL. */}}
{{- define "todobot.bundledDatabaseUrl" -}}
{{- $pg := .Values.postgresql -}}
{{- printf "postgres://%s:%s@%s:5432/%s" $pg.auth.username (required "postgresql.auth.password is required when the chart manages the Secret" $pg.auth.password | urlquery) (include "todobot.postgresHost" .) $pg.auth.database -}}
{{- end -}}

{{- define "todobot.databaseUrl" -}}
{{- if .Values.postgresql.enabled -}}
{{- include "todobot.bundledDatabaseUrl" . -}}
{{- else -}}
{{- required "secrets.databaseUrl (or secrets.existingSecret) is required with an external database" .Values.secrets.databaseUrl -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by every todobot container: config from the ConfigMap, secrets from the Secret. */}}
{{- define "todobot.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "todobot.fullname" . }}-config
env:
  - name: BETTER_AUTH_SECRET
    valueFrom:
      secretKeyRef:
        name: {{ include "todobot.secretName" . }}
        key: BETTER_AUTH_SECRET
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "todobot.secretName" . }}
        key: DATABASE_URL
{{- end -}}

{{- define "todobot.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 2
{{- end -}}

{{- define "todobot.volumes" -}}
volumes:
  - name: tmp
    emptyDir: {sizeLimit: 64Mi}
  - name: data
    emptyDir: {sizeLimit: 64Mi}
{{- end -}}

{{- define "todobot.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: data
    mountPath: /data
{{- end -}}

{{- define "todobot.np.dns" -}}
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end }}
{{- define "todobot.np.database" -}}
{{- if .Values.postgresql.enabled -}}
- to:
    - podSelector:
        matchLabels:
          {{- include "todobot.selector" (dict "root" . "component" "database") | nindent 10 }}
  ports:
    - {protocol: TCP, port: 5432}
{{- else -}}
- to:
    {{- range .Values.networkPolicy.databaseEgress.cidrs }}
    - ipBlock: {cidr: {{ . | quote }}}
    {{- end }}
  ports:
    - {protocol: TCP, port: {{ .Values.networkPolicy.databaseEgress.port }}}
{{- end }}
{{- end }}
