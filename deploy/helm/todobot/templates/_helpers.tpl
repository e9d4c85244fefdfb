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

{{/* repository:tag, repository@sha256:..., or repository:tag@sha256:... */}}
{{- define "todobot.image" -}}
{{- $img := .Values.image -}}
{{- if $img.digest -}}
{{- if $img.tag -}}
{{- printf "%s:%s@%s" $img.repository $img.tag $img.digest -}}
{{- else -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- end -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) -}}
{{- end -}}
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

{{/* RFC 3986 percent-encoding of a URL component: everything but A-Z a-z 0-9 - . _ ~ is escaped.
     urlquery (Go's QueryEscape) does exactly that except that it writes a space as "+"; a literal "+"
     comes out as "%2B", so every "+" left in its output is a space. */}}
{{- define "todobot.urlencode" -}}
{{- . | toString | urlquery | replace "+" "%20" -}}
{{- end -}}

{{/* The database URL the chart builds for the bundled PostgreSQL. */}}
{{- define "todobot.bundledDatabaseUrl" -}}
{{- $pg := .Values.postgresql -}}
{{- $password := required "postgresql.auth.password is required when the chart manages the Secret" $pg.auth.password -}}
{{- printf "postgres://%s:%s@%s:5432/%s" (include "todobot.urlencode" $pg.auth.username) (include "todobot.urlencode" $password) (include "todobot.postgresHost" .) (include "todobot.urlencode" $pg.auth.database) -}}
{{- end -}}

{{- define "todobot.databaseUrl" -}}
{{- if .Values.postgresql.enabled -}}
{{- include "todobot.bundledDatabaseUrl" . -}}
{{- else -}}
{{- required "secrets.databaseUrl (or secrets.existingSecret) is required with an external database" .Values.secrets.databaseUrl -}}
{{- end -}}
{{- end -}}

{{/* Pods a component can run at once: its HPA maximum (or fixed replicas) plus the rolling update's surge. */}}
{{- define "todobot.peakPods" -}}
{{- if .autoscaling.enabled -}}
{{- add (int .autoscaling.maxReplicas) 1 -}}
{{- else -}}
{{- add (int .replicaCount) 1 -}}
{{- end -}}
{{- end -}}

{{/* Connections one pod of a component may hold: its pool, or the migration init container's if larger. */}}
{{- define "todobot.podConnections" -}}
{{- $db := .root.Values.database -}}
{{- if .root.Values.migrations.initContainer.enabled -}}
{{- max (int .pool) (int $db.pool.migrate) -}}
{{- else -}}
{{- int .pool -}}
{{- end -}}
{{- end -}}

{{/* Checks across values that the JSON schema cannot express. Fails the render with a clear message. */}}
{{- define "todobot.validate" -}}
{{- $v := .Values -}}
{{- range $c := list "web" "mcp" -}}
{{- $comp := index $v $c -}}
{{- if and $comp.autoscaling.enabled (gt (int $comp.autoscaling.minReplicas) (int $comp.autoscaling.maxReplicas)) -}}
{{- fail (printf "%s.autoscaling.minReplicas (%d) must not exceed %s.autoscaling.maxReplicas (%d)" $c (int $comp.autoscaling.minReplicas) $c (int $comp.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- if $comp.pdb.enabled -}}
{{- $min := $comp.pdb.minAvailable -}}
{{- $maxU := $comp.pdb.maxUnavailable -}}
{{- if and (kindIs "invalid" $min) (kindIs "invalid" $maxU) -}}
{{- fail (printf "%s.pdb: set minAvailable or maxUnavailable" $c) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if ge (int $v.lifecycle.preStopSleepSeconds) (int $v.lifecycle.terminationGracePeriodSeconds) -}}
{{- fail (printf "lifecycle.preStopSleepSeconds (%d) must be less than lifecycle.terminationGracePeriodSeconds (%d): the grace period includes the sleep" (int $v.lifecycle.preStopSleepSeconds) (int $v.lifecycle.terminationGracePeriodSeconds)) -}}
{{- end -}}
{{- if not $v.secrets.existingSecret -}}
{{- $s := $v.secrets.betterAuthSecret | default "" -}}
{{- if and $s (lt (len $s) 32) -}}
{{- fail "secrets.betterAuthSecret must be at least 32 characters (todobot refuses shorter ones); generate one with: openssl rand -hex 32" -}}
{{- end -}}
{{- if and $s (eq $v.appEnv "production") -}}
{{- $lower := lower $s -}}
{{- range list "changeme" "change-me" "replace" "your-secret" "example" "secret-here" -}}
{{- if contains . $lower -}}
{{- fail (printf "secrets.betterAuthSecret looks like a placeholder (contains %q); appEnv=production needs a real secret: openssl rand -hex 32" .) -}}
{{- end -}}
{{- end -}}
{{- if lt (len (splitList "" $s | uniq)) 8 -}}
{{- fail "secrets.betterAuthSecret has fewer than 8 distinct characters; appEnv=production needs a real secret: openssl rand -hex 32" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $b := $v.networkPolicy.llmEgress.ipBlocks -}}
{{- range $e := ($b.except | default list) -}}
{{- if ne (contains ":" $b.cidr) (contains ":" $e) -}}
{{- fail (printf "networkPolicy.llmEgress.ipBlocks: except %s is not of the same address family as cidr %s" $e $b.cidr) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- include "todobot.validateBudget" . -}}
{{- end -}}

{{/* The connection budget: every pool at full scale must fit in the database's max_connections. */}}
{{- define "todobot.validateBudget" -}}
{{- $v := .Values -}}
{{- $db := $v.database -}}
{{- $webPods := include "todobot.peakPods" $v.web | int -}}
{{- $webConns := include "todobot.podConnections" (dict "root" . "pool" $db.pool.web) | int -}}
{{- $mcpPods := 0 -}}
{{- $mcpConns := 0 -}}
{{- if $v.mcp.enabled -}}
{{- $mcpPods = include "todobot.peakPods" $v.mcp | int -}}
{{- $mcpConns = include "todobot.podConnections" (dict "root" . "pool" $db.pool.mcp) | int -}}
{{- end -}}
{{- $job := ternary (int $db.pool.migrate) 0 $v.migrations.job.enabled -}}
{{- $total := add (mul $webPods $webConns) (mul $mcpPods $mcpConns) $job (int $db.reservedConnections) -}}
{{- if gt (int $total) (int $db.maxConnections) -}}
{{- fail (printf "database connection budget exceeded: at full scale todobot may hold %d connections (web %d pods x %d + mcp %d pods x %d + migration job %d + reserved %d; pods = max replicas + 1 rolling-update surge) but database.maxConnections is %d. Lower web/mcp autoscaling.maxReplicas or database.pool.*, or raise database.maxConnections to what the server allows (see docs/operations.md, Connection budget)." (int $total) $webPods $webConns $mcpPods $mcpConns $job (int $db.reservedConnections) (int $db.maxConnections)) -}}
{{- end -}}
{{- end -}}

{{/* Environment of a todobot container: config from the ConfigMap, secrets from the Secret, the
     component's pool, its own variables (`own`, YAML list items), then extraEnv (which may override).
     Arguments: root, pool, own, componentEnv. */}}
{{- define "todobot.env" -}}
{{- $root := .root -}}
envFrom:
  - configMapRef:
      name: {{ include "todobot.fullname" $root }}-config
  {{- with $root.Values.extraEnvFrom }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
env:
  - name: BETTER_AUTH_SECRET
    valueFrom:
      secretKeyRef:
        name: {{ include "todobot.secretName" $root }}
        key: BETTER_AUTH_SECRET
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "todobot.secretName" $root }}
        key: DATABASE_URL
  - name: DB_MAX_CONNECTIONS
    value: {{ .pool | int | quote }}
  {{- with .own }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- with $root.Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- with .componentEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* The migration init container of the web and MCP pods. */}}
{{- define "todobot.migrateInitContainer" -}}
{{- $root := .root -}}
initContainers:
  - name: migrate
    image: {{ include "todobot.image" $root | quote }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args: ["migrate"]
    {{- /* MIGRATE_WAIT_SECS comes from the ConfigMap */}}
    {{- include "todobot.env" (dict "root" $root "pool" $root.Values.database.pool.migrate) | nindent 4 }}
    resources:
      {{- toYaml $root.Values.migrations.resources | nindent 6 }}
    securityContext:
      {{- toYaml $root.Values.securityContext | nindent 6 }}
    {{- include "todobot.volumeMounts" . | nindent 4 }}
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

{{/* Ports of a todobot server container: the app and, separately, Prometheus metrics. */}}
{{- define "todobot.containerPorts" -}}
ports:
  - name: http
    containerPort: 8080
    protocol: TCP
  - name: metrics
    containerPort: {{ .Values.metrics.port }}
    protocol: TCP
{{- end -}}

{{/* Wait before SIGTERM so endpoints and ingress controllers stop routing to the pod first. */}}
{{- define "todobot.lifecycle" -}}
lifecycle:
  preStop:
    sleep:
      seconds: {{ .Values.lifecycle.preStopSleepSeconds }}
{{- end -}}

{{- define "todobot.podAnnotations" -}}
checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
checksum/secret: {{ include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum }}
{{- if .root.Values.metrics.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .root.Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- with .annotations }}
{{ toYaml . }}
{{- end }}
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
{{- $dns := .Values.networkPolicy.dns -}}
- to:
    - namespaceSelector:
        {{- toYaml $dns.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml $dns.podSelector | nindent 8 }}
    {{- range $dns.cidrs }}
    - ipBlock: {cidr: {{ . | quote }}}
    {{- end }}
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

{{/* Prometheus (the monitoring namespace) may reach the metrics port, and only that. */}}
{{- define "todobot.np.monitoring" -}}
{{- $mon := .Values.networkPolicy.monitoring -}}
- from:
    - namespaceSelector:
        {{- toYaml $mon.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml $mon.podSelector | nindent 8 }}
  ports:
    - {protocol: TCP, port: {{ .Values.metrics.port }}}
{{- end }}

{{/* PodDisruptionBudget of a component (minAvailable or maxUnavailable: integer or percentage). */}}
{{- define "todobot.pdb" -}}
{{- $root := .root -}}
{{- $pdb := (index $root.Values .component).pdb -}}
{{- if $pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "todobot.fullname" $root }}-{{ .component }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "todobot.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  {{- if not (kindIs "invalid" $pdb.maxUnavailable) }}
  maxUnavailable: {{ $pdb.maxUnavailable }}
  {{- else }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "todobot.selector" (dict "root" $root "component" .component) | nindent 6 }}
{{- end }}
{{- end -}}
