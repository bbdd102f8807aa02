/*
 * test_kubeconfig — resolving and reading kubeconfigs: explicit file,
 * $KUBECONFIG merging (first file wins per name, current-context from the
 * first file that has one), ~/.kube/config, in-cluster via
 * $CUTOVER_SA_DIR; context choice; *-data decoded in memory versus file
 * paths resolved against the kubeconfig's directory; exec sections; and
 * error texts that name the file and what is missing but no secret.
 *
 * Fixtures: tests/fixtures/kube/config-*.yaml, certs/, sa/.  Criterion
 * runs each test in its own process, so setenv() does not leak.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubeconfig.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static char dir[1024];

/* The fixture directory, absolute (paths in results are compared). */
static const char *
fx(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static void
setup(void)
{
	const char *top = getenv("top_srcdir");
	char rel[1024];

	if (top == NULL || *top == '\0')
		top = TOP_SRCDIR;
	snprintf(rel, sizeof(rel), "%s/tests/fixtures/kube", top);
	cr_assert_not_null(realpath(rel, dir), "no fixtures at %s", rel);
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("KUBERNETES_SERVICE_PORT_HTTPS");
	unsetenv("CUTOVER_SA_DIR");
	/* No real ~/.kube/config may leak into a test. */
	setenv("HOME", "/nonexistent/home", 1);
}

TestSuite(kubeconfig, .init = setup);

Test(kubeconfig, explicit_file_current_context)
{
	struct kubeconfig kc;
	struct err e;
	char p[1200];

	cr_assert_eq(kubeconfig_load(&kc, fx("config-a.yaml", p, sizeof(p)),
				     NULL, &e), 0, "%s", e.msg);
	cr_assert_str_eq(kc.context, "a-prod");
	cr_assert_str_eq(kc.cluster_name, "prod");
	cr_assert_str_eq(kc.user_name, "prod-admin");
	cr_assert_str_eq(kc.namespace, "voiceassistant-prod");
	/* The trailing slash is dropped so paths can be appended. */
	cr_assert_str_eq(kc.server, "https://prod.k8s.example:6443");
	cr_assert_str_eq(kc.token, "prod-secret-token");
	cr_assert_not(kc.in_cluster);
	cr_assert_not(kc.insecure);
	cr_assert_not(kc.has_exec);
	cr_assert_str_eq(kc.source, p);
	kubeconfig_done(&kc);
}

Test(kubeconfig, ca_data_is_decoded_in_memory)
{
	struct kubeconfig kc;
	struct err e;
	char p[1200], *pem;
	size_t len;
	FILE *fp;

	cr_assert_eq(kubeconfig_load(&kc, fx("config-a.yaml", p, sizeof(p)),
				     "a-prod", &e), 0, "%s", e.msg);
	cr_assert_null(kc.ca_file);
	cr_assert_not_null(kc.ca_data);
	/* The data is the base64 of certs/ca.crt: the same bytes. */
	fp = fopen(fx("certs/ca.crt", p, sizeof(p)), "r");
	cr_assert_not_null(fp);
	pem = calloc(1, 4096);
	len = fread(pem, 1, 4095, fp);
	fclose(fp);
	cr_assert_eq(kc.ca_data_len, len);
	cr_assert_eq(memcmp(kc.ca_data, pem, len), 0);
	cr_assert(strncmp(kc.ca_data, "-----BEGIN CERTIFICATE-----", 27) == 0);
	free(pem);
	kubeconfig_done(&kc);
}

Test(kubeconfig, relative_files_resolve_against_kubeconfig_dir)
{
	struct kubeconfig kc;
	struct err e;
	char p[1200], want[1200];

	/* Run from elsewhere: the working directory must not matter. */
	cr_assert_eq(chdir("/"), 0);
	cr_assert_eq(kubeconfig_load(&kc, fx("config-a.yaml", p, sizeof(p)),
				     "a-dev", &e), 0, "%s", e.msg);
	cr_assert_str_eq(kc.ca_file, fx("certs/ca.crt", want, sizeof(want)));
	cr_assert_str_eq(kc.cert_file, fx("certs/dev.crt", want,
					  sizeof(want)));
	cr_assert_str_eq(kc.key_file, fx("certs/dev.key", want, sizeof(want)));
	cr_assert_null(kc.ca_data);
	cr_assert_null(kc.cert_data);
	cr_assert_str_eq(kc.tls_server_name, "kubernetes.default.svc");
	cr_assert_null(kc.namespace);
	cr_assert_null(kc.token);
	kubeconfig_done(&kc);
}

Test(kubeconfig, client_cert_and_key_data)
{
	struct kubeconfig kc;
	struct err e;
	char p[1200];

	cr_assert_eq(kubeconfig_load(&kc, fx("config-data.yaml", p,
					     sizeof(p)), NULL, &e), 0,
		     "%s", e.msg);
	cr_assert_null(kc.cert_file);
	cr_assert_null(kc.key_file);
	cr_assert_str_eq(kc.cert_data, "-----BEGIN CERTIFICATE-----\n"
		"ZGF0YSBjZXJ0\n-----END CERTIFICATE-----\n");
	cr_assert_eq(kc.cert_data_len, strlen(kc.cert_data));
	cr_assert_str_eq(kc.key_data, "-----BEGIN PRIVATE KEY-----\n"
		"ZGF0YSBrZXk=\n-----END PRIVATE KEY-----\n");
	cr_assert_eq(kc.key_data_len, strlen(kc.key_data));
	kubeconfig_done(&kc);
}

Test(kubeconfig, token_wins_over_token_file)
{
	struct kubeconfig kc;
	struct err e;
	char p[1200];

	cr_assert_eq(kubeconfig_load(&kc, fx("config-a.yaml", p, sizeof(p)),
				     NULL, &e), 0, "%s", e.msg);
	/* Both are kept; kube uses the token and never reads the file. */
	cr_assert_str_eq(kc.token, "prod-secret-token");
	cr_assert_str_eq(kc.token_file,
			 "/nonexistent/ignored-because-token-wins");
	kubeconfig_done(&kc);
}

Test(kubeconfig, merge_first_file_wins)
{
	struct kubeconfig kc;
	struct err e;
	char a[1200], b[1200], env[2600];

	fx("config-a.yaml", a, sizeof(a));
	fx("config-b.yaml", b, sizeof(b));
	snprintf(env, sizeof(env), "%s:%s", a, b);
	setenv("KUBECONFIG", env, 1);

	/* current-context from the first file that has one: a's. */
	cr_assert_eq(kubeconfig_load(&kc, NULL, NULL, &e), 0, "%s", e.msg);
	cr_assert_str_eq(kc.context, "a-prod");
	cr_assert_str_eq(kc.namespace, "voiceassistant-prod");
	cr_assert_str_eq(kc.server, "https://prod.k8s.example:6443");
	cr_assert_str_eq(kc.token, "prod-secret-token");
	cr_assert_str_eq(kc.source, env);
	kubeconfig_done(&kc);

	/* A context only b has, by name. */
	cr_assert_eq(kubeconfig_load(&kc, NULL, "b-staging", &e), 0, "%s",
		     e.msg);
	cr_assert_str_eq(kc.server, "https://staging.k8s.example");
	cr_assert(kc.insecure);
	cr_assert(kc.has_exec);
	kubeconfig_done(&kc);

	/* The other order: b's current-context, and b's copies win. */
	snprintf(env, sizeof(env), "%s:%s", b, a);
	setenv("KUBECONFIG", env, 1);
	cr_assert_eq(kubeconfig_load(&kc, NULL, NULL, &e), 0, "%s", e.msg);
	cr_assert_str_eq(kc.context, "b-staging");
	kubeconfig_done(&kc);
	cr_assert_eq(kubeconfig_load(&kc, NULL, "a-prod", &e), 0, "%s",
		     e.msg);
	cr_assert_str_eq(kc.namespace, "shadowed");
	cr_assert_str_eq(kc.server, "https://shadowed.example:6443");
	cr_assert_str_eq(kc.token, "shadowed-token");
	kubeconfig_done(&kc);

	/* a-dev is only in a, and its relative paths are a's. */
	cr_assert_eq(kubeconfig_load(&kc, NULL, "a-dev", &e), 0, "%s",
		     e.msg);
	cr_assert_str_eq(kc.ca_file, fx("certs/ca.crt", a, sizeof(a)));
	kubeconfig_done(&kc);
}

Test(kubeconfig, kubeconfig_env_skips_missing_files)
{
	struct kubeconfig kc;
	struct err e;
	char a[1200], env[2600];

	snprintf(env, sizeof(env), "/nonexistent/one::%s:/nonexistent/two",
		 fx("config-data.yaml", a, sizeof(a)));
	setenv("KUBECONFIG", env, 1);
	cr_assert_eq(kubeconfig_load(&kc, NULL, NULL, &e), 0, "%s", e.msg);
	cr_assert_str_eq(kc.context, "data");
	kubeconfig_done(&kc);

	setenv("KUBECONFIG", "/nonexistent/one:/nonexistent/two", 1);
	cr_assert_eq(kubeconfig_load(&kc, NULL, NULL, &e), -1);
	cr_assert(strstr(e.msg, "none of the files in $KUBECONFIG") != NULL,
		  "%s", e.msg);
}

Test(kubeconfig, explicit_path_beats_env)
{
	struct kubeconfig kc;
	struct err e;
	char a[1200], b[1200];

	setenv("KUBECONFIG", fx("config-b.yaml", b, sizeof(b)), 1);
	cr_assert_eq(kubeconfig_load(&kc, fx("config-a.yaml", a, sizeof(a)),
				     NULL, &e), 0, "%s", e.msg);
	cr_assert_str_eq(kc.context, "a-prod");
	cr_assert_str_eq(kc.server, "https://prod.k8s.example:6443");
	kubeconfig_done(&kc);
}

Test(kubeconfig, home_kube_config)
{
	struct kubeconfig kc;
	struct err e;
	char home[] = "/tmp/kc-home.XXXXXX", path[1200], src[1200];
	char cmd[2600];

	cr_assert_not_null(mkdtemp(home));
	snprintf(path, sizeof(path), "%s/.kube", home);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.kube/config", home);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'",
		 fx("config-data.yaml", src, sizeof(src)), path);
	cr_assert_eq(system(cmd), 0);
	setenv("HOME", home, 1);
	cr_assert_eq(kubeconfig_load(&kc, NULL, NULL, &e), 0, "%s", e.msg);
	cr_assert_str_eq(kc.source, path);
	cr_assert_str_eq(kc.server, "https://127.0.0.1:6443");
	kubeconfig_done(&kc);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.kube", home);
	rmdir(path);
	rmdir(home);
}

Test(kubeconfig, in_cluster_service_account)
{
	struct kubeconfig kc;
	struct err e;
	char sa[1200], want[1300];

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	setenv("CUTOVER_SA_DIR", fx("sa", sa, sizeof(sa)), 1);
	cr_assert_eq(kubeconfig_load(&kc, NULL, NULL, &e), 0, "%s", e.msg);
	cr_assert(kc.in_cluster);
	cr_assert_str_eq(kc.context, "in-cluster");
	cr_assert_str_eq(kc.server, "https://10.96.0.1:443");
	snprintf(want, sizeof(want), "%s/token", sa);
	cr_assert_str_eq(kc.token_file, want);
	snprintf(want, sizeof(want), "%s/ca.crt", sa);
	cr_assert_str_eq(kc.ca_file, want);
	cr_assert_str_eq(kc.namespace, "voiceassistant-prod");
	/* The token is read (and re-read) by kube, not kept here. */
	cr_assert_null(kc.token);
	kubeconfig_done(&kc);

	/* IPv6 service host. */
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	cr_assert_eq(kubeconfig_load(&kc, NULL, NULL, &e), 0, "%s", e.msg);
	cr_assert_str_eq(kc.server, "https://[fd00::1]:443");
	kubeconfig_done(&kc);
}

Test(kubeconfig, in_cluster_without_token)
{
	struct kubeconfig kc;
	struct err e;

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	setenv("CUTOVER_SA_DIR", "/nonexistent/sa", 1);
	cr_assert_eq(kubeconfig_load(&kc, NULL, NULL, &e), -1);
	cr_assert(strstr(e.msg, "/nonexistent/sa/token") != NULL, "%s",
		  e.msg);
}

Test(kubeconfig, nothing_to_load)
{
	struct kubeconfig kc;
	struct err e;

	cr_assert_eq(kubeconfig_load(&kc, NULL, NULL, &e), -1);
	cr_assert(strstr(e.msg, "no kubeconfig") != NULL, "%s", e.msg);
	cr_assert(strstr(e.msg, "/nonexistent/home/.kube/config") != NULL,
		  "%s", e.msg);
}

Test(kubeconfig, missing_context_names_file_and_choices)
{
	struct kubeconfig kc;
	struct err e;
	char a[1200], b[1200], env[2600], want[3000];

	fx("config-a.yaml", a, sizeof(a));
	fx("config-b.yaml", b, sizeof(b));
	snprintf(env, sizeof(env), "%s:%s", a, b);
	setenv("KUBECONFIG", env, 1);
	cr_assert_eq(kubeconfig_load(&kc, NULL, "prod", &e), -1);
	snprintf(want, sizeof(want), "context 'prod' not found in %s (have: "
		 "a-prod, a-dev, b-staging)", env);
	cr_assert_str_eq(e.msg, want);
}

Test(kubeconfig, missing_user_and_cluster)
{
	struct kubeconfig kc;
	struct err e;
	char p[1200];

	fx("config-bad.yaml", p, sizeof(p));
	cr_assert_eq(kubeconfig_load(&kc, p, "nouser", &e), -1);
	cr_assert(strstr(e.msg, "user 'ghost' (of context 'nouser') not "
			 "found in") != NULL, "%s", e.msg);
	cr_assert(strstr(e.msg, "(have: u, gcp)") != NULL, "%s", e.msg);
	cr_assert_eq(kubeconfig_load(&kc, p, "nocluster", &e), -1);
	cr_assert(strstr(e.msg, "cluster 'ghost' (of context 'nocluster') "
			 "not found in") != NULL, "%s", e.msg);
	cr_assert(strstr(e.msg, p) != NULL, "%s", e.msg);
}

Test(kubeconfig, errors_never_show_secrets)
{
	struct kubeconfig kc;
	struct err e;
	char p[1200];

	fx("config-bad.yaml", p, sizeof(p));
	/* Bad base64 in client-key-data: where, not what. */
	cr_assert_eq(kubeconfig_load(&kc, p, NULL, &e), -1);
	cr_assert(strstr(e.msg, "client-key-data is not valid base64") !=
		  NULL, "%s", e.msg);
	cr_assert_str_eq(e.file, p);
	cr_assert_gt(e.line, 0);
	cr_assert_null(strstr(e.msg, "c2VjcmV0"));
	/* auth-provider: refused with advice, its token not echoed. */
	cr_assert_eq(kubeconfig_load(&kc, p, "g", &e), -1);
	cr_assert(strstr(e.msg, "auth-provider 'gcp' is not supported") !=
		  NULL, "%s", e.msg);
	cr_assert_null(strstr(e.msg, "secret-gcp-token"));
}

Test(kubeconfig, yaml_syntax_error_has_position)
{
	struct kubeconfig kc;
	struct err e;
	char p[1200];

	fx("config-broken.yaml", p, sizeof(p));
	cr_assert_eq(kubeconfig_load(&kc, p, NULL, &e), -1);
	cr_assert_str_eq(e.file, p);
	cr_assert_gt(e.line, 1);

	cr_assert_eq(kubeconfig_load(&kc, "/nonexistent/kubeconfig", NULL,
				     &e), -1);
	cr_assert(strstr(e.msg, "cannot read kubeconfig "
			 "/nonexistent/kubeconfig") != NULL, "%s", e.msg);
}

Test(kubeconfig, exec_section)
{
	struct kubeconfig kc;
	struct err e;
	char p[1200], want[1300];
	const struct kubeconfig_exec *x = &kc.exec;

	cr_assert_eq(kubeconfig_load(&kc, fx("config-b.yaml", p, sizeof(p)),
				     NULL, &e), 0, "%s", e.msg);
	cr_assert(kc.has_exec);
	cr_assert_str_eq(x->api_version, "client.authentication.k8s.io/v1");
	/* ./bin/... is relative to the kubeconfig's directory. */
	snprintf(want, sizeof(want), "%s/./bin/sso-credential", dir);
	cr_assert_str_eq(x->command, want);
	cr_assert_eq(x->nargs, 3);
	cr_assert_str_eq(x->args[0], "token");
	cr_assert_str_eq(x->args[2], "staging");
	cr_assert_null(x->args[3]);
	cr_assert_eq(x->nenv, 2);
	cr_assert_str_eq(x->env[0], "SSO_PROFILE=oncall");
	cr_assert_str_eq(x->env[1], "EMPTY=");
	cr_assert_null(x->env[2]);
	cr_assert_str_eq(x->install_hint,
			 "install sso-credential from the platform team's "
			 "repo");
	cr_assert_str_eq(x->interactive_mode, "Never");
	cr_assert(x->provide_cluster_info);
	kubeconfig_done(&kc);
}

Test(kubeconfig, eks_exec_v1beta1)
{
	struct kubeconfig kc;
	struct err e;
	char p[1200];

	cr_assert_eq(kubeconfig_load(&kc, fx("config-eks.yaml", p, sizeof(p)),
				     NULL, &e), 0, "%s", e.msg);
	cr_assert_str_eq(kc.context,
			 "arn:aws:eks:eu-west-1:111122223333:cluster/voice");
	cr_assert_str_eq(kc.exec.api_version,
			 "client.authentication.k8s.io/v1beta1");
	/* A bare command name stays for the PATH lookup. */
	cr_assert_str_eq(kc.exec.command, "aws");
	cr_assert_eq(kc.exec.nargs, 6);
	cr_assert_str_eq(kc.exec.args[3], "get-token");
	cr_assert_str_eq(kc.exec.env[0], "AWS_PROFILE=oncall");
	/* v1beta1 without interactiveMode defaults to IfAvailable. */
	cr_assert_str_eq(kc.exec.interactive_mode, "IfAvailable");
	cr_assert_not(kc.exec.provide_cluster_info);
	cr_assert_null(kc.token);
	kubeconfig_done(&kc);
}

Test(kubeconfig, base64_round_trip)
{
	const char *cases[] = { "", "f", "fo", "foo", "foob", "fooba",
				"foobar", "-----BEGIN X-----\n\x01\xff\n" };
	size_t len;
	char *enc, *dec;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enc = kubeconfig_base64_encode(cases[i], strlen(cases[i]));
		dec = kubeconfig_base64_decode(enc, &len);
		cr_assert_not_null(dec, "%s", enc);
		cr_assert_eq(len, strlen(cases[i]));
		cr_assert_eq(memcmp(dec, cases[i], len), 0);
		free(enc);
		free(dec);
	}
	enc = kubeconfig_base64_encode("foobar", 6);
	cr_assert_str_eq(enc, "Zm9vYmFy");
	free(enc);
	/* Line breaks (as in a folded YAML scalar) are ignored. */
	dec = kubeconfig_base64_decode("Zm9v\nYmE=\n", &len);
	cr_assert_str_eq(dec, "fooba");
	free(dec);
	cr_assert_null(kubeconfig_base64_decode("Zm9v!", &len));
	cr_assert_null(kubeconfig_base64_decode("Zg==Zg", &len));
	cr_assert_null(kubeconfig_base64_decode("Z", &len));
}

/* A kubeconfig is bounded like every file from outside: libyaml's loader
 * grows with nesting, so a huge one is refused before it is parsed. */
Test(kubeconfig, oversized_file_is_refused)
{
	struct kubeconfig kc;
	struct err e;
	char path[] = "/tmp/cutover-kc-big.XXXXXX";
	int fd = mkstemp(path);
	FILE *fp;

	cr_assert_geq(fd, 0);
	fp = fdopen(fd, "w");
	cr_assert_not_null(fp);
	for (int i = 0; i < 4 * 1024 + 1; i++) {
		char line[1024];

		memset(line, '#', sizeof(line) - 1);
		line[sizeof(line) - 1] = '\n';
		cr_assert_eq(fwrite(line, 1, sizeof(line), fp), sizeof(line));
	}
	cr_assert_eq(fclose(fp), 0);
	cr_assert_eq(kubeconfig_load(&kc, path, NULL, &e), -1);
	unlink(path);
	cr_assert(strstr(e.msg, "is larger than 4194304 bytes") != NULL, "%s",
		  e.msg);
}
