/*
 * kubeconfig — where the Kubernetes API is and how to authenticate to it.
 *
 * kubeconfig_load() resolves, in order: an explicit file (the plan's
 * kubernetes.kubeconfig), else $KUBECONFIG (several files separated by ':',
 * merged: the first file that defines a name wins, current-context comes
 * from the first file that has one), else ~/.kube/config, else the
 * in-cluster service account (KUBERNETES_SERVICE_HOST/PORT and
 * /var/run/secrets/kubernetes.io/serviceaccount, or $CUTOVER_SA_DIR).
 *
 * Invariants after a successful load: `server` is set; file paths are
 * absolute or relative to the working directory (relative paths in a
 * kubeconfig are resolved against that kubeconfig's directory); the
 * *-data fields are decoded PEM held in memory only, never written to a
 * file.  Secrets (token, password, key data) never appear in an error.
 */
#ifndef CUTOVER_SRC_KUBECONFIG_H
#define CUTOVER_SRC_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define KUBECONFIG_EXEC_V1 "client.authentication.k8s.io/v1"
#define KUBECONFIG_EXEC_V1BETA1 "client.authentication.k8s.io/v1beta1"

/* A client-go credential plugin (users[].user.exec). */
struct kubeconfig_exec {
	char *api_version;	/* v1 or v1beta1 (others are refused) */
	char *command;		/* resolved if it is a relative path */
	char **args;		/* NULL-terminated */
	int nargs;
	char **env;		/* NULL-terminated "NAME=value" */
	int nenv;
	char *install_hint;	/* may be NULL */
	char *interactive_mode;	/* Never, IfAvailable, Always */
	bool provide_cluster_info;
};

struct kubeconfig {
	char *source;		/* the file(s) read, or "in-cluster" */
	char *context;		/* the context used ("in-cluster" there) */
	char *cluster_name;
	char *user_name;	/* NULL when the context names no user */
	char *namespace;	/* the context's namespace, NULL if none */
	bool in_cluster;

	/* cluster */
	char *server;		/* https://host:port[/prefix], no trailing / */
	char *ca_file;
	char *ca_data;		/* PEM */
	size_t ca_data_len;
	bool insecure;		/* insecure-skip-tls-verify */
	char *tls_server_name;

	/* user */
	char *token;		/* wins over token_file */
	char *token_file;	/* re-read when it may have rotated */
	char *cert_file;
	char *key_file;
	char *cert_data;	/* PEM */
	size_t cert_data_len;
	char *key_data;		/* PEM */
	size_t key_data_len;
	char *username;
	char *password;
	bool has_exec;
	struct kubeconfig_exec exec;
};

/*
 * Resolve and read the kubeconfig (see above) and select `context` (NULL:
 * current-context).  `explicit_path` may be NULL.  On failure e names the
 * file and what is missing.
 */
int kubeconfig_load(struct kubeconfig *kc, const char *explicit_path,
		    const char *context, struct err *e);

/* Release everything; secrets are wiped first. */
void kubeconfig_done(struct kubeconfig *kc);

/* Decode base64 (whitespace ignored); NUL-terminated, caller frees.
 * Returns NULL on invalid input. */
char *kubeconfig_base64_decode(const char *s, size_t *len);

/* Encode base64 (standard alphabet, padded); caller frees. */
char *kubeconfig_base64_encode(const void *data, size_t len);

#endif
