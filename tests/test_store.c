/*
 * test_store — the state file round-trips exactly, is written atomically
 * with mode 0600, refuses damaged, oversized or self-contradicting content
 * (tests/fixtures/state/<case>/{state.json,error}), follows no symbolic
 * link, refuses a directory others may write, and the lock names its
 * holder.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plan.h"
#include "store.h"
#include "xmalloc.h"

static char dir[64];
static char path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cutover-store.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/dir/p.state.json", dir);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static struct store_record
sample(void)
{
	struct store_record r;

	memset(&r, 0, sizeof(r));
	r.state.nstages = 5;
	r.state.stage = 2;
	r.state.target = 3;
	r.state.phase = PHASE_SHIFTING;
	r.state.resume_to = PHASE_HOLDING;
	r.state.applied = (struct weights){ 25, 75 };
	r.state.pending = (struct weights){ 50, 50 };
	r.state.uncertain = true;
	r.state.seq = 7;
	r.state.hold_ms = 123456;
	r.state.last_verdict = VERDICT_NO_DATA;
	r.state.breaches = 2;
	r.state.blind = 4;
	r.state.alarm = true;
	r.state.last_tick_ms = 99;
	snprintf(r.fingerprint, sizeof(r.fingerprint), "0123456789abcdef");
	r.apply_in_flight = true;
	r.saved_wall_ms = 1764000000000;
	r.have_read_back = true;
	r.read_back = (struct weights){ 25, 75 };
	r.read_back_wall_ms = 1764000000001;
	r.applied_wall_ms = 1763999990000;
	return r;
}

static void
write_text(const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(store, round_trip, .init = setup, .fini = teardown)
{
	struct store st;
	struct store_record in = sample();
	struct store_record out;
	struct err e;
	struct stat sb;

	cr_assert_eq(store_open(&st, path, &e), 0, "%s", e.msg);
	cr_assert_eq(store_load(&st, &out, &e), 0, "absent file is 0");
	cr_assert_eq(store_save(&st, &in, &e), 0, "%s", e.msg);
	cr_assert_eq(stat(path, &sb), 0);
	cr_expect_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(store_load(&st, &out, &e), 1, "%s", e.msg);
	in.state.last_tick_ms = 0;	/* monotonic: not kept */
	cr_expect(memcmp(&in.state, &out.state, sizeof(in.state)) == 0);
	cr_expect_str_eq(out.fingerprint, in.fingerprint);
	cr_expect(out.apply_in_flight);
	cr_expect_eq(out.saved_wall_ms, in.saved_wall_ms);
	cr_expect(out.have_read_back);
	cr_expect_eq(out.read_back.istio, 25);
	cr_expect_eq(out.read_back_wall_ms, in.read_back_wall_ms);
	cr_expect_eq(out.applied_wall_ms, in.applied_wall_ms);
	store_close(&st);
}

Test(store, failed_save_keeps_old_file, .init = setup, .fini = teardown)
{
	struct store st;
	struct store_record a = sample();
	struct store_record b = sample();
	struct store_record out;
	struct err e;

	cr_assert_eq(store_open(&st, path, &e), 0);
	cr_assert_eq(store_save(&st, &a, &e), 0);
	b.state.stage = 3;
	store_test_fail_after(0);
	cr_expect_eq(store_save(&st, &b, &e), -1);
	store_test_fail_after(-1);
	cr_assert_eq(store_load(&st, &out, &e), 1);
	cr_expect_eq(out.state.stage, 2);
	store_close(&st);
}

Test(store, damaged_files_are_errors, .init = setup, .fini = teardown)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"{\"version\": 1}",
		"not json at all",
	};
	struct store st;
	struct store_record good = sample();
	struct store_record out;
	struct err e;
	json_t *j;
	char *text;

	cr_assert_eq(store_open(&st, path, &e), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(bad[i]);
		err_clear(&e);
		cr_expect_eq(store_load(&st, &out, &e), -1, "case %zu", i);
		cr_expect(strstr(e.msg, "state file") != NULL, "%s", e.msg);
	}
	/* Each field out of range, one at a time. */
	static const char *const fields[][2] = {
		{ "phase", "\"warp\"" }, { "stage", "9" }, { "stage", "-1" },
		{ "applied", "{\"istio\": 30, \"apisix\": 30}" },
		{ "seq", "\"x\"" }, { "hold_ms", "-5" },
		{ "last_verdict", "\"maybe\"" }, { "uncertain", "1" },
		{ "hold_ms", "9223372036854775807" },
		{ "hold_ms", "1e3" }, { "seq", "4294967296" },
	};
	/* Wall times outside 1970..9999 (a clock cannot be shown). */
	static const char *const walls[] = {
		"-1", "9223372036854775807", "1.5e12",
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		j = store_record_json(&good);
		json_object_set_new(json_object_get(j, "state"), fields[i][0],
				    json_loads(fields[i][1], JSON_DECODE_ANY,
					       NULL));
		text = json_dumps(j, 0);
		write_text(text);
		free(text);
		json_decref(j);
		cr_expect_eq(store_load(&st, &out, &e), -1, "%s", fields[i][0]);
		cr_expect(strstr(e.msg, fields[i][0]) != NULL, "%s", e.msg);
	}
	for (size_t i = 0; i < sizeof(walls) / sizeof(walls[0]); i++) {
		json_t *rb = json_pack("{s:i,s:i}", "istio", 10, "apisix", 90);

		json_object_set_new(rb, "wall_ms", json_loads(walls[i],
				    JSON_DECODE_ANY, NULL));
		j = store_record_json(&good);
		json_object_set_new(j, "read_back", rb);
		text = json_dumps(j, 0);
		write_text(text);
		free(text);
		json_decref(j);
		cr_expect_eq(store_load(&st, &out, &e), -1, "wall_ms %s",
			     walls[i]);
		cr_expect(strstr(e.msg, "read_back.wall_ms") != NULL, "%s",
			  e.msg);

		j = store_record_json(&good);
		json_object_set_new(j, "saved_wall_ms", json_loads(walls[i],
				    JSON_DECODE_ANY, NULL));
		text = json_dumps(j, 0);
		write_text(text);
		free(text);
		json_decref(j);
		cr_expect_eq(store_load(&st, &out, &e), -1, "saved %s",
			     walls[i]);
		cr_expect(strstr(e.msg, "saved_wall_ms") != NULL, "%s", e.msg);
	}
	store_close(&st);
}

Test(store, lock_names_holder, .init = setup, .fini = teardown)
{
	struct store a;
	struct store b;
	struct store_holder h;
	struct err e;
	int status;
	pid_t pid;

	cr_assert_eq(store_open(&a, path, &e), 0);
	cr_assert_eq(store_lock(&a, &h, &e), 0, "%s", e.msg);
	/* flock is per open file description: a child process competes. */
	pid = fork();
	if (pid == 0) {
		cr_assert_eq(store_open(&b, path, &e), 0);
		if (store_lock(&b, &h, &e) != -1 || h.pid != (long)getppid() ||
		    strstr(e.msg, "another cutover") == NULL)
			_exit(1);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	store_close(&a);
	/* Released: now it can be taken. */
	cr_assert_eq(store_open(&b, path, &e), 0);
	cr_expect_eq(store_lock(&b, &h, &e), 0, "%s", e.msg);
	store_close(&b);
}

Test(store, read_only_refuses_save, .init = setup, .fini = teardown)
{
	struct store st;
	struct store_record r = sample();
	struct err e;

	cr_assert_eq(store_open(&st, path, &e), 0);
	st.read_only = true;
	cr_expect_eq(store_save(&st, &r, &e), -1);
	cr_expect(access(path, F_OK) != 0);
	store_close(&st);
}

/* --- consistency, size, links (data-driven: tests/fixtures/state) ---------- */

static const char *
srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s != NULL && s[0] != '\0' ? s : ".";
}

/* A file's text; `line`: its first line only. */
static char *
slurp(const char *file, bool line)
{
	FILE *f = fopen(file, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = calloc(1, 65536);
	cr_assert_not_null(buf);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	buf[n] = '\0';
	if (line)
		buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/*
 * Each case is a state.json and, when it must be refused, an `error` file
 * with a text the message must contain (the file and the field).
 */
Test(store, state_fixtures, .init = setup, .fini = teardown)
{
	char *top = xasprintf("%s/tests/fixtures/state", srcdir());
	DIR *d = opendir(top);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d, "cannot open %s (set top_srcdir)", top);
	while ((de = readdir(d)) != NULL) {
		struct store st;
		struct store_record out;
		struct err e;
		char *file;
		char *text;
		char *want;
		int rc;

		if (de->d_name[0] == '.')
			continue;
		file = xasprintf("%s/%s/state.json", top, de->d_name);
		text = slurp(file, false);
		cr_assert_not_null(text, "%s", file);
		free(file);
		file = xasprintf("%s/%s/error", top, de->d_name);
		want = slurp(file, true);
		free(file);
		cr_assert_eq(store_open(&st, path, &e), 0, "%s", e.msg);
		{
			FILE *f = fopen(path, "w");

			cr_assert_not_null(f);
			fputs(text, f);
			fclose(f);
		}
		err_clear(&e);
		rc = store_load(&st, &out, &e);
		if (want == NULL) {
			cr_expect_eq(rc, 1, "%s: %s", de->d_name, e.msg);
		} else {
			cr_expect_eq(rc, -1, "%s: loaded", de->d_name);
			cr_expect_not_null(strstr(e.msg, want),
					   "%s: '%s' does not say '%s'",
					   de->d_name, e.msg, want);
			cr_expect_not_null(strstr(e.msg, path),
					   "%s: '%s' does not name the file",
					   de->d_name, e.msg);
		}
		store_close(&st);
		free(text);
		free(want);
		n++;
	}
	closedir(d);
	free(top);
	cr_expect_geq(n, 20, "only %d cases", n);
}

Test(store, size_is_capped, .init = setup, .fini = teardown)
{
	struct store st;
	struct store_record in = sample();
	struct store_record out;
	struct err e;
	FILE *f;

	cr_assert_eq(store_open(&st, path, &e), 0);
	cr_assert_eq(store_save(&st, &in, &e), 0, "%s", e.msg);
	/* Valid JSON, padded with blanks past the cap: still refused. */
	f = fopen(path, "a");
	cr_assert_not_null(f);
	for (int i = 0; i < STORE_MAX_BYTES / 32; i++)
		fputs("                                                              \n",
		      f);
	fclose(f);
	cr_expect_eq(store_load(&st, &out, &e), -1);
	cr_expect_not_null(strstr(e.msg, "more than the 65536"), "%s", e.msg);
	cr_expect_not_null(strstr(e.msg, path), "%s", e.msg);
	store_close(&st);
}

Test(store, links_are_refused, .init = setup, .fini = teardown)
{
	char victim[160];
	char lock[160];
	struct store st;
	struct store_record in = sample();
	struct store_record out;
	struct err e;
	char *text;

	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	cr_assert_eq(store_open(&st, path, &e), 0);
	write_text("");
	unlink(path);
	{
		FILE *f = fopen(victim, "w");

		cr_assert_not_null(f);
		fputs("precious\n", f);
		fclose(f);
	}
	cr_assert_eq(symlink(victim, lock), 0);
	cr_expect_eq(store_lock(&st, NULL, &e), -1);
	cr_expect_not_null(strstr(e.msg, "is a symbolic link"), "%s", e.msg);
	unlink(lock);
	cr_assert_eq(symlink(victim, path), 0);
	cr_expect_eq(store_load(&st, &out, &e), -1);
	cr_expect_not_null(strstr(e.msg, "is a symbolic link"), "%s", e.msg);
	cr_expect_eq(store_save(&st, &in, &e), -1);
	cr_expect_not_null(strstr(e.msg, "symbolic link"), "%s", e.msg);
	text = slurp(victim, true);
	cr_expect_str_eq(text, "precious");
	free(text);
	store_close(&st);
}

Test(store, shared_directories, .init = setup, .fini = teardown)
{
	char file[160];
	struct err e;

	snprintf(file, sizeof(file), "%s/x.state.json", dir);
	cr_expect_eq(store_dir_check(file, &e), 0, "%s", e.msg);
	cr_assert_eq(chmod(dir, 0777), 0);
	cr_expect_eq(store_dir_check(file, &e), -1);
	cr_expect_not_null(strstr(e.msg, "world-writable without the sticky"),
			   "%s", e.msg);
	cr_assert_eq(chmod(dir, 0770), 0);
	cr_expect_eq(store_dir_check(file, &e), -1);
	cr_expect_not_null(strstr(e.msg, dir), "%s", e.msg);
	cr_assert_eq(chmod(dir, 01777), 0);
	cr_expect_eq(store_dir_check(file, &e), 0, "%s", e.msg);
	cr_assert_eq(chmod(dir, 0700), 0);
}

Test(store, record_fits_the_plan, .init = setup, .fini = teardown)
{
	struct store st;
	struct store_record r = sample();
	struct plan p;
	struct err e;

	plan_defaults(&p);
	cr_assert_eq(store_open(&st, path, &e), 0);
	/* sample(): stage 2 (25%) shifting to 3 (50%) of 5. */
	cr_expect_eq(store_check_plan(&st, &r, &p, &e), 0, "%s", e.msg);
	r.state.nstages = 4;
	cr_expect_eq(store_check_plan(&st, &r, &p, &e), -1);
	cr_expect_not_null(strstr(e.msg, "'state.nstages' is 4, the plan has "
				  "5"), "%s", e.msg);
	r = sample();
	r.state.applied = (struct weights){ 10, 90 };
	cr_expect_eq(store_check_plan(&st, &r, &p, &e), -1);
	cr_expect_not_null(strstr(e.msg, "'state.applied' is istio 10%"),
			   "%s", e.msg);
	r = sample();
	r.state.pending = (struct weights){ 75, 25 };
	cr_expect_eq(store_check_plan(&st, &r, &p, &e), -1);
	cr_expect_not_null(strstr(e.msg, "'state.pending'"), "%s", e.msg);
	store_close(&st);
	plan_done(&p);
}
