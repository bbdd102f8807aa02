/*
 * kubeconfig — reading kubeconfig files (see kubeconfig.h).
 *
 * Each file is loaded whole as a libyaml document and kept until the
 * selection is done, so merging is just a lookup in file order: the first
 * file that defines a context, cluster or user of a given name wins, and
 * relative paths resolve against the directory of the file whose entry
 * is used (client-go does the same).  Nothing is written anywhere: the
 * base64 *-data fields are decoded into memory.
 *
 * Error messages name the file(s) and the missing thing; they never
 * contain a value of token, password or key data.
 */
#include "config.h"

#include "kubeconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "xmalloc.h"

#define KC_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KC_FILES_MAX 32
/* A kubeconfig with every certificate inline is tens of KiB; a merged
 * one a few hundred.  Larger is a mistake or an attack on the parser. */
#define KC_FILE_MAX (4 * 1024 * 1024)

struct kc_file {
	char *path;
	char *dir;
	yaml_document_t doc;
};

struct kc_set {
	struct kc_file files[KC_FILES_MAX];
	int n;
	char *names;		/* "a:b" for messages */
};

/* --- base64 --------------------------------------------------------------- */

static int
kc_b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

char *
kubeconfig_base64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(n / 4 * 3 + 4);
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	for (const char *p = s; *p != '\0'; p++) {
		int v;

		if (isspace((unsigned char)*p))
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		v = kc_b64_value((unsigned char)*p);
		if (v < 0 || pad > 0) {
			xfree_secret(out, o);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (bits >= 6 || pad > 2) {
		xfree_secret(out, o);
		return NULL;
	}
	out[o] = '\0';
	if (len != NULL)
		*len = o;
	return out;
}

char *
kubeconfig_base64_encode(const void *data, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *d = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *w = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 |
			     d[i + 2];

		*w++ = tab[v >> 18];
		*w++ = tab[(v >> 12) & 63];
		*w++ = tab[(v >> 6) & 63];
		*w++ = tab[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)d[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)d[i + 1] << 8;
		*w++ = tab[v >> 18];
		*w++ = tab[(v >> 12) & 63];
		*w++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*w++ = '=';
	}
	*w = '\0';
	return out;
}

/* --- YAML helpers ------------------------------------------------------- */

static yaml_node_t *
kc_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(d, pair->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, pair->value);
	}
	return NULL;
}

/* A scalar's text; NULL for absent, null or non-scalar values. */
static const char *
kc_str(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = kc_get(d, map, key);
	const char *s;

	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	s = (const char *)n->data.scalar.value;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (strcmp(s, "null") == 0 || strcmp(s, "~") == 0 || *s == '\0'))
		return NULL;
	return s;
}

static bool
kc_bool(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	const char *s = kc_str(d, map, key);

	return s != NULL && (strcasecmp(s, "true") == 0 ||
			     strcasecmp(s, "yes") == 0 ||
			     strcasecmp(s, "on") == 0);
}

static yaml_node_t *
kc_root(struct kc_file *f)
{
	return yaml_document_get_root_node(&f->doc);
}

/*
 * In the sequence `list` (clusters, users, contexts) of file f, the inner
 * mapping `inner` of the entry called `name`, or NULL.
 */
static yaml_node_t *
kc_named(struct kc_file *f, const char *list, const char *name,
	 const char *inner)
{
	yaml_node_t *seq = kc_get(&f->doc, kc_root(f), list);
	yaml_node_item_t *it;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(&f->doc, *it);
		const char *n = kc_str(&f->doc, e, "name");

		if (n != NULL && strcmp(n, name) == 0) {
			yaml_node_t *m = kc_get(&f->doc, e, inner);

			/* "user: {}" or an entry with nothing in it. */
			if (m == NULL || m->type != YAML_MAPPING_NODE)
				return e;
			return m;
		}
	}
	return NULL;
}

/* First file (in order) with an entry `name` in `list`. */
static yaml_node_t *
kc_find(struct kc_set *s, const char *list, const char *name,
	const char *inner, struct kc_file **where)
{
	for (int i = 0; i < s->n; i++) {
		yaml_node_t *m = kc_named(&s->files[i], list, name, inner);

		if (m != NULL) {
			*where = &s->files[i];
			return m;
		}
	}
	return NULL;
}

/* "a, b, c" — the names defined in `list` over all files, first wins. */
static void
kc_names(struct kc_set *s, const char *list, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < s->n; i++) {
		struct kc_file *f = &s->files[i];
		yaml_node_t *seq = kc_get(&f->doc, kc_root(f), list);
		yaml_node_item_t *it;

		if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
			continue;
		for (it = seq->data.sequence.items.start;
		     it < seq->data.sequence.items.top; it++) {
			const char *n = kc_str(&f->doc,
					       yaml_document_get_node(&f->doc,
								      *it),
					       "name");
			bool dup = false;

			if (n == NULL)
				continue;
			for (int j = 0; j < i && !dup; j++)
				dup = kc_named(&s->files[j], list, n, "") !=
				      NULL;
			if (dup)
				continue;
			if (o + strlen(n) + 3 >= len)
				return;
			o += (size_t)snprintf(out + o, len - o, "%s%s",
					      o > 0 ? ", " : "", n);
		}
	}
	if (o == 0)
		snprintf(out, len, "none");
}

/* --- files ---------------------------------------------------------------- */

static void
kc_set_done(struct kc_set *s)
{
	for (int i = 0; i < s->n; i++) {
		yaml_document_delete(&s->files[i].doc);
		free(s->files[i].path);
		free(s->files[i].dir);
	}
	s->n = 0;
	free(s->names);
	s->names = NULL;
}

static char *
kc_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	char cwd[4096];

	if (slash == path)
		return xstrdup("/");
	if (slash != NULL)
		return xstrndup(path, (size_t)(slash - path));
	if (getcwd(cwd, sizeof(cwd)) != NULL)
		return xstrdup(cwd);
	return xstrdup(".");
}

static int
kc_read(struct kc_set *s, const char *path, struct err *e)
{
	struct kc_file *f;
	yaml_parser_t parser;
	FILE *fp;
	yaml_node_t *root;
	struct stat sb;

	if (s->n == KC_FILES_MAX)
		return err_set(e, "too many kubeconfig files (max %d)",
			       KC_FILES_MAX);
	fp = fopen(path, "r");
	if (fp == NULL)
		return err_set(e, "cannot read kubeconfig %s: %s", path,
			       strerror(errno));
	if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size > KC_FILE_MAX) {
		fclose(fp);
		return err_set(e, "kubeconfig %s is larger than %d bytes", path,
			       KC_FILE_MAX);
	}
	f = &s->files[s->n];
	memset(f, 0, sizeof(*f));
	if (!yaml_parser_initialize(&parser)) {
		fclose(fp);
		return err_set(e, "%s: cannot initialise the YAML parser",
			       path);
	}
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &f->doc)) {
		err_set_at(e, path, (int)parser.problem_mark.line + 1,
			   (int)parser.problem_mark.column + 1, "%s",
			   parser.problem ? parser.problem :
					    "invalid YAML");
		yaml_parser_delete(&parser);
		fclose(fp);
		return -1;
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	root = yaml_document_get_root_node(&f->doc);
	if (root != NULL && root->type != YAML_MAPPING_NODE) {
		err_set_at(e, path, (int)root->start_mark.line + 1,
			   (int)root->start_mark.column + 1,
			   "a kubeconfig is a mapping (apiVersion, clusters, "
			   "users, contexts)");
		yaml_document_delete(&f->doc);
		return -1;
	}
	f->path = xstrdup(path);
	f->dir = kc_dirname(path);
	s->n++;
	if (s->names == NULL) {
		s->names = xstrdup(path);
	} else {
		char *n = xasprintf("%s:%s", s->names, path);

		free(s->names);
		s->names = n;
	}
	return 0;
}

static bool
kc_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* A path from file f: absolute stays, relative joins f's directory. */
static char *
kc_path(const struct kc_file *f, const char *p)
{
	if (p == NULL)
		return NULL;
	if (p[0] == '/')
		return xstrdup(p);
	return xasprintf("%s/%s", f->dir, p);
}

/* Read a small text file whole (NUL-terminated); NULL + errno on error. */
static char *
kc_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (fp == NULL)
		return NULL;
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n - 1, fp);
		n += got;
		if (got == 0)
			break;
	}
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/* --- selection ------------------------------------------------------------ */

static int
kc_data(struct kc_file *f, yaml_node_t *m, const char *key, char **out,
	size_t *len, struct err *e)
{
	const char *s = kc_str(&f->doc, m, key);

	if (s == NULL)
		return 0;
	*out = kubeconfig_base64_decode(s, len);
	if (*out == NULL) {
		yaml_node_t *n = kc_get(&f->doc, m, key);

		return err_set_at(e, f->path, (int)n->start_mark.line + 1,
				  (int)n->start_mark.column + 1,
				  "%s is not valid base64", key);
	}
	return 0;
}

static int
kc_exec(struct kubeconfig *kc, struct kc_file *f, yaml_node_t *x,
	struct err *e)
{
	struct kubeconfig_exec *ex = &kc->exec;
	yaml_document_t *d = &f->doc;
	const char *v = kc_str(d, x, "apiVersion");
	const char *cmd = kc_str(d, x, "command");
	yaml_node_t *seq;
	int line = (int)x->start_mark.line + 1;

	if (v == NULL)
		return err_set_at(e, f->path, line, 1, "user '%s': exec needs "
				  "an apiVersion (%s)", kc->user_name,
				  KUBECONFIG_EXEC_V1);
	if (strcmp(v, KUBECONFIG_EXEC_V1) != 0 &&
	    strcmp(v, KUBECONFIG_EXEC_V1BETA1) != 0)
		return err_set_at(e, f->path, line, 1, "user '%s': exec "
				  "apiVersion %s is not supported (use %s or "
				  "%s)", kc->user_name, v, KUBECONFIG_EXEC_V1,
				  KUBECONFIG_EXEC_V1BETA1);
	if (cmd == NULL)
		return err_set_at(e, f->path, line, 1,
				  "user '%s': exec needs a command",
				  kc->user_name);
	kc->has_exec = true;
	ex->api_version = xstrdup(v);
	/* Like kubectl: a relative path with a '/' is the kubeconfig's. */
	if (cmd[0] != '/' && strchr(cmd, '/') != NULL)
		ex->command = kc_path(f, cmd);
	else
		ex->command = xstrdup(cmd);
	ex->args = xcalloc(1, sizeof(char *));
	seq = kc_get(d, x, "args");
	if (seq != NULL && seq->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		for (it = seq->data.sequence.items.start;
		     it < seq->data.sequence.items.top; it++) {
			yaml_node_t *a = yaml_document_get_node(d, *it);

			if (a == NULL || a->type != YAML_SCALAR_NODE)
				continue;
			ex->args = xreallocarray(ex->args,
						 (size_t)ex->nargs + 2,
						 sizeof(char *));
			ex->args[ex->nargs++] =
				xstrdup((char *)a->data.scalar.value);
			ex->args[ex->nargs] = NULL;
		}
	}
	ex->env = xcalloc(1, sizeof(char *));
	seq = kc_get(d, x, "env");
	if (seq != NULL && seq->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		for (it = seq->data.sequence.items.start;
		     it < seq->data.sequence.items.top; it++) {
			yaml_node_t *m = yaml_document_get_node(d, *it);
			const char *n = kc_str(d, m, "name");
			const char *val = kc_str(d, m, "value");

			if (n == NULL)
				return err_set_at(e, f->path,
						  (int)m->start_mark.line + 1,
						  (int)m->start_mark.column + 1,
						  "user '%s': exec env entry "
						  "without a name",
						  kc->user_name);
			ex->env = xreallocarray(ex->env, (size_t)ex->nenv + 2,
						sizeof(char *));
			ex->env[ex->nenv++] = xasprintf("%s=%s", n,
							val ? val : "");
			ex->env[ex->nenv] = NULL;
		}
	}
	if (kc_str(d, x, "installHint") != NULL)
		ex->install_hint = xstrdup(kc_str(d, x, "installHint"));
	v = kc_str(d, x, "interactiveMode");
	if (v != NULL && strcmp(v, "Never") != 0 &&
	    strcmp(v, "IfAvailable") != 0 && strcmp(v, "Always") != 0)
		return err_set_at(e, f->path, line, 1, "user '%s': exec "
				  "interactiveMode must be Never, IfAvailable "
				  "or Always, not '%s'", kc->user_name, v);
	ex->interactive_mode = xstrdup(v != NULL ? v : "IfAvailable");
	ex->provide_cluster_info = kc_bool(d, x, "provideClusterInfo");
	return 0;
}

static int
kc_user(struct kubeconfig *kc, struct kc_file *f, yaml_node_t *u,
	struct err *e)
{
	yaml_document_t *d = &f->doc;
	yaml_node_t *x;
	const char *s;

	if ((s = kc_str(d, u, "token")) != NULL)
		kc->token = xstrdup(s);
	kc->token_file = kc_path(f, kc_str(d, u, "tokenFile"));
	kc->cert_file = kc_path(f, kc_str(d, u, "client-certificate"));
	kc->key_file = kc_path(f, kc_str(d, u, "client-key"));
	if (kc_data(f, u, "client-certificate-data", &kc->cert_data,
		    &kc->cert_data_len, e) != 0 ||
	    kc_data(f, u, "client-key-data", &kc->key_data,
		    &kc->key_data_len, e) != 0)
		return -1;
	if ((s = kc_str(d, u, "username")) != NULL)
		kc->username = xstrdup(s);
	if ((s = kc_str(d, u, "password")) != NULL)
		kc->password = xstrdup(s);
	x = kc_get(d, u, "auth-provider");
	if (x != NULL && x->type == YAML_MAPPING_NODE) {
		s = kc_str(d, x, "name");
		return err_set_at(e, f->path, (int)x->start_mark.line + 1,
				  (int)x->start_mark.column + 1,
				  "user '%s': auth-provider '%s' is not "
				  "supported (client-go removed it too); use "
				  "an exec plugin such as "
				  "gke-gcloud-auth-plugin or kubelogin",
				  kc->user_name, s ? s : "?");
	}
	x = kc_get(d, u, "exec");
	if (x != NULL && x->type == YAML_MAPPING_NODE &&
	    kc_exec(kc, f, x, e) != 0)
		return -1;
	if ((kc->cert_file || kc->cert_data) &&
	    !(kc->key_file || kc->key_data))
		return err_set(e, "user '%s' in %s has a client certificate "
			       "but no client key", kc->user_name, f->path);
	return 0;
}

static int
kc_cluster(struct kubeconfig *kc, struct kc_file *f, yaml_node_t *c,
	   struct err *e)
{
	yaml_document_t *d = &f->doc;
	const char *s = kc_str(d, c, "server");
	size_t n;

	if (s == NULL)
		return err_set(e, "cluster '%s' in %s has no server",
			       kc->cluster_name, f->path);
	kc->server = xstrdup(s);
	n = strlen(kc->server);
	while (n > 0 && kc->server[n - 1] == '/')
		kc->server[--n] = '\0';
	if (strncmp(kc->server, "https://", 8) != 0 &&
	    strncmp(kc->server, "http://", 7) != 0)
		return err_set(e, "cluster '%s' in %s: server '%s' is not an "
			       "http(s) URL", kc->cluster_name, f->path,
			       kc->server);
	kc->ca_file = kc_path(f, kc_str(d, c, "certificate-authority"));
	if (kc_data(f, c, "certificate-authority-data", &kc->ca_data,
		    &kc->ca_data_len, e) != 0)
		return -1;
	kc->insecure = kc_bool(d, c, "insecure-skip-tls-verify");
	if ((s = kc_str(d, c, "tls-server-name")) != NULL)
		kc->tls_server_name = xstrdup(s);
	return 0;
}

static int
kc_select(struct kubeconfig *kc, struct kc_set *s, const char *context,
	  struct err *e)
{
	struct kc_file *cf = NULL, *uf = NULL, *xf = NULL;
	yaml_node_t *ctx, *cl, *us;
	const char *name = context, *cluster, *user, *ns;
	char have[256];

	if (name == NULL || *name == '\0') {
		for (int i = 0; i < s->n && name == NULL; i++)
			name = kc_str(&s->files[i].doc, kc_root(&s->files[i]),
				      "current-context");
		if (name == NULL) {
			kc_names(s, "contexts", have, sizeof(have));
			return err_set(e, "no current-context in %s and no "
				       "context chosen (have: %s)", s->names,
				       have);
		}
	}
	ctx = kc_find(s, "contexts", name, "context", &xf);
	if (ctx == NULL) {
		kc_names(s, "contexts", have, sizeof(have));
		return err_set(e, "context '%s' not found in %s (have: %s)",
			       name, s->names, have);
	}
	kc->context = xstrdup(name);
	cluster = kc_str(&xf->doc, ctx, "cluster");
	user = kc_str(&xf->doc, ctx, "user");
	ns = kc_str(&xf->doc, ctx, "namespace");
	if (ns != NULL)
		kc->namespace = xstrdup(ns);
	if (cluster == NULL)
		return err_set(e, "context '%s' in %s names no cluster", name,
			       xf->path);
	kc->cluster_name = xstrdup(cluster);
	cl = kc_find(s, "clusters", cluster, "cluster", &cf);
	if (cl == NULL) {
		kc_names(s, "clusters", have, sizeof(have));
		return err_set(e, "cluster '%s' (of context '%s') not found "
			       "in %s (have: %s)", cluster, name, s->names,
			       have);
	}
	if (kc_cluster(kc, cf, cl, e) != 0)
		return -1;
	if (user == NULL)
		return 0;
	kc->user_name = xstrdup(user);
	us = kc_find(s, "users", user, "user", &uf);
	if (us == NULL) {
		kc_names(s, "users", have, sizeof(have));
		return err_set(e, "user '%s' (of context '%s') not found in "
			       "%s (have: %s)", user, name, s->names, have);
	}
	return kc_user(kc, uf, us, e);
}

/* --- in-cluster ------------------------------------------------------------ */

static int
kc_in_cluster(struct kubeconfig *kc, struct err *e)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("CUTOVER_SA_DIR");
	char *p, *ns;

	if (port == NULL || *port == '\0')
		port = getenv("KUBERNETES_SERVICE_PORT_HTTPS");
	if (dir == NULL || *dir == '\0')
		dir = KC_SA_DIR;
	kc->in_cluster = true;
	kc->source = xstrdup("in-cluster");
	kc->context = xstrdup("in-cluster");
	kc->cluster_name = xstrdup("in-cluster");
	if (strchr(host, ':') != NULL)
		kc->server = xasprintf("https://[%s]:%s", host, port);
	else
		kc->server = xasprintf("https://%s:%s", host, port);
	kc->token_file = xasprintf("%s/token", dir);
	if (access(kc->token_file, R_OK) != 0)
		return err_set(e, "in-cluster: cannot read the service account "
			       "token %s: %s", kc->token_file,
			       strerror(errno));
	p = xasprintf("%s/ca.crt", dir);
	if (kc_exists(p))
		kc->ca_file = p;
	else
		free(p);
	p = xasprintf("%s/namespace", dir);
	ns = kc_slurp(p, NULL);
	free(p);
	if (ns != NULL) {
		size_t n = strlen(ns);

		while (n > 0 && isspace((unsigned char)ns[n - 1]))
			ns[--n] = '\0';
		if (n > 0)
			kc->namespace = ns;
		else
			free(ns);
	}
	return 0;
}

/* --- loading --------------------------------------------------------------- */

int
kubeconfig_load(struct kubeconfig *kc, const char *explicit_path,
		const char *context, struct err *e)
{
	struct kc_set s;
	const char *env = getenv("KUBECONFIG");
	const char *home = getenv("HOME");
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char *def = NULL;
	int rc = -1;

	memset(kc, 0, sizeof(*kc));
	memset(&s, 0, sizeof(s));
	if (explicit_path != NULL && *explicit_path != '\0') {
		if (kc_read(&s, explicit_path, e) != 0)
			goto out;
	} else if (env != NULL && *env != '\0') {
		char *list = xstrdup(env), *save = NULL, *tok;

		/* Files that do not exist are skipped, as kubectl does. */
		for (tok = strtok_r(list, ":", &save); tok != NULL;
		     tok = strtok_r(NULL, ":", &save)) {
			if (!kc_exists(tok))
				continue;
			if (kc_read(&s, tok, e) != 0) {
				free(list);
				goto out;
			}
		}
		free(list);
		if (s.n == 0) {
			err_set(e, "none of the files in $KUBECONFIG exist "
				"(%s)", env);
			goto out;
		}
	} else {
		if (home != NULL && *home != '\0')
			def = xasprintf("%s/.kube/config", home);
		if (def != NULL && kc_exists(def)) {
			if (kc_read(&s, def, e) != 0)
				goto out;
		} else if (host != NULL && *host != '\0' && port != NULL &&
			   *port != '\0') {
			rc = kc_in_cluster(kc, e);
			goto out;
		} else {
			err_set(e, "no kubeconfig: kubernetes.kubeconfig not "
				"set, $KUBECONFIG not set, %s does not exist, "
				"and not running in a cluster",
				def ? def : "~/.kube/config");
			goto out;
		}
	}
	kc->source = xstrdup(s.names);
	rc = kc_select(kc, &s, context, e);
out:
	free(def);
	kc_set_done(&s);
	if (rc != 0)
		kubeconfig_done(kc);
	return rc;
}

void
kubeconfig_done(struct kubeconfig *kc)
{
	struct kubeconfig_exec *ex = &kc->exec;

	free(kc->source);
	free(kc->context);
	free(kc->cluster_name);
	free(kc->user_name);
	free(kc->namespace);
	free(kc->server);
	free(kc->ca_file);
	free(kc->ca_data);
	free(kc->tls_server_name);
	xfree_secret_str(kc->token);
	free(kc->token_file);
	free(kc->cert_file);
	free(kc->key_file);
	xfree_secret(kc->cert_data, kc->cert_data_len);
	xfree_secret(kc->key_data, kc->key_data_len);
	free(kc->username);
	xfree_secret_str(kc->password);
	free(ex->api_version);
	free(ex->command);
	for (int i = 0; i < ex->nargs; i++)
		free(ex->args[i]);
	free(ex->args);
	for (int i = 0; i < ex->nenv; i++)
		xfree_secret_str(ex->env[i]);
	free(ex->env);
	free(ex->install_hint);
	free(ex->interactive_mode);
	memset(kc, 0, sizeof(*kc));
}
