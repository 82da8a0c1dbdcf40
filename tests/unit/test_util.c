/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_util.c - user/util: the hash map (against a plain array, through
 * deletions that shift clusters), the JSON writer (escapes, broken UTF-8,
 * commas, non-finite numbers), the PATH search, safe output files, array
 * growth, binary search by a key at an offset. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sys/stat.h>
#include "check.h"
#include "util/err.h"
#include "util/grow.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/outfile.h"
#include "util/path.h"
#include "util/search.h"

static void test_hash_basic(void)
{
	struct hmap m = { 0 };
	uint64_t v = 7;

	CHECK(!hmap_get(&m, hkey_u64(0), &v) && v == 7);
	CHECK(!hmap_del(&m, hkey_u64(0)));
	CHECK(hmap_put(&m, hkey_u64(0), 10) == 0);	/* key 0 is a key like any */
	CHECK(hmap_put(&m, (struct hkey){ 0, 1 }, 11) == 0);
	CHECK(hmap_get(&m, hkey_u64(0), &v) && v == 10);
	CHECK(hmap_get(&m, (struct hkey){ 0, 1 }, &v) && v == 11);
	CHECK(hmap_put(&m, hkey_u64(0), 12) == 0 && m.n == 2);
	CHECK(hmap_get(&m, hkey_u64(0), &v) && v == 12);
	CHECK(hmap_del(&m, hkey_u64(0)) && !hmap_get(&m, hkey_u64(0), &v) && m.n == 1);
	hmap_clear(&m);
	CHECK(m.n == 0 && !hmap_get(&m, (struct hkey){ 0, 1 }, &v));
	hmap_free(&m);
	hmap_free(&m);	/* twice is fine */
}

/* Random puts and deletes mirrored in an array: after each step the map
 * agrees with it on every key (a wrong backward shift loses keys). */
static void test_hash_model(void)
{
	enum { KEYS = 3000 };
	static uint64_t want[KEYS];
	static bool have[KEYS];
	struct hmap m = { 0 };
	uint64_t x = 88172645463325252ull;
	int bad = 0;

	for (int step = 0; step < 200000 && !bad; step++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t k = x % KEYS;
		/* dense tids and aligned addresses: the keys hash code must mix */
		struct hkey key = { k * 64, k % 3 };

		if ((x >> 20) % 3 == 0) {
			bool was = hmap_del(&m, key);

			bad += was != have[k];
			have[k] = false;
		} else {
			bad += hmap_put(&m, key, x) != 0;
			want[k] = x;
			have[k] = true;
		}
		if (step % 10000 == 0) {
			size_t n = 0;

			for (size_t i = 0; i < KEYS; i++) {
				uint64_t v;
				bool got = hmap_get(&m, (struct hkey){ i * 64, i % 3 }, &v);

				bad += got != have[i] || (got && v != want[i]);
				n += have[i];
			}
			bad += n != m.n;
		}
	}
	CHECKF(!bad, "%d disagreements", bad);
	hmap_free(&m);
}

static const char *json_out(void (*fn)(struct json *j))
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct json j;

	json_init(&j, f);
	fn(&j);
	fclose(f);
	return buf;
}

static void nested(struct json *j)
{
	json_obj_begin(j, NULL);
	json_str(j, "s", "a\"b\\c\n\x01\x7f");
	json_arr_begin(j, "a");
	json_u64(j, NULL, 1);
	json_obj_begin(j, NULL);
	json_obj_end(j);
	json_arr_begin(j, NULL);
	json_arr_end(j);
	json_i64(j, NULL, -2);
	json_arr_end(j);
	json_f64(j, "f", 1.23456, 3);
	json_f64(j, "nan", NAN, 3);
	json_f64(j, "inf", INFINITY, 1);
	json_bool(j, "t", true);
	json_null(j, "n");
	json_strn(j, "fixed", "abcdef", 3);
	json_str(j, "null", NULL);
	json_obj_end(j);
}

static void bad_utf8(struct json *j)
{
	/* a lone continuation, an overlong '/', a surrogate, a truncated
	 * sequence at the end; then good 2, 3 and 4 byte characters */
	json_str(j, NULL, "\x80|\xc0\xaf|\xed\xa0\x80|\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xe2\x82");
}

static void test_json(void)
{
	const char *s = json_out(nested);

	CHECKF(!strcmp(s, "{\"s\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\",\"a\":[1,{},[],-2],"
			  "\"f\":1.235,\"nan\":null,\"inf\":null,\"t\":true,\"n\":null,"
			  "\"fixed\":\"abc\",\"null\":\"\"}"), "%s", s);
	s = json_out(bad_utf8);
	CHECKF(!strcmp(s, "\"\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
			  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\\ufffd\\ufffd\""), "%s", s);
}

static void test_path(void)
{
	char dir[] = "/tmp/gilscope-test-path.XXXXXX", out[PATH_MAX], p[PATH_MAX + 64];
	const char *old = getenv("PATH");
	char *saved = old ? strdup(old) : NULL;

	CHECK(mkdtemp(dir));
	/* a/tool is not executable, b/tool is a directory, c/tool runs */
	for (const char *d = "abc"; *d; d++) {
		snprintf(p, sizeof(p), "%s/%c", dir, *d);
		mkdir(p, 0755);
	}
	snprintf(p, sizeof(p), "%s/a/tool", dir);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/b/tool", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/c/tool", dir);
	close(open(p, O_CREAT | O_WRONLY, 0755));
	snprintf(p, sizeof(p), "%s/a:%s/b::%s/c", dir, dir, dir);
	setenv("PATH", p, 1);
	CHECK(path_find_command("tool", out, sizeof(out)) == 0);
	snprintf(p, sizeof(p), "%s/c/tool", dir);
	CHECKF(!strcmp(out, p), "%s", out);
	CHECK(path_find_command("nothere", out, sizeof(out)) == -ENOENT);
	CHECK(path_find_command("", out, sizeof(out)) == -ENOENT);
	snprintf(p, sizeof(p), "%s/a/tool", dir);
	CHECK(path_find_command(p, out, sizeof(out)) == -EACCES || geteuid() == 0);
	snprintf(p, sizeof(p), "%s/b/tool", dir);
	CHECK(path_find_command(p, out, sizeof(out)) == -EACCES);
	CHECK(path_find_command("/bin/sh", out, 4) == -ENAMETOOLONG);
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	CHECK(system(p) == 0);
}

static void test_outfile(void)
{
	char dir[] = "/tmp/gilscope-test-out.XXXXXX", p[PATH_MAX], q[PATH_MAX + 16], err[256];
	struct outfile o;
	struct stat st;

	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	CHECK(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/a.gst", dir);
	CHECK(outfile_create(&o, p, 0, err, sizeof(err)) == 0 && o.fd >= 0 && o.made);
	CHECK(write(o.fd, "x", 1) == 1);
	outfile_close(&o);
	struct outfile o2;
	CHECK(outfile_create(&o2, p, 0, err, sizeof(err)) == -EEXIST && strstr(err, "--force"));
	CHECK(outfile_create(&o2, p, OUTFILE_FORCE, err, sizeof(err)) == 0);
	CHECK(!fstat(o2.fd, &st) && st.st_size == 0);	/* a new file */
	/* something put in its place is not ours to remove */
	CHECK(unlink(p) == 0 && symlink("/etc/passwd", p) == 0);
	outfile_discard(&o2);
	CHECK(!lstat(p, &st) && S_ISLNK(st.st_mode));
	CHECK(outfile_create(&o2, p, OUTFILE_FORCE, err, sizeof(err)) == -EEXIST &&
	      strstr(err, "symbolic link"));
	unlink(p);
	snprintf(q, sizeof(q), "%s/fifo", dir);
	CHECK(mkfifo(q, 0644) == 0);
	CHECK(outfile_create(&o2, q, OUTFILE_FORCE, err, sizeof(err)) == -EEXIST &&
	      strstr(err, "a fifo"));
	CHECK(outfile_create(&o2, dir, OUTFILE_FORCE, err, sizeof(err)) == -EEXIST &&
	      strstr(err, "a directory"));
	/* discard removes what we made */
	snprintf(q, sizeof(q), "%s/b.gst", dir);
	CHECK(outfile_create(&o2, q, 0, err, sizeof(err)) == 0);
	outfile_discard(&o2);
	CHECK(access(q, F_OK) != 0);
	snprintf(q, sizeof(q), "%s/t-XXXXXX", dir);
	CHECK(outfile_create(&o2, q, OUTFILE_TEMP, err, sizeof(err)) == 0 &&
	      strncmp(o2.path, q, strlen(q) - 6) == 0 && strcmp(o2.path, q) != 0);
	outfile_discard(&o2);
	CHECK(outfile_create(&o2, "", 0, err, sizeof(err)) == -EINVAL);
	CHECK(errf(err, sizeof(err), -5, "n=%d", 3) == -5 && !strcmp(err, "n=3"));
	CHECK(errf(NULL, 0, -7, "x") == -7);
	snprintf(q, sizeof(q), "rm -rf %s", dir);
	CHECK(system(q) == 0);
}

/* Appends keep what was there; a size that cannot be allocated (or would
 * overflow) fails with the array as it was. */
static void test_grow(void)
{
	uint32_t *a = NULL;
	size_t cap = 0, bad = 0;

	CHECK(grow_array(&a, &cap, 0, sizeof(*a)) == 0 && !a && cap == 0);
	for (uint32_t i = 0; i < 1000; i++) {
		if (grow_array(&a, &cap, i + 1, sizeof(*a)))
			break;
		a[i] = i * 7;
	}
	CHECK(cap >= 1000 && cap >= GROW_MIN);
	for (uint32_t i = 0; i < 1000; i++)
		bad += a[i] != i * 7;
	CHECK(bad == 0);
	size_t had = cap;
	uint32_t *was = a;

	CHECK(grow_array(&a, &cap, 10, sizeof(*a)) == 0 && a == was && cap == had);
	CHECK(grow_array(&a, &cap, SIZE_MAX / 2, sizeof(*a)) == -ENOMEM);
	CHECK(grow_array(&a, &cap, SIZE_MAX, 1) == -ENOMEM);
	CHECK(a == was && cap == had && a[999] == 999 * 7);
	free(a);
}

struct rec {
	char pad[3];
	uint32_t id;
	uint64_t ts;
};

/* Against a linear scan, on every key around the stored ones: equal keys
 * (ts), an empty array, keys below and above all. */
static void test_search(void)
{
	struct rec r[9];
	size_t bad = 0;

	for (uint32_t i = 0; i < 9; i++)
		r[i] = (struct rec){ .id = 10 * i + 5, .ts = 100 * (i / 3) };
	for (uint32_t k = 0; k < 100; k++) {
		struct rec *want = NULL;
		size_t up = 0;

		for (size_t i = 0; i < 9; i++) {
			if (r[i].id == k)
				want = &r[i];
			up += r[i].ts <= k * 4;
		}
		bad += search_u32(r, 9, sizeof(r[0]), offsetof(struct rec, id), k) != want;
		bad += search_upper_u64(r, 9, sizeof(r[0]), offsetof(struct rec, ts), k * 4) != up;
	}
	CHECK(bad == 0);
	CHECK(search_u32(r, 0, sizeof(r[0]), offsetof(struct rec, id), 5) == NULL);
	CHECK(search_upper_u64(r, 0, sizeof(r[0]), offsetof(struct rec, ts), 5) == 0);
	CHECK(search_u32(r, 9, sizeof(r[0]), offsetof(struct rec, id), 85) == &r[8]);
	CHECK(search_upper_u64(r, 9, sizeof(r[0]), offsetof(struct rec, ts), 200) == 9);
}

int main(void)
{
	RUN(test_hash_basic);
	RUN(test_hash_model);
	RUN(test_json);
	RUN(test_path);
	RUN(test_outfile);
	RUN(test_grow);
	RUN(test_search);
	return check_done();
}
